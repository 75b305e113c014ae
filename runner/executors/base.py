"""The executor contract: compute a run's chunks somewhere, yield each result once."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import Any

from runner.executors.job import RunJob
from runner.grid import CellParams

Chunk = list[CellParams]
ChunkResult = tuple[Chunk, list[dict[str, Any]]]
# Tasks per worker when an executor re-cuts chunks: enough to balance uneven workers.
TASKS_PER_WORKER = 4


class ExecutorError(RuntimeError):
    """An executor that cannot start (a missing extra, an unreachable scheduler)."""


class ExecutorOptionError(ExecutorError):
    """An executor option that is wrong as written (a malformed scheduler address)."""


def split(chunks: Sequence[Chunk], workers: int) -> list[Chunk]:
    """The chunks' cells in grid order, cut into tasks that keep `workers` busy.

    A task is never larger than the largest chunk (the run's memory bound). Re-cutting is
    safe because a cell's statistics do not depend on which cells share its batch
    (tests/executors/test_chunking.py pins this for both engines).
    """
    cells = [cell for chunk in chunks for cell in chunk]
    if not cells:
        return []
    per_task = -(-len(cells) // (TASKS_PER_WORKER * max(1, workers)))
    size = max(1, min(max(map(len, chunks)), per_task))
    return [cells[first : first + size] for first in range(0, len(cells), size)]


class Executor(ABC):
    """Computes chunks (tasks) of cells; the caller writes each yielded cell itself.

    `map` yields every cell of the chunks exactly once, as (task, one statistics dict per
    cell) in completion order; a task is a chunk, or for parallel executors a re-cut piece.
    Workers never touch the database, so a task that a lost worker had started is simply
    computed again elsewhere and nothing is written twice.
    """

    name = "executor"

    @abstractmethod
    def map(self, job: RunJob, chunks: Sequence[Chunk]) -> Iterator[ChunkResult]:
        """Compute every cell of `chunks`; yield each (task, results) once as it completes."""

    def close(self) -> None:
        """Release workers and connections (idempotent); nothing to release by default."""
        return None

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
