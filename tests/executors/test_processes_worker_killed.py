"""A pool process killed mid-sweep: a new pool runs the lost tasks, each cell comes back once."""

import os
import signal

import psutil
import pytest

from runner.executors import ExecutorError
from runner.executors import processes as processes_module
from runner.executors.processes import ProcessExecutor
from tests.executors.helpers import local_results
from tests.executors.test_dask_worker_killed import CHUNKS, JOB


def _pool_workers() -> list[int]:
    """This process's spawned pool workers (not multiprocessing's resource tracker)."""
    return [child.pid for child in psutil.Process().children()
            if "spawn_main" in " ".join(child.cmdline())]


def test_killed_pool_worker_tasks_run_again_and_come_back_once():
    seen, killed = [], None
    with ProcessExecutor(workers=2) as executor:
        for task, results in executor.map(JOB, CHUNKS):
            seen.append((task, results))
            if killed is None and len(seen) == 2:
                broken_pool, killed = executor._pool, _pool_workers()[0]
                os.kill(killed, signal.SIGKILL)
        assert killed is not None and killed not in _pool_workers()
        assert executor._pool is not broken_pool  # the lost tasks ran in a new pool
    cells = [cell for task, _ in seen for cell in task]
    assert sorted(cells) == sorted(cell for chunk in CHUNKS for cell in chunk)
    assert len(cells) == len(set(cells))
    assert {cell: stats for task, results in seen
            for cell, stats in zip(task, results, strict=True)} == local_results(JOB, CHUNKS)


def test_a_pool_that_keeps_dying_is_an_error(monkeypatch):
    monkeypatch.setattr(processes_module, "RESTARTS", 0)
    with ProcessExecutor(workers=2) as executor, pytest.raises(ExecutorError, match="died 1"):
        for _ in executor.map(JOB, CHUNKS):
            for pid in _pool_workers():
                os.kill(pid, signal.SIGKILL)
