"""One `logitlab loadtest` invocation: server, baseline run, scenario run, checks, record."""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from runner.loadtest.csvstats import after, read_history
from runner.loadtest.locustrun import LocustRun, run_locust
from runner.loadtest.monitor import Monitor
from runner.loadtest.scenarios import BASELINE, SCENARIOS
from runner.loadtest.server import Server, healthy, worker_pids
from runner.loadtest.verdict import Thresholds, failed_checks
from runner.storage import code_version

# A sync gunicorn worker serves one request at a time: killing it can fail at most this many.
IN_FLIGHT_PER_SYNC_WORKER = 1
REPLACE_TIMEOUT_S = 30.0


@dataclass
class LoadTestConfig:
    """Everything a run is configured with."""

    scenario: str
    users: int
    spawn_rate: float
    duration_s: float
    out_dir: Path
    host: str | None = None
    workers: int | None = None
    baseline: bool = True
    baseline_duration_s: float | None = None
    user_rate: float = 0.0
    max_requests: int | None = None
    kill_worker_at_s: float | None = None
    rss_interval_s: float = 1.0
    rss_warmup_s: float = 10.0
    db_url: str | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)

    def request_bound(self, seconds: float) -> int:
        """--max-requests, else a bound no run on one machine reaches (5000 req/s)."""
        return self.max_requests or max(1000, int(seconds * 5000))


def _locust_version() -> str:
    try:
        return version("locust")
    except PackageNotFoundError:  # pragma: no cover - locust is required to get here
        return "unknown"


def echo_enabled(base_url: str) -> bool:
    """True when the server answers POST /echo (LOGITLAB_ENABLE_ECHO=1)."""
    request = urllib.request.Request(f"{base_url}/echo", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def _locust(config: LoadTestConfig, scenario: str, host: str, seconds: float,
            user_rate: float) -> LocustRun:
    return run_locust(scenario, host, config.users, config.spawn_rate, seconds, config.out_dir,
                      user_rate, config.request_bound(seconds))


def _fault(server: Server, monitor: Monitor, workers: int, main: LocustRun) -> dict:
    """Whether the killed worker was replaced (and the server answers), what failed, and how
    many requests the run made after the kill (locust's per-second history)."""
    deadline = time.monotonic() + REPLACE_TIMEOUT_S
    while True:
        now = worker_pids(server.pid)
        replaced = len(now) == workers and monitor.killed not in now and healthy(server.base_url)
        if replaced or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    later, _ = after(read_history(main.csv_prefix), monitor.killed_at_unix or 0.0)
    return {"killed_pid": monitor.killed, "killed_at_s": monitor.killed_at_s,
            "replaced": replaced, "workers_after": now,
            "failed_requests": main.stats.failures, "requests_after_kill": later,
            "in_flight_bound": IN_FLIGHT_PER_SYNC_WORKER}


def check_config(config: LoadTestConfig) -> None:
    """ValueError for a scenario that cannot run, or options that need our own server."""
    scenario = SCENARIOS.get(config.scenario)
    if scenario is None:
        raise ValueError(f"unknown scenario {config.scenario!r}; known: {', '.join(SCENARIOS)}")
    if scenario.unavailable:
        raise ValueError(f"scenario {scenario.name} is unavailable: {scenario.unavailable}")
    if config.host and config.kill_worker_at_s is not None:
        raise ValueError("--kill-worker-at needs the server this command starts (omit --host)")
    if config.kill_worker_at_s is not None and config.kill_worker_at_s >= config.duration_s:
        raise ValueError("--kill-worker-at must fall inside --duration")


def execute(config: LoadTestConfig, say: Callable[[str], None] = print) -> dict:
    """Run the baseline and the scenario; return the record to store (numbers, checks)."""
    check_config(config)
    config.out_dir.mkdir(parents=True, exist_ok=True)
    server = None
    workers = config.workers or len(os.sched_getaffinity(0))
    if config.host is None:
        server = Server(workers, config.out_dir / "server.log", config.db_url)
        say(f"starting logitlab serve on {server.base_url} ({workers} workers)")
    try:
        if server is not None:
            server.wait_ready()
        host = config.host or server.base_url
        baseline, baseline_note = None, None
        if config.baseline and config.scenario != BASELINE:
            if echo_enabled(host):
                seconds = config.baseline_duration_s or config.duration_s
                say(f"baseline: {BASELINE} for {seconds:g} s")
                # Closed loop even when the scenario is paced: the baseline is the ceiling.
                baseline = _locust(config, BASELINE, host, seconds, user_rate=0.0)
            else:
                baseline_note = f"no baseline: {host} does not serve POST /echo " \
                                "(start it with LOGITLAB_ENABLE_ECHO=1)"
                say(baseline_note)
        monitor = None
        if server is not None:
            monitor = Monitor(server.pid, config.rss_interval_s,
                              min(config.rss_warmup_s, config.duration_s / 4),
                              config.kill_worker_at_s)
            monitor.start()
        say(f"scenario: {config.scenario} for {config.duration_s:g} s, {config.users} users")
        try:
            main = _locust(config, config.scenario, host, config.duration_s, config.user_rate)
        finally:
            if monitor is not None:
                monitor.stop()
        fault = None
        if monitor is not None and config.kill_worker_at_s is not None:
            fault = _fault(server, monitor, workers, main)
    finally:
        if server is not None:
            server.stop()
    return _record(config, host, server is not None, workers, main, baseline, baseline_note,
                   monitor.rss_report() if monitor else None, fault)


def _record(config: LoadTestConfig, host: str, self_hosted: bool, workers: int,
            main: LocustRun, baseline: LocustRun | None, baseline_note: str | None,
            rss: dict | None, fault: dict | None) -> dict:
    numbers = main.stats.as_dict()
    endpoints = numbers.pop("endpoints")
    base = baseline.stats.as_dict() if baseline else None
    ratio = numbers["rps"] / base["rps"] if base and base["rps"] else None
    record = {
        "scenario": config.scenario, "host": host, "self_hosted": self_hosted,
        "users": config.users, "spawn_rate": config.spawn_rate,
        "duration_s": config.duration_s, "workers": workers if self_hosted else None,
        "config": {"user_rate": config.user_rate,
                   "max_requests": config.request_bound(config.duration_s),
                   "baseline": config.baseline, "baseline_scenario": BASELINE,
                   "baseline_duration_s": config.baseline_duration_s or config.duration_s,
                   "kill_worker_at_s": config.kill_worker_at_s,
                   "thresholds": config.thresholds.as_dict(), "cores": os.cpu_count(),
                   "baseline_note": baseline_note},
        **numbers, "endpoints": endpoints, "failure_messages": main.failures,
        "baseline": base, "baseline_rps": base["rps"] if base else None, "baseline_ratio": ratio,
        "rss": rss, "rss_growth_pct": rss["max_growth_pct"] if rss else None, "fault": fault,
        "code_version": code_version(), "locust_version": _locust_version(),
        "csv_dir": str(config.out_dir),
    }
    record["problems"] = failed_checks(record, config.thresholds)
    record["passed"] = not record["problems"]
    return record
