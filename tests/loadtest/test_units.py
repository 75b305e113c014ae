"""Locust CSV parsing, durations, loopback-only hosts, thresholds, bodies and scenarios."""

import io
import json

import numpy as np
import pytest

from loadtest import bodies
from runner.cli.loadtest import loopback_url, parse_duration
from runner.loadtest.csvstats import after, parse_history, parse_stats, read_failures
from runner.loadtest.locustrun import locust_command
from runner.loadtest.scenarios import BASELINE, LOCUSTFILE, SCENARIOS
from runner.loadtest.verdict import Thresholds, failed_checks

# Written by locust 2.47 (`--csv`), two request names plus the Aggregated row.
STATS_CSV = """\
Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,\
Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,\
80%,90%,95%,98%,99%,99.9%,99.99%,100%
POST,/sample mixed top-k,22,0,34,32.56,8.17,94.50,108.0,5.44,0.0,34,41,43,45,46,63,95,95,95,95,95
POST,/sample mixed top-p,21,1,36,34.72,8.41,79.38,109.0,5.19,0.24,36,42,52,54,63,79,79,79,79,79,79
,Aggregated,43,1,35,33.6,8.17,94.50,108.5,10.63,0.24,35,41,47,50,60,70,95,95,95,95,95
"""
EMPTY_CSV = """\
Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,\
Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,\
80%,90%,95%,98%,99%,99.9%,99.99%,100%
,Aggregated,0,0,0,0,0,0,0,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A
"""


def test_parse_stats_takes_totals_from_the_aggregated_row():
    stats = parse_stats(STATS_CSV)
    assert (stats.requests, stats.failures, stats.rps) == (43, 1, 10.63)
    assert (stats.p50_ms, stats.p95_ms, stats.p99_ms, stats.max_ms) == (35, 70, 95, 94.50)
    assert stats.failure_ratio == pytest.approx(1 / 43)
    assert [e["name"] for e in stats.endpoints] == ["/sample mixed top-k", "/sample mixed top-p"]
    assert stats.endpoints[1]["failures"] == 1 and stats.endpoints[1]["p95_ms"] == 79


def test_parse_stats_without_requests_or_totals():
    stats = parse_stats(EMPTY_CSV)
    assert stats.requests == 0 and stats.failure_ratio == 0.0 and stats.p95_ms is None
    with pytest.raises(ValueError, match="Aggregated"):
        parse_stats(STATS_CSV.rsplit("\n", 2)[0])


def test_read_failures(tmp_path):
    (tmp_path / "x_failures.csv").write_text(
        "Method,Name,Error,Occurrences,First Seen,Last Seen\n"
        'POST,/sample json V=1000,"ConnectionResetError(104, \'reset\')",2,1.0,2.0\n')
    assert read_failures(tmp_path / "x") == [{"method": "POST", "name": "/sample json V=1000",
                                             "error": "ConnectionResetError(104, 'reset')",
                                             "occurrences": 2}]
    assert read_failures(tmp_path / "missing") == []


@pytest.mark.parametrize(("text", "seconds"), [("60", 60), ("15s", 15), ("5m", 300),
                                               ("1m30s", 90), ("1h", 3600), ("2.5s", 2.5)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "s", "ten", "5x", "-3s"])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_only_loopback_hosts():
    assert loopback_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    assert loopback_url("http://[::1]:8000") == "http://[::1]:8000"
    assert loopback_url("http://localhost:8000") == "http://localhost:8000"
    for url in ("http://10.0.0.1:8000", "http://example.com", "ftp://127.0.0.1", "127.0.0.1"):
        with pytest.raises(ValueError, match="loopback"):
            loopback_url(url)


def _numbers(**changes):
    base = {"requests": 100, "failures": 0, "failure_ratio": 0.0, "p95_ms": 20.0,
            "rss": {"max_growth_pct": 3.0}, "fault": None}
    return base | changes


def test_thresholds():
    assert failed_checks(_numbers(), Thresholds(0.0, 25.0, 10.0)) == []
    assert failed_checks(_numbers(failures=1, failure_ratio=0.01), Thresholds()) == [
        "failure ratio 1.0000% > 0.0000% (1 of 100 requests failed)"]
    assert failed_checks(_numbers(failures=1, failure_ratio=0.01), Thresholds(0.05)) == []
    assert failed_checks(_numbers(), Thresholds(max_p95_ms=19.9)) == ["p95 20.0 ms > 19.9 ms"]
    assert failed_checks(_numbers(rss={"max_growth_pct": 12.5}),
                         Thresholds(max_rss_growth_pct=10)) == ["worker RSS grew 12.5 % > 10 %"]
    assert failed_checks(_numbers(requests=0), Thresholds()) == ["no request was made"]
    fault = {"killed_pid": 7, "replaced": False}
    assert failed_checks(_numbers(fault=fault), Thresholds()) == [
        "killed worker 7 was not replaced"]
    fault = {"killed_pid": 7, "replaced": True, "failed_requests": 2, "in_flight_bound": 1,
             "requests_after_kill": 50}
    assert failed_checks(_numbers(failures=2, failure_ratio=0.02, fault=fault),
                         Thresholds(0.05)) == [
        "2 requests failed around the kill, more than the 1 a killed worker can have in flight"]
    assert failed_checks(_numbers(fault=fault | {"failed_requests": 1}), Thresholds()) == []
    # The killed worker's own request does not count against --max-failure-ratio: a fault run
    # passes with the default 0 when nothing else failed (found running the README's example).
    assert failed_checks(_numbers(failures=1, failure_ratio=0.01,
                                  fault=fault | {"failed_requests": 1}), Thresholds()) == []
    assert failed_checks(_numbers(failures=2, failure_ratio=0.02, fault=fault),
                         Thresholds(0.005)) == [
        "failure ratio 1.0000% > 0.5000% (2 of 100 requests failed; 1 excused as the killed "
        "worker's in flight)",
        "2 requests failed around the kill, more than the 1 a killed worker can have in flight"]
    assert failed_checks(_numbers(fault=fault | {"failed_requests": 1, "requests_after_kill": 0}),
                         Thresholds()) == ["the run made no request after the kill"]
    assert failed_checks(_numbers(fault={"killed_pid": None, "replaced": True}),
                         Thresholds()) == [
        "no worker was killed (none was running at --kill-worker-at)"]


def test_requests_after_a_moment_from_the_history():
    history = parse_history(
        "Timestamp,User Count,Type,Name,Requests/s,Failures/s,Total Request Count,"
        "Total Failure Count\n"
        "100,0,,Aggregated,0,0,0,0\n101,2,,Aggregated,5,0,40,0\n"
        "102,2,,Aggregated,5,0,90,1\n103,2,,Aggregated,5,0,150,1\n")
    assert history == [(100, 0, 0), (101, 40, 0), (102, 90, 1), (103, 150, 1)]
    assert after(history, 101.5) == (110, 1)
    assert after(history, 99) == (150, 1) and after(history, 103) == (0, 0)
    assert after([], 5) == (0, 0)


def test_bodies_are_built_once_and_valid():
    assert bodies.small_json() is bodies.small_json()
    assert bodies.npy(8) is bodies.npy(8)
    small = json.loads(bodies.small_json())
    assert len(small["logits"]) == bodies.SMALL_V and small["seed"] == 1
    assert len(json.loads(bodies.realistic_json())["logits"]) == bodies.REALISTIC_V
    array = np.load(io.BytesIO(bodies.npy(8)))
    assert array.shape == (8, bodies.LLAMA3_V) and array.dtype == np.float32
    names = [name for name, _ in bodies.mixed()]
    assert names == ["top-k", "top-p", "min-p", "penalties", "combined"]
    penalties = json.loads(dict(bodies.mixed())["penalties"])
    assert len(penalties["context"]) == 256 and penalties["repetition_penalty"] == 1.2


def test_every_available_scenario_has_a_user_class():
    source = LOCUSTFILE.read_text()
    for scenario in SCENARIOS.values():
        assert f"class {scenario.user_class}(LogitLabUser)" in source
    assert BASELINE in SCENARIOS and SCENARIOS[BASELINE].unavailable is None


def test_locust_command_is_headless_and_bounded(tmp_path):
    command = locust_command("npy-b8", "http://127.0.0.1:1", 3, 1.5, 60, tmp_path / "x",
                             max_requests=500)
    for flag, value in (("-u", "3"), ("-r", "1.5"), ("--run-time", "60s"),
                        ("--host", "http://127.0.0.1:1"), ("--csv", str(tmp_path / "x")),
                        ("--max-requests", "500")):
        assert command[command.index(flag) + 1] == value
    assert "--headless" in command and "--exit-code-on-error" in command
    assert command[-1] == "NpyB8User"


def test_an_unavailable_scenario_is_refused_before_any_run(monkeypatch, tmp_path):
    from runner.loadtest import run
    from runner.loadtest.scenarios import Scenario

    monkeypatch.setitem(SCENARIOS, "later", Scenario("later", "LaterUser", "not yet",
                                                     unavailable="its endpoint is not merged"))
    config = run.LoadTestConfig("later", 1, 1, 5, tmp_path)
    with pytest.raises(ValueError, match="later is unavailable: its endpoint is not merged"):
        run.check_config(config)
    with pytest.raises(ValueError, match="unknown scenario"):
        run.check_config(run.LoadTestConfig("nope", 1, 1, 5, tmp_path))
    with pytest.raises(ValueError, match="inside --duration"):
        run.check_config(run.LoadTestConfig("echo", 1, 1, 5, tmp_path, kill_worker_at_s=5))


def _fake_locust(calls):
    from runner.loadtest.locustrun import LocustRun

    def run_locust(scenario, host, users, spawn_rate, seconds, out_dir, user_rate,
                   max_requests):
        calls.append({"scenario": scenario, "seconds": seconds, "user_rate": user_rate,
                      "max_requests": max_requests})
        stats = parse_stats(STATS_CSV.replace("10.63", "40.0" if scenario == BASELINE
                                              else "10.0"))
        return LocustRun(scenario, stats, [], 0, out_dir / scenario, out_dir / "log")

    return run_locust


def test_baseline_runs_closed_loop_and_gives_the_ratio(monkeypatch, tmp_path):
    from runner.loadtest import run

    calls = []
    monkeypatch.setattr(run, "run_locust", _fake_locust(calls))
    monkeypatch.setattr(run, "echo_enabled", lambda host: True)
    config = run.LoadTestConfig("mixed", 2, 2, 20, tmp_path, host="http://127.0.0.1:1",
                                baseline_duration_s=5, user_rate=3.0,
                                thresholds=Thresholds(max_failure_ratio=0.05))
    record = run.execute(config, say=lambda text: None)
    assert calls == [
        {"scenario": "echo", "seconds": 5, "user_rate": 0.0, "max_requests": 25_000},
        {"scenario": "mixed", "seconds": 20, "user_rate": 3.0, "max_requests": 100_000}]
    assert record["baseline_rps"] == 40.0 and record["baseline_ratio"] == 0.25
    assert record["rss"] is None and record["fault"] is None and not record["self_hosted"]
    assert record["passed"] and record["failures"] == 1


def test_no_baseline_when_the_host_has_no_echo(monkeypatch, tmp_path):
    from runner.loadtest import run

    calls = []
    monkeypatch.setattr(run, "run_locust", _fake_locust(calls))
    monkeypatch.setattr(run, "echo_enabled", lambda host: False)
    config = run.LoadTestConfig("small-json", 1, 1, 3, tmp_path, host="http://127.0.0.1:1")
    record = run.execute(config, say=lambda text: None)
    assert [call["scenario"] for call in calls] == ["small-json"]
    assert record["baseline"] is None and record["baseline_ratio"] is None
    assert "LOGITLAB_ENABLE_ECHO=1" in record["config"]["baseline_note"]
    assert not record["passed"]  # the default threshold: no failed request at all
