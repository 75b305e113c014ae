"""GET /runs, /runs/{id}, /runs/{id}/cells and /runs/{id}/heatmap.png against a real sweep."""

import pytest

from runner.grid import build_grid
from runner.sources import load_source
from runner.sweep import SweepSpec, create, execute
from service.db import open_database

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('runs') / 'lab.db'}"
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
    return make_app(DATABASE_URL=url).test_client()


def test_list_and_show(api, database):
    _, run_id, other = database
    body = api.get("/runs").get_json()
    assert body["total"] == 2 and [r["id"] for r in body["items"]] == [other, run_id]
    run = api.get(f"/runs/{run_id}").get_json()
    assert run["name"] == "api" and run["status"] == "finished"
    assert run["cells_done"] == run["n_cells"] == 9 and run["seed"] == 7
    assert run["grid"]["top_p"] == [0.5, 0.9, 1.0] and run["preset"] == "vllm"
    assert "1e-9" in run["top_p_rule"]
    assert run["source_sha256"] == load_source(run["source"]).digest()


def test_cells_filters_order_and_pages(api, database):
    _, run_id, _ = database
    body = api.get(f"/runs/{run_id}/cells?temperature=1.0").get_json()
    assert body["total"] == 3 and {c["top_p"] for c in body["items"]} == {0.5, 0.9, 1.0}
    ranged = api.get(f"/runs/{run_id}/cells?entropy_min=2.0&order_by=-entropy").get_json()
    values = [c["entropy"] for c in ranged["items"]]
    assert values == sorted(values, reverse=True) and min(values) >= 2.0
    assert 0 < ranged["total"] < 9
    page = api.get(f"/runs/{run_id}/cells?order_by=entropy&limit=4&offset=4").get_json()
    everything = api.get(f"/runs/{run_id}/cells?order_by=entropy").get_json()["items"]
    assert page["items"] == everything[4:8] and page["total"] == 9
    cell = page["items"][0]
    assert {"temperature", "top_p", "top_k", "min_p", "entropy", "distinct_2",
            "unique_4", "hapax", "kl_to_original"} <= set(cell)


def test_heatmap_png(api, database):
    _, run_id, other = database
    response = api.get(f"/runs/{run_id}/heatmap.png?metric=entropy")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")
    fixed = api.get(f"/runs/{other}/heatmap.png?metric=kept_count&top_k=10")
    assert fixed.status_code == 200 and fixed.data.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/runs/999", 404, None),
        ("/runs/367985433911529196461322403840/heatmap.png?metric=entropy", 404, None),
        ("/runs/999/cells", 404, None),
        ("/runs/999/heatmap.png?metric=entropy", 404, None),
        ("/runs/{id}/heatmap.png?metric=nope", 422, "metric"),
        ("/runs/{id}/heatmap.png", 422, "metric"),
        ("/runs/{id}/heatmap.png?metric=self_bleu", 422, "metric"),  # not computed by the sweep
        ("/runs/{id}/cells?order_by=nope", 422, "order_by"),
        ("/runs/{id}/cells?order_by=-__class__", 422, "order_by"),
        ("/runs/{id}/cells?limit=0", 422, "limit"),
        ("/runs/{id}/cells?limit=100000", 422, "limit"),
        ("/runs/{id}/cells?offset=99999999999999999999", 422, "offset"),
        ("/runs/{id}/cells?top_p=inf", 422, "top_p"),
        ("/runs/{id}/cells?temperature=hot", 422, "temperature"),
        ("/runs/{id}/cells?entropy_min=x", 422, "entropy_min"),
    ],
)
def test_errors_are_problem_json(api, database, path, status, field):
    _, run_id, _ = database
    response = api.get(path.format(id=run_id))
    assert response.status_code == status and response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    if field:
        assert field in body["errors"]


HUGE = "9" * 400  # beyond float64 and a 64-bit column: found by fuzzing (a 500)
CELL_FILTERS = ("temperature", "top_p", "top_k", "min_p", "repetition_penalty", "entropy_min",
                "entropy_max")


@pytest.mark.parametrize(
    ("query", "field"),
    [("heatmap.png?metric=entropy&top_k=" + HUGE, "top_k"),
     (f"heatmap.png?metric=entropy&top_k={2**63}", "top_k"),
     ("heatmap.png?metric=entropy&min_p=" + HUGE, "min_p"),
     ("heatmap.png?metric=entropy&repetition_penalty=" + HUGE, "repetition_penalty"),
     *((f"cells?{name}={HUGE}", name) for name in CELL_FILTERS)],
)
def test_numeric_filters_beyond_the_stored_range_are_422(api, database, query, field):
    _, run_id, _ = database
    response = api.get(f"/runs/{run_id}/{query}")
    assert response.status_code == 422 and response.mimetype == PROBLEM, response.get_data()
    assert field in response.get_json()["errors"]


def test_heatmap_with_an_unfixed_swept_knob_is_422(api, database):
    _, _, other = database
    response = api.get(f"/runs/{other}/heatmap.png?metric=entropy")
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert "top_k" in response.get_json()["detail"]
    assert list(response.get_json()["errors"]) == ["top_k"]  # the one knob left to fix


def test_a_database_of_a_newer_logit_lab_is_a_503_that_says_so(tmp_path, make_app):
    import sqlite3

    url = f"sqlite:///{tmp_path / 'lab.db'}"
    open_database(url)[0].dispose()
    with sqlite3.connect(tmp_path / "lab.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099'")
    response = make_app(DATABASE_URL=url).test_client().get("/runs")
    assert response.status_code == 503 and response.mimetype == PROBLEM
    assert "written by a newer Logit Lab (revision 0099" in response.get_json()["detail"]
