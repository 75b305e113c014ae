"""GET /runs/{id}, /cells, /heatmap.png and the run page of a real generation sweep."""

import pytest

from runner.generation_storage import generation_rows
from service.db import open_database
from service.db.models import GENERATION_STATS, METRICS, PARAMETERS
from tests.generation.stored_runs import generation_run, token_run

PROBLEM = "application/problem+json"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('generation-runs') / 'lab.db'}"
    engine, sessions = open_database(url)
    runs = {"gen": generation_run(sessions), "tokens": token_run(sessions),
            "no_bleu": generation_run(sessions, self_bleu=False, name="no-bleu")}
    stored = generation_rows(sessions, runs["gen"])
    engine.dispose()
    return url, runs, stored


@pytest.fixture
def api(database, make_app):
    return make_app(DATABASE_URL=database[0]).test_client()


def _cells(api, run_id, query=""):
    response = api.get(f"/runs/{run_id}/cells?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_show_counts_generation_cells(api, database):
    _, runs, _ = database
    run = api.get(f"/runs/{runs['gen']}").get_json()
    assert run["engine"] == "generation" and run["name"] == "gen"
    assert run["cells_done"] == run["n_cells"] == 4 and run["status"] == "finished"
    listed = {r["id"]: r["cells_done"] for r in api.get("/runs").get_json()["items"]}
    assert listed == {runs["gen"]: 4, runs["tokens"]: 4, runs["no_bleu"]: 4}


def test_cells_are_the_stored_generation_statistics(api, database):
    _, runs, stored = database
    body = _cells(api, runs["gen"])
    assert body["total"] == 4
    columns = PARAMETERS + GENERATION_STATS
    assert [{k: c[k] for k in columns} for c in body["items"]] == stored
    only_token = set(METRICS) - set(GENERATION_STATS)
    assert not only_token & set(body["items"][0])  # no entropy, kept_mass, ... keys
    assert all(c["run_id"] == runs["gen"] for c in body["items"])
    unscored = _cells(api, runs["no_bleu"])["items"]
    assert [c["self_bleu"] for c in unscored] == [None] * 4


def test_cells_filters_ranges_order_and_pages(api, database):
    _, runs, stored = database
    hot = _cells(api, runs["gen"], "temperature=1.5")
    assert hot["total"] == 2 and {c["top_p"] for c in hot["items"]} == {0.5, 1.0}
    ordered = _cells(api, runs["gen"], "order_by=-distinct_2")["items"]
    assert [c["distinct_2"] for c in ordered] == sorted((r["distinct_2"] for r in stored),
                                                        reverse=True)
    cut = sorted(r["self_bleu"] for r in stored)[1]
    ranged = _cells(api, runs["gen"], f"self_bleu_max={cut}&order_by=self_bleu")
    assert [c["self_bleu"] for c in ranged["items"]] == sorted(r["self_bleu"] for r in stored)[:2]
    lengths = _cells(api, runs["gen"], "mean_length_min=0&order_by=mean_length&limit=3&offset=1")
    assert lengths["total"] == 4 and len(lengths["items"]) == 3
    everything = _cells(api, runs["gen"], "order_by=mean_length")["items"]
    assert lengths["items"] == everything[1:4]


@pytest.mark.parametrize(
    ("run", "query", "field", "allowed"),
    [
        ("gen", "order_by=entropy", "order_by", "distinct_2"),
        ("gen", "order_by=-kept_mass", "order_by", "mean_length"),
        ("gen", "entropy_min=1", "entropy_min", "self_bleu_min"),
        ("tokens", "order_by=mean_length", "order_by", "entropy"),
        ("tokens", "self_bleu_max=1", "self_bleu_max", "entropy_max"),
    ],
)
def test_another_engines_statistic_is_422_naming_the_allowed(api, database, run, query, field,
                                                             allowed):
    _, runs, _ = database
    response = api.get(f"/runs/{runs[run]}/cells?{query}")
    assert response.status_code == 422 and response.mimetype == PROBLEM
    body = response.get_json()
    assert list(body["errors"]) == [field] and allowed in body["detail"]
    assert ("generation" if run == "gen" else "token-level") in body["detail"]


def test_heatmap_png_of_a_generation_metric(api, database):
    _, runs, _ = database
    for metric in ("distinct_2", "self_bleu", "mean_length", "repetition_rate"):
        response = api.get(f"/runs/{runs['gen']}/heatmap.png?metric={metric}")
        assert response.status_code == 200 and response.mimetype == "image/png", metric
        assert response.data.startswith(b"\x89PNG")
    wrong = api.get(f"/runs/{runs['gen']}/heatmap.png?metric=entropy")
    assert wrong.status_code == 422 and "distinct_2" in wrong.get_json()["errors"]["metric"][0]
    token_side = api.get(f"/runs/{runs['tokens']}/heatmap.png?metric=self_bleu")
    assert token_side.status_code == 422 and "entropy" in token_side.get_json()["detail"]
    unscored = api.get(f"/runs/{runs['no_bleu']}/heatmap.png?metric=self_bleu")
    assert unscored.status_code == 422 and "self_bleu" in unscored.get_json()["detail"]


def test_openapi_says_cells_depend_on_the_engine(api):
    spec = api.get("/openapi.json").get_json()
    cell = spec["components"]["schemas"]["Cell"]
    assert "generation" in cell["description"] and not cell.get("required")
    assert {"entropy", "mean_length", "self_bleu"} <= set(cell["properties"])
    assert cell["properties"]["self_bleu"]["nullable"] is True


def test_run_page_offers_the_runs_own_statistics(api, database):
    _, runs, _ = database
    page = api.get(f"/runs/{runs['gen']}", headers={"Accept": BROWSER})
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert '<option value="distinct_2" selected>' in text
    assert 'value="mean_length"' in text and 'value="entropy"' not in text
    tokens = api.get(f"/runs/{runs['tokens']}", headers={"Accept": BROWSER})
    assert '<option value="entropy" selected>' in tokens.get_data(as_text=True)


@pytest.mark.parametrize("run_id", [999999, 2**70])
def test_run_page_of_a_missing_run_is_a_friendly_404(api, run_id):
    page = api.get(f"/runs/{run_id}", headers={"Accept": BROWSER})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert f"Run {run_id} not found" in page.get_data(as_text=True)
    assert "Accept" in page.vary
    data = api.get(f"/runs/{run_id}", headers={"Accept": "application/json"})
    assert data.status_code == 404 and data.mimetype == PROBLEM
