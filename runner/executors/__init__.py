"""Sweep executors: where a run's chunks are computed. `local` is the default."""

from __future__ import annotations

from runner.executors.base import Executor, ExecutorError, ExecutorOptionError
from runner.executors.job import RunJob, compute_cells
from runner.executors.local import LocalExecutor

EXECUTORS = ("local", "processes", "dask")

__all__ = ["EXECUTORS", "Executor", "ExecutorError", "ExecutorOptionError", "LocalExecutor",
           "RunJob", "compute_cells", "make_executor"]


def make_executor(name: str = "local", scheduler: str | None = None,
                  workers: int | None = None) -> Executor:
    """The named executor; `scheduler` (Dask only) is a tcp://host:port address."""
    if scheduler is not None and name != "dask":
        raise ExecutorError(f"--scheduler is for --executor dask, not {name}")
    if name == "local":
        return LocalExecutor()
    if name == "processes":
        from runner.executors.processes import ProcessExecutor

        return ProcessExecutor(workers)
    if name == "dask":
        from runner.executors.dask import DaskExecutor

        return DaskExecutor(scheduler, workers)
    raise ExecutorError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")
