"""Every local core: chunks as tasks of a concurrent.futures process pool."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed

from threadpoolctl import threadpool_limits

from runner.executors.base import Chunk, ChunkResult, Executor, split
from runner.executors.job import RunJob, compute_cells


def _one_thread() -> None:
    """Worker initializer: one BLAS/OpenMP thread per process, as many processes as cores."""
    threadpool_limits(1)


class ProcessExecutor(Executor):
    """A pool of `workers` spawned processes (default: one per core)."""

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: the parent holds database connections and a progress thread.
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_one_thread,
            )
        return self._pool

    def map(self, job: RunJob, chunks: Sequence[Chunk]) -> Iterator[ChunkResult]:
        pool = self._get_pool()
        tasks = split(chunks, self.workers)
        futures: dict[Future, Chunk] = {pool.submit(compute_cells, job, t): t for t in tasks}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()  # on an error or Ctrl-C: drop what has not started

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
