"""The default executor: every chunk in this process, in grid order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from runner.executors.base import Chunk, ChunkResult, Executor
from runner.executors.job import RunJob, prepare


class LocalExecutor(Executor):
    """In-process and sequential: no extra processes, no extra dependencies, no cache."""

    name = "local"

    def map(self, job: RunJob, chunks: Sequence[Chunk]) -> Iterator[ChunkResult]:
        if not chunks:
            return
        compute, uniforms = prepare(job)  # released when the map ends
        for chunk in chunks:
            yield chunk, compute(uniforms, list(chunk))
