"""The default executor: every chunk in this process, in grid order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from runner.executors.base import Chunk, ChunkResult, Executor
from runner.executors.job import RunJob, compute_cells


class LocalExecutor(Executor):
    """In-process and sequential: no extra processes, no extra dependencies."""

    name = "local"

    def map(self, job: RunJob, chunks: Sequence[Chunk]) -> Iterator[ChunkResult]:
        for chunk in chunks:
            yield chunk, compute_cells(job, chunk)
