"""The executor contract: compute a run's chunks somewhere, yield each result once."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

from runner.executors.job import RunJob
from runner.grid import CellParams

Chunk = list[CellParams]
ChunkResult = tuple[Chunk, list[dict[str, Any]]]


class ExecutorError(RuntimeError):
    """An executor that cannot start (a missing extra, an unreachable scheduler)."""


class Executor(ABC):
    """Computes chunks (tasks) of cells; the caller writes each yielded cell itself.

    `map` yields every chunk exactly once, as (chunk, one statistics dict per cell), in
    completion order. Workers never touch the database, so a task that a lost worker had
    started is simply computed again elsewhere and nothing is written twice.
    """

    name = "executor"

    @abstractmethod
    def map(self, job: RunJob, chunks: Sequence[Chunk]) -> Iterator[ChunkResult]:
        """Compute every chunk of `job`; yield each (chunk, results) once as it completes."""

    def close(self) -> None:
        """Release workers and connections (idempotent); nothing to release by default."""
        return None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
