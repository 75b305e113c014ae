"""`logitlab sweep --executor ...`: every executor stores the cells the local one stores."""

import dask
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from runner.cli.sweep import sweep
from runner.executors.dask import DaskExecutor
from runner.grid import build_grid
from runner.storage import cell_rows, get_run
from runner.sweep import SweepSpec, create, execute
from service.db import open_database

PREFIX = ["--source", "zipf:V=4000,s=1.1,rows=8,seed=6", "--temperature", "0.3:1.5:5",
          "--top-p", "0.6,0.9,1.0", "--top-k", "0,30", "--samples", "300", "--seed", "4"]
CORE = ["--source", "gaussian:V=1500,rows=4,seed=1,context=5", "--temperature", "0.5,1.0",
        "--top-p", "0.8,1.0", "--repetition-penalty", "1.0,1.2", "--samples", "150",
        "--preset", "llama.cpp", "--memory-mb", "1"]


def _sweep(tmp_path, name: str, *args: str) -> list[dict]:
    url = f"sqlite:///{tmp_path / name}.db"
    result = CliRunner().invoke(sweep, [*args, "--db", url])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("run id 1\n")
    engine, sessions = open_database(url)
    try:
        assert get_run(sessions, 1).status == "finished"
        return cell_rows(sessions, 1)
    finally:
        engine.dispose()


@pytest.mark.parametrize("args", [PREFIX, CORE], ids=["prefix", "core"])
def test_dask_and_processes_store_what_local_stores(tmp_path, cluster, args):
    local = _sweep(tmp_path, "local", *args)
    assert len(local) == (30 if args is PREFIX else 8)
    on_dask = _sweep(tmp_path, "dask", *args, "--executor", "dask",
                     "--scheduler", cluster.scheduler_address)
    assert on_dask == local
    assert _sweep(tmp_path, "processes", *args, "--executor", "processes") == local


def test_resume_on_dask_writes_only_the_missing_cells(tmp_path, cluster):
    engine, sessions = open_database(f"sqlite:///{tmp_path / 'resume.db'}")
    spec = SweepSpec(PREFIX[1], build_grid({"temperature": PREFIX[3], "top_p": PREFIX[5]}),
                     300, 4, memory_budget=2**20)
    run_id = create(sessions, spec)
    with DaskExecutor(cluster.scheduler_address) as executor:
        assert execute(sessions, run_id, executor=executor) == 15
        with sessions.begin() as session:  # lose five cells, as a killed sweep would
            session.execute(text(
                "DELETE FROM cells WHERE id IN (SELECT id FROM cells ORDER BY id LIMIT 5)"))
        before = cell_rows(sessions, run_id)
        assert execute(sessions, run_id, executor=executor) == 5
    after = cell_rows(sessions, run_id)
    engine.dispose()
    assert len(after) == 15 and all(row in after for row in before)
    assert after == _sweep(tmp_path, "local", *PREFIX[:6], "--samples", "300", "--seed", "4")


def test_scheduler_needs_the_dask_executor(tmp_path):
    result = CliRunner().invoke(sweep, [*PREFIX, "--scheduler", "tcp://127.0.0.1:8786",
                                        "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 2
    assert "--scheduler is for --executor dask, not local" in result.output


def test_unreachable_scheduler_records_no_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        result = CliRunner().invoke(sweep, [*PREFIX, "--executor", "dask", "--scheduler",
                                            "tcp://127.0.0.1:9", "--db", url])
    assert result.exit_code == 1
    assert "cannot reach Dask scheduler tcp://127.0.0.1:9" in result.output
    engine, sessions = open_database(url)
    try:
        assert get_run(sessions, 1) is None
    finally:
        engine.dispose()
