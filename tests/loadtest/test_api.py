"""GET /loadtests and /loadtests/{id} over stored records; schemathesis finds no 5xx."""

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

from runner.loadtest.storage import get_loadtest, list_loadtests, save
from service import create_app
from service.db import open_database


def record(**changes):
    """A stored run's fields as `logitlab loadtest` produces them."""
    endpoint = {"method": "POST", "name": "/sample json V=1000", "requests": 900, "failures": 0,
                "rps": 60.0, "p50_ms": 4.0, "p95_ms": 9.0, "p99_ms": 15.0, "avg_ms": 5.1,
                "max_ms": 40.2}
    base = {"scenario": "small-json", "host": "http://127.0.0.1:1234", "self_hosted": True,
            "users": 2, "spawn_rate": 2.0, "duration_s": 15.0, "workers": 2,
            "config": {"user_rate": 0.0, "thresholds": {"max_failure_ratio": 0.0}},
            "requests": 900, "failures": 0, "failure_ratio": 0.0, "rps": 60.0, "p50_ms": 4.0,
            "p95_ms": 9.0, "p99_ms": 15.0, "avg_ms": 5.1, "max_ms": 40.2,
            "endpoints": [endpoint], "failure_messages": [],
            "baseline": {**endpoint, "rps": 200.0, "endpoints": []}, "baseline_rps": 200.0,
            "baseline_ratio": 0.3, "rss": {"warmup_s": 3.75, "max_growth_pct": 0.5,
                                           "workers": {"11": {"start_mib": 110.0}}},
            "rss_growth_pct": 0.5, "fault": None, "passed": True, "problems": [],
            "code_version": "0.1.0+gabc", "locust_version": "2.47.0", "csv_dir": "/tmp/x"}
    return base | changes


_FOLDER = tempfile.TemporaryDirectory()  # lives as long as the module
URL = f"sqlite:///{Path(_FOLDER.name) / 'loadtests.db'}"
_engine, _sessions = open_database(URL)
FIRST = save(_sessions, record())
SECOND = save(_sessions, record(scenario="echo", passed=False, problems=["p95 9 ms > 1 ms"],
                                baseline=None, baseline_rps=None, baseline_ratio=None,
                                rss=None, rss_growth_pct=None, self_hosted=False,
                                workers=None))
_engine.dispose()

app = create_app({"TESTING": True, "DATABASE_URL": URL})
schema = schemathesis.openapi.from_wsgi("/openapi.json", app).include(
    path_regex=r"^/loadtests")


@pytest.fixture
def api():
    return app.test_client()


def test_list_newest_first_with_a_scenario_filter(api):
    page = api.get("/loadtests").get_json()
    assert page["total"] == 2 and [item["id"] for item in page["items"]] == [SECOND, FIRST]
    first = page["items"][1]
    assert first["scenario"] == "small-json" and first["rps"] == 60.0 and first["passed"]
    assert first["endpoints"][0]["p95_ms"] == 9.0 and first["baseline_ratio"] == 0.3
    assert first["created_at"].endswith("+00:00")
    only = api.get("/loadtests?scenario=echo").get_json()
    assert only["total"] == 1 and only["items"][0]["problems"] == ["p95 9 ms > 1 ms"]
    assert api.get("/loadtests?limit=1&offset=1").get_json()["items"][0]["id"] == FIRST


def test_show_and_errors(api):
    shown = api.get(f"/loadtests/{FIRST}").get_json()
    assert shown["rss"]["workers"]["11"]["start_mib"] == 110.0 and shown["workers"] == 2
    missing = api.get("/loadtests/999")
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    assert api.get("/loadtests?limit=0").status_code == 422


def test_storage_reads_back():
    engine, sessions = open_database(URL)
    try:
        assert [row.id for row in list_loadtests(sessions, "small-json")] == [FIRST]
        assert get_loadtest(sessions, SECOND).passed is False
        assert get_loadtest(sessions, 999) is None
    finally:
        engine.dispose()


def test_the_schema_covers_the_endpoints():
    paths = {result.ok().path for result in schema.get_all_operations()}
    assert paths == {"/loadtests", "/loadtests/{loadtest_id}"}


@schema.parametrize()
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_api_conforms(case):
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance,
                                   content_type_conformance, response_schema_conformance])


@pytest.mark.parametrize("loadtest_id", [2**63, 2**63 - 1, 10**40])
def test_ids_beyond_64_bits_are_404(api, loadtest_id):
    """SQLite cannot bind an integer of 2**63 or more: that was an OverflowError (a 500)."""
    missing = api.get(f"/loadtests/{loadtest_id}")
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    assert str(loadtest_id) in missing.get_json()["detail"]
