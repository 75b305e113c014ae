"""A Dask worker killed mid-sweep loses no cell: its tasks run again, each cell is stored once."""

import os
import signal

import pytest
from sqlalchemy import func, select

from runner.executors import RunJob
from runner.executors.dask import DaskExecutor
from runner.grid import build_grid
from runner.storage import cell_rows
from runner.sweep import SweepSpec, create, execute
from service.db import Cell, open_database
from tests.executors.conftest import start_cluster
from tests.executors.helpers import chunked, grid, local_results

# 12 tasks of 3 cells: while tasks remain, each worker has one assigned (running or next).
JOB = RunJob("zipf:V=20000,s=1.1,rows=32,seed=0", "prefix", "vllm", 9, 1000)
CHUNKS = chunked(grid("0.3:1.5:6", "0.5:1.0:6"), 3)


@pytest.fixture(scope="module")
def own_cluster():
    """A cluster of its own: these tests kill its workers (each nanny starts a new one)."""
    with start_cluster() as cluster:
        yield cluster


def _kill_a_busy_worker(client, pids: dict) -> int:
    busy = [worker for worker, keys in client.processing().items() if keys]
    assert busy, "no task in flight to lose"
    os.kill(pids[busy[0]], signal.SIGKILL)
    return pids[busy[0]]


def test_killed_worker_tasks_are_retried_and_each_chunk_comes_back_once(own_cluster):
    with DaskExecutor(own_cluster.scheduler_address) as executor:
        client = executor.client
        client.wait_for_workers(2, timeout=120)
        pids = client.run(os.getpid)
        seen, killed = [], None
        for task, results in executor.map(JOB, CHUNKS):
            seen.append((task, results))
            if killed is None and len(seen) == 2:
                killed = _kill_a_busy_worker(client, pids)
        assert killed is not None
        client.wait_for_workers(2, timeout=120)  # the nanny replaced the killed process
        assert killed not in client.run(os.getpid).values()
    cells = [cell for task, _ in seen for cell in task]
    assert sorted(cells) == sorted(cell for chunk in CHUNKS for cell in chunk)
    assert len(cells) == len(set(cells))
    assert {cell: stats for task, results in seen
            for cell, stats in zip(task, results, strict=True)} == local_results(JOB, CHUNKS)


def test_worker_killed_mid_sweep_every_cell_stored_once(own_cluster, tmp_path):
    grid_options = {"temperature": "0.3:1.5:6", "top_p": "0.5:1.0:6"}
    spec = SweepSpec(JOB.source, build_grid(grid_options), JOB.samples, JOB.seed,
                     memory_budget=2**20)  # one cell per chunk, so one per task
    urls = {name: f"sqlite:///{tmp_path / name}.db" for name in ("dask", "local")}
    engine, sessions = open_database(urls["dask"])
    run_id = create(sessions, spec)
    stored, killed = [0], []
    with DaskExecutor(own_cluster.scheduler_address) as executor:
        client = executor.client
        client.wait_for_workers(2, timeout=120)
        pids = client.run(os.getpid)

        def on_cells(count: int) -> None:
            stored[0] += count
            if not killed and stored[0] >= 6:
                killed.append(_kill_a_busy_worker(client, pids))

        assert execute(sessions, run_id, on_cells=on_cells, executor=executor) == 36
    assert killed and stored[0] == 36
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Cell)) == 36
    rows = cell_rows(sessions, run_id)
    engine.dispose()
    local_engine, local_sessions = open_database(urls["local"])
    execute(local_sessions, create(local_sessions, spec))
    assert rows == cell_rows(local_sessions, 1)
    local_engine.dispose()
