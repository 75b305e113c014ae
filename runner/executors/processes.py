"""Every local core: chunks as tasks of a concurrent.futures process pool."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from threadpoolctl import threadpool_limits

from runner.executors.base import Chunk, ChunkResult, Executor, ExecutorError, split
from runner.executors.job import RunJob, compute_cells

# New pools after a worker process died (the pool breaks; its unfinished tasks run again).
RESTARTS = 3

# A worker's Ctrl-C state. Ctrl-C reaches the terminal's whole process group, workers too. A
# KeyboardInterrupt raised just after a worker locks the pool's shared result queue (inside
# concurrent.futures, between the lock and its `with` block) never unlocks it: every worker
# then waits for that lock, none dies, so the pool never breaks and shutdown waits forever.
# So a worker raises KeyboardInterrupt only inside a task, where it holds no shared lock.
_computing = False
_interrupted = False


def _on_ctrl_c(_signum: int, _frame: Any) -> None:
    """A worker's SIGINT handler: stop the task being computed; anywhere else, only note it."""
    global _interrupted
    _interrupted = True
    if _computing:
        raise KeyboardInterrupt


def _init_worker() -> None:
    """Worker initializer: Ctrl-C only inside tasks, one BLAS/OpenMP thread per process."""
    signal.signal(signal.SIGINT, _on_ctrl_c)
    threadpool_limits(1)


def _compute(job: RunJob, cells: list) -> list[dict[str, Any]]:
    """compute_cells, interruptible by Ctrl-C; after a Ctrl-C a worker starts no more tasks."""
    global _computing
    try:
        _computing = True
        if _interrupted:  # the queued tasks of a stopping sweep fail at once
            raise KeyboardInterrupt
        return compute_cells(job, cells)
    finally:
        _computing = False  # no call before it: a signal cannot slip in between


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
                initializer=_init_worker,
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
        futures: dict[Future, Chunk] = {pool.submit(_compute, job, t): t for t in tasks}
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
