"""The runs API's own tests (tests/service_runs/test_runs_api.py), against PostgreSQL."""

import pytest

from runner.grid import build_grid
from runner.sweep import SweepSpec, create, execute
from service.db import open_database
from tests.service_runs.test_runs_api import (  # noqa: F401 - collected here, on PostgreSQL
    test_cells_filters_order_and_pages,
    test_errors_are_problem_json,
    test_heatmap_png,
    test_heatmap_with_an_unfixed_swept_knob_is_422,
    test_list_and_show,
)


@pytest.fixture(scope="module")
def database(make_pg_database):
    """The same two runs as the SQLite module's fixture, in a fresh PostgreSQL database."""
    url = make_pg_database()
    engine, sessions = open_database(url)
    grid = build_grid({"temperature": "0.5,1.0,1.5", "top_p": "0.5,0.9,1.0"})
    run_id = create(sessions, SweepSpec("zipf:V=200,s=1.1,rows=3,seed=0", grid, 40, 7,
                                        name="api"))
    execute(sessions, run_id)
    swept_k = build_grid({"temperature": "1.0", "top_p": "0.9,1.0", "top_k": "0,10"})
    other = create(sessions, SweepSpec("zipf:V=200,rows=2", swept_k, 10, 1))
    execute(sessions, other)
    engine.dispose()
    return url, run_id, other


@pytest.fixture
def api(database, make_app):
    url, _, _ = database
    app = make_app(DATABASE_URL=url)
    yield app.test_client()
    state = app.extensions["logitlab_db"]
    if "engine" in state:
        state["engine"].dispose()  # close its PostgreSQL connections
