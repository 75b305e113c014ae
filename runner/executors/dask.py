"""Dask distributed: chunks as tasks on a scheduler's workers, retried when a worker dies."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from runner.executors.base import (
    Chunk,
    ChunkResult,
    Executor,
    ExecutorError,
    ExecutorOptionError,
    split,
)
from runner.executors.job import RunJob, compute_cells

# Retries of a task that raised; a task whose worker died is re-run by the scheduler itself
# (up to distributed.scheduler.allowed-failures deaths) without counting against these.
TASK_RETRIES = 2
# Seconds to wait for a first worker when the scheduler has none.
WORKER_WAIT = 60
# Dask's nannies set MALLOC_TRIM_THRESHOLD_, which turns off glibc's adaptive mmap threshold:
# every large numpy temporary is then mmapped and page-faulted anew (measured: 2.2 s of system
# time per 400-cell sweep, 40% slower). deploy/dask/logitlab.yaml unsets it for compose workers.
WORKER_ENVIRON = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


def local_cluster(workers: int | None = None) -> Any:
    """A LocalCluster on loopback: `workers` single-threaded processes (default: one per core)."""
    distributed = _distributed()
    import dask

    count = (os.cpu_count() or 1) if workers is None else workers
    with dask.config.set(WORKER_ENVIRON):
        return distributed.LocalCluster(
            n_workers=count, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address="127.0.0.1:0")


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as error:
        raise ExecutorError("--executor dask needs Dask distributed: "
                            "pip install 'logitlab[dask]'") from error
    return distributed


class DaskExecutor(Executor):
    """A Client of `scheduler` (tcp://host:8786), else of a LocalCluster on loopback."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None,
                 timeout: str | None = None) -> None:
        distributed = _distributed()
        self.cluster = None
        try:
            if scheduler is None:
                self.cluster = local_cluster(workers)
                self.client = distributed.Client(self.cluster)
            else:
                # timeout None: Dask's distributed.comm.timeouts.connect (30 s by default)
                kwargs = {} if timeout is None else {"timeout": timeout}
                self.client = distributed.Client(scheduler, **kwargs)
        except OSError as error:  # includes timeouts: name the scheduler, not a traceback
            self.close()
            raise ExecutorError(f"cannot reach Dask scheduler {scheduler}: {error}") from error
        except ValueError as error:  # distributed's address parser: no port, unknown scheme
            self.close()
            raise ExecutorOptionError(f"--scheduler: {scheduler!r} is not a Dask scheduler "
                                      f"address like tcp://HOST:8786 ({error})") from error
        self._as_completed = distributed.as_completed

    def map(self, job: RunJob, chunks: Sequence[Chunk]) -> Iterator[ChunkResult]:
        tag = uuid.uuid4().hex[:8]
        tasks = split(chunks, self._workers())
        futures = [
            self.client.submit(compute_cells, job, task, key=f"logitlab-{tag}-{i}",
                               retries=TASK_RETRIES, pure=False)
            for i, task in enumerate(tasks)
        ]
        by_key = {future.key: task for future, task in zip(futures, tasks, strict=True)}
        try:
            for future, result in self._as_completed(futures, with_results=True):
                yield by_key[future.key], result
                future.release()
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def _workers(self) -> int:
        """Workers connected now, after waiting WORKER_WAIT seconds for a first one."""
        if not self.client.scheduler_info()["workers"]:
            try:
                self.client.wait_for_workers(1, timeout=WORKER_WAIT)
            except TimeoutError as error:
                raise ExecutorError(f"no Dask worker joined {self.client.scheduler.address} "
                                    f"within {WORKER_WAIT} s") from error
        return len(self.client.scheduler_info()["workers"])

    def close(self) -> None:
        if getattr(self, "client", None) is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None
