"""Property-based tests of the /runs operations from /openapi.json: no 5xx, schema conformance."""

import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from runner.grid import build_grid
from runner.sweep import SweepSpec, create, execute
from service import create_app
from service.db import open_database
from tests.generation.stored_runs import generation_run

pytestmark = pytest.mark.slow

_FOLDER = tempfile.TemporaryDirectory()  # lives as long as the module
URL = f"sqlite:///{Path(_FOLDER.name) / 'runs.db'}"
_engine, _sessions = open_database(URL)
execute(_sessions, create(_sessions, SweepSpec(
    "zipf:V=100,rows=2", build_grid({"temperature": "0.5,1", "top_p": "0.5,1"}), 8, 1)))
with pytest.MonkeyPatch.context() as _patch:  # the default model's cache stays in the folder
    _patch.setenv("LOGITLAB_CACHE_DIR", _FOLDER.name)
    GENERATION_RUN = generation_run(_sessions, self_bleu=False)  # self_bleu null in every cell
_engine.dispose()

app = create_app({"TESTING": True, "DATABASE_URL": URL})
schema = schemathesis.openapi.from_wsgi("/openapi.json", app).include(path_regex=r"^/runs")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def test_the_schema_covers_the_endpoints():
    paths = {result.ok().path for result in schema.get_all_operations()}
    assert paths == {"/runs", "/runs/{run_id}", "/runs/{run_id}/cells",
                     "/runs/{run_id}/heatmap.png"}


@schema.parametrize()
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_api_conforms(case):
    case.call_and_validate(checks=CHECKS)


@pytest.mark.parametrize("query", [{}, {"order_by": "-distinct_2", "mean_length_min": "0"},
                                   {"order_by": "entropy"}, {"temperature": "1.5"}])
def test_generation_cells_conform(query):
    case = schema["/runs/{run_id}/cells"]["GET"].Case(
        path_parameters={"run_id": GENERATION_RUN}, query=query)
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code == (422 if query.get("order_by") == "entropy" else 200)
    if response.status_code == 200:
        assert response.json()["items"] and "mean_length" in response.json()["items"][0]


def test_generation_run_and_heatmap_conform():
    run = schema["/runs/{run_id}"]["GET"].Case(path_parameters={"run_id": GENERATION_RUN})
    assert run.call_and_validate(checks=CHECKS).json()["cells_done"] == 4
    png = schema["/runs/{run_id}/heatmap.png"]["GET"].Case(
        path_parameters={"run_id": GENERATION_RUN}, query={"metric": "distinct_2"})
    assert png.call_and_validate(checks=CHECKS).content.startswith(b"\x89PNG")
