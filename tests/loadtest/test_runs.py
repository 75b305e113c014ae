"""Real runs: `logitlab loadtest` against `logitlab serve` on free loopback ports (CI smoke)."""

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from runner.cli import main
from runner.loadtest.server import free_port, healthy

pytestmark = pytest.mark.slow


def _logitlab(*args, timeout=180):
    script = Path(sys.executable).with_name("logitlab")
    assert script.exists(), "the logitlab console script is not installed (pip install -e .)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGITLAB_")}
    return subprocess.run([str(script), *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def _cli(*args):
    """In-process `logitlab ...` (the server and locust still run as real processes)."""
    return CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=False)


def _get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('loadtests') / 'lab.db'}"


@pytest.fixture(scope="module")
def server(db, tmp_path_factory):
    """A separate `logitlab serve` (echo on) reading the same database."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    script = Path(sys.executable).with_name("logitlab")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("LOGITLAB_")},
           "LOGITLAB_ENABLE_ECHO": "1", "LOGITLAB_DATABASE_URL": db,
           "LOGITLAB_LOG_LEVEL": "WARNING"}
    with log.open("wb") as sink:
        process = subprocess.Popen([str(script), "serve", "--port", str(port), "--workers", "2"],
                                   stdout=sink, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not healthy(base):
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(30)


def test_ci_smoke_15s_without_failures(db, server, tmp_path):
    result = _logitlab("loadtest", "--scenario", "small-json", "--users", "2", "--spawn-rate",
                       "2", "--duration", "15s", "--baseline-duration", "5s", "--workers", "2",
                       "--db", db, "--out-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failures 0 (0.00%)" in result.stdout and "PASS" in result.stdout
    assert "ratio to baseline" in result.stdout
    listed = _cli("loadtests", "list", "--db", db)
    assert listed.exit_code == 0 and "small-json" in listed.stdout
    shown = _cli("loadtests", "show", "1", "--json", "--db", db)
    record = json.loads(shown.stdout)
    assert record["scenario"] == "small-json" and record["self_hosted"]
    assert record["requests"] > 0 and record["failures"] == 0 and record["passed"]
    assert record["duration_s"] == 15 and record["users"] == 2 and record["workers"] == 2
    assert record["baseline"]["failures"] == 0 and record["baseline"]["requests"] > 0
    assert record["baseline_ratio"] == pytest.approx(record["rps"] / record["baseline_rps"])
    assert record["p50_ms"] <= record["p95_ms"] <= record["p99_ms"]
    assert set(record["rss"]["workers"]) and record["code_version"].startswith("0.")
    csv_dir = Path(record["csv_dir"])
    assert csv_dir == tmp_path
    assert (csv_dir / "small-json_stats.csv").exists() and (csv_dir / "echo_stats.csv").exists()
    page = _get(f"{server}/loadtests")
    assert page["total"] >= 1
    item = next(i for i in page["items"] if i["id"] == 1)
    assert item["scenario"] == "small-json" and item["failures"] == 0 and item["passed"]
    assert item["requests"] == record["requests"]
    assert _get(f"{server}/loadtests/1")["rps"] == pytest.approx(record["rps"])


def test_impossible_p95_threshold_exits_1(db, server, tmp_path):
    result = _cli("loadtest", "--scenario", "echo", "--users", "1", "--spawn-rate", "1",
                  "--duration", "3s", "--host", server, "--max-p95-ms", "0.001", "--db", db,
                  "--out-dir", tmp_path)
    assert result.exit_code == 1, result.output
    assert "failed: p95" in result.stderr and "> 0.001 ms" in result.stderr
    page = _get(f"{server}/loadtests?scenario=echo")
    assert page["items"][0]["passed"] is False and page["items"][0]["failures"] == 0
    assert page["items"][0]["self_hosted"] is False and page["items"][0]["rss"] is None


def test_killed_worker_is_replaced_and_only_in_flight_requests_fail(db, tmp_path):
    result = _cli("loadtest", "--scenario", "small-json", "--users", "4", "--spawn-rate", "4",
                  "--duration", "8s", "--kill-worker-at", "3", "--no-baseline", "--workers", "2",
                  "--max-failure-ratio", "0.5", "--db", db, "--out-dir", tmp_path)
    assert result.exit_code == 0, result.output
    assert "replaced: yes" in result.stdout
    loadtest_id = re.match(r"loadtest (\d+):", result.stdout).group(1)
    record = json.loads(_cli("loadtests", "show", loadtest_id, "--json", "--db", db).stdout)
    fault = record["fault"]
    assert fault["replaced"] and fault["killed_pid"] not in fault["workers_after"]
    assert len(fault["workers_after"]) == 2
    # A sync worker serves one request at a time: at most that one request may fail.
    assert record["failures"] == fault["failed_requests"] <= 1
    assert record["requests"] > 100 and fault["requests_after_kill"] > 50


def test_unknown_scenario_and_remote_host_are_usage_errors(db):
    result = _cli("loadtest", "--scenario", "nope", "--duration", "1s", "--db", db)
    assert result.exit_code == 2 and "'nope' is not one of" in result.output
    result = _cli("loadtest", "--scenario", "echo", "--host", "http://192.0.2.1:80", "--db", db)
    assert result.exit_code == 2 and "loopback" in result.output
    result = _cli("loadtest", "--scenario", "echo", "--host", "http://127.0.0.1:1",
                  "--kill-worker-at", "1", "--db", db)
    assert result.exit_code == 2 and "omit --host" in result.output
    result = _cli("loadtests", "show", "999", "--db", db)
    assert result.exit_code == 1 and "no load test with id 999" in result.output
