"""Every local core: chunks as tasks of a concurrent.futures process pool."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from threadpoolctl import threadpool_limits

from runner.executors.base import Chunk, ChunkResult, Executor, ExecutorError, split
from runner.executors.job import RunJob, compute_cells

# New pools after a worker process died (the pool breaks; its unfinished tasks run again).
RESTARTS = 3


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
        tasks = split(chunks, self.workers)
        for _ in range(RESTARTS + 1):
            tasks = yield from self._run(job, tasks)
            if not tasks:
                return
            self.close()  # a worker died: the pool is broken, start a new one
        raise ExecutorError(f"worker processes died {RESTARTS + 1} times; "
                            "resume the run to finish it")

    def _run(self, job: RunJob, tasks: list[Chunk]) -> Generator[ChunkResult, None, list[Chunk]]:
        """Yield each finished task; return the tasks lost to a broken pool."""
        pool = self._get_pool()
        futures: dict[Future, Chunk] = {pool.submit(compute_cells, job, t): t for t in tasks}
        lost = []
        try:
            for future in as_completed(futures):
                if isinstance(future.exception(), BrokenProcessPool):
                    lost.append(futures[future])
                    continue
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()  # on an error or Ctrl-C: drop what has not started
        return lost

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
