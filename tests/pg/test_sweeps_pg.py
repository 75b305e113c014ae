"""Sweeps into PostgreSQL: the same cells as SQLite, concurrent writers, the service reading."""

import json

from sqlalchemy import select

from runner.grid import CellParams, build_grid
from runner.storage import cell_rows, get_run, write_cell
from runner.sweep import SweepSpec, create
from service import create_app
from service.db import Cell
from tests.pg.helpers import (
    CELLS,
    SWEEP,
    cell_count,
    finish,
    logitlab,
    reference,
    run_id_of,
    start,
)
from tests.runner.helpers import make_cell_values

SMALL = ["--source", "zipf:V=4000,s=1.1,rows=8,seed=2", "--temperature", "0.5,1.0",
         "--top-p", "0.8,1.0", "--top-k", "0,40", "--samples", "200", "--seed", "3"]


def test_sweep_into_postgres_equals_sqlite_and_the_service_reads_it(pg_url, pg_sessions,
                                                                    tmp_path):
    run_id = run_id_of(finish(start(pg_url, *SMALL)))
    assert get_run(pg_sessions, run_id).status == "finished"
    rows = cell_rows(pg_sessions, run_id)
    assert len(rows) == 8 and rows == reference(tmp_path, *SMALL)
    exported = json.loads(logitlab("runs", "export", str(run_id), "--format", "json",
                                   "--db", pg_url))
    assert exported == rows
    assert "finished" in logitlab("runs", "list", "--db", pg_url)
    app = create_app({"TESTING": True, "DATABASE_URL": pg_url})
    answer = app.test_client().get(f"/runs/{run_id}/cells?order_by=-entropy&limit=100").get_json()
    app.extensions["logitlab_db"]["engine"].dispose()  # close its PostgreSQL connections
    assert answer["total"] == 8
    assert [c["entropy"] for c in answer["items"]] == sorted(
        (r["entropy"] for r in rows), reverse=True)


def test_a_duplicate_cell_is_refused_once_on_postgres(pg_sessions):
    run_id = create(pg_sessions, SweepSpec("zipf:V=100,rows=2,seed=0", build_grid({}), 10, 0))
    cell = CellParams(1.0, 1.0, 0, 0.0, 1.0)
    stats = {k: v for k, v in make_cell_values().items() if k not in cell._fields}
    assert write_cell(pg_sessions, run_id, cell, stats) is True
    assert write_cell(pg_sessions, run_id, cell, stats) is False  # psycopg's unique violation
    assert cell_count(pg_sessions, run_id) == 1


def test_two_concurrent_sweeps_into_one_database(pg_url, pg_sessions, tmp_path):
    first, second = start(pg_url, *SWEEP, "--seed", "1"), start(pg_url, *SWEEP, "--seed", "2")
    ids = [run_id_of(finish(first)), run_id_of(finish(second))]
    assert ids[0] != ids[1]
    spans = []
    for run_id, seed in zip(ids, ("1", "2"), strict=True):
        assert get_run(pg_sessions, run_id).status == "finished"
        assert cell_count(pg_sessions, run_id) == CELLS  # none lost, none twice
        assert cell_rows(pg_sessions, run_id) == reference(tmp_path / seed, *SWEEP,
                                                           "--seed", seed)
        with pg_sessions() as session:
            times = session.scalars(select(Cell.created_at).where(Cell.run_id == run_id)).all()
        spans.append((min(times), max(times)))
    # The two processes really wrote at the same time: their write spans overlap.
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1], spans


def test_two_processes_finishing_the_same_run_write_each_cell_once(pg_url, pg_sessions,
                                                                   tmp_path):
    spec = SweepSpec(SWEEP[1], build_grid({"temperature": SWEEP[3], "top_p": SWEEP[5]}),
                     1000, 5, memory_budget=2**20)
    run_id = create(pg_sessions, spec)
    writers = [start(pg_url, "--resume", str(run_id)) for _ in range(2)]
    for writer in writers:
        assert run_id_of(finish(writer)) == run_id
    assert cell_count(pg_sessions, run_id) == CELLS
    assert cell_rows(pg_sessions, run_id) == reference(tmp_path, *SWEEP, "--seed", "5")


def test_a_dask_sweep_into_postgres_equals_local_on_sqlite(pg_url, pg_sessions, tmp_path):
    # No --scheduler: the sweep starts its own LocalCluster (one worker process per core).
    run_id = run_id_of(finish(start(pg_url, *SWEEP, "--seed", "6", "--executor", "dask")))
    assert cell_count(pg_sessions, run_id) == CELLS
    assert cell_rows(pg_sessions, run_id) == reference(tmp_path, *SWEEP, "--seed", "6")
