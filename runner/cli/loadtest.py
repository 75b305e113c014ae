"""`logitlab loadtest` (one locust run against the service) and `logitlab loadtests` (stored)."""

from __future__ import annotations

import ipaddress
import json
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import click
from rich.table import Table

from runner.cli.common import console, db_option, open_sessions, plain
from runner.loadtest.scenarios import BASELINE, SCENARIOS
from runner.loadtest.verdict import Thresholds

_SPAN = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?$")


def parse_duration(text: str) -> float:
    """Seconds in "60", "60s", "5m", "1m30s" or "1h"; ValueError otherwise."""
    match = _SPAN.match(text.strip())
    if not text.strip() or not match or not any(match.groups()):
        raise ValueError(f"not a duration: {text!r} (use e.g. 15s, 5m, 1m30s)")
    hours, minutes, seconds = (float(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


class Duration(click.ParamType):
    """A click parameter for parse_duration (value in seconds, > 0)."""

    name = "duration"

    def convert(self, value, param, ctx) -> float:
        """Parse, or fail with click's usage error."""
        if isinstance(value, int | float):
            return float(value)
        try:
            seconds = parse_duration(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)
        if seconds <= 0:
            self.fail("must be longer than 0 s", param, ctx)
        return seconds


def loopback_url(url: str) -> str:
    """The URL without a trailing slash; ValueError unless it is http(s) on a loopback host."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme not in ("http", "https") or not loopback:
        raise ValueError(f"--host must be an http(s) URL on a loopback address "
                         f"(127.0.0.1, ::1, localhost); got {url!r}")
    try:
        port = parts.port  # ValueError for a port that is not a number or beyond 65535
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise ValueError(f"--host must have a port in 1..65535; got {url!r}")
    return url.rstrip("/")


def _num(value: float | None, spec: str) -> str:
    """The number formatted by `spec`, or "n/a" when it is missing (say, a run without
    requests has no latency and no ratio to its baseline)."""
    return "n/a" if value is None else format(value, spec)


def _ms(value: float | None) -> str:
    return _num(value, ".0f")


def summary_lines(record: dict, loadtest_id: int | None = None) -> list[str]:
    """The human summary of one run (a stored LoadTest's columns or a fresh record)."""
    where = f"{record['workers']} workers at " if record.get("workers") else ""
    lines = [f"loadtest {loadtest_id if loadtest_id is not None else ''}: {record['scenario']}, "
             f"{record['users']} users, {_num(record['duration_s'], 'g')} s, "
             f"{where}{record['host']}",
             f"  requests {record['requests']}  failures {record['failures']} "
             f"({_num(record['failure_ratio'], '.2%')})  rps {_num(record['rps'], '.1f')}",
             f"  latency ms: p50 {_ms(record['p50_ms'])}  p95 {_ms(record['p95_ms'])}  "
             f"p99 {_ms(record['p99_ms'])}  max {_ms(record['max_ms'])}"]
    config = record.get("config") or {}
    limits = {key.removeprefix("max_"): value
              for key, value in (config.get("thresholds") or {}).items() if value is not None}
    pacing = f"{config['user_rate']:g} req/s per user" if config.get("user_rate") else "closed loop"
    lines.append(f"  {pacing}; thresholds: "
                 + (", ".join(f"{key} {_num(value, 'g')}" for key, value in limits.items())
                    or "none"))
    base = record.get("baseline")
    if base:
        lines.append(f"  baseline {BASELINE}: rps {_num(base.get('rps'), '.1f')}, p50 "
                     f"{_ms(base.get('p50_ms'))}, p95 {_ms(base.get('p95_ms'))}, failures "
                     f"{_num(base.get('failures'), '')} -> ratio to baseline "
                     f"{_num(record.get('baseline_ratio'), '.3f')}")
    elif config.get("baseline_note"):
        lines.append(f"  {config['baseline_note']}")
    rss = record.get("rss")
    if rss and rss.get("workers"):
        parts = [f"{pid} {_num(w.get('start_mib'), '.1f')} -> {_num(w.get('end_mib'), '.1f')} "
                 f"({_num(w.get('growth_pct'), '+.1f')}%)" for pid, w in rss["workers"].items()]
        lines.append(f"  worker RSS MiB (after {_num(rss.get('warmup_s'), 'g')} s warm-up -> "
                     "end): " + ", ".join(parts))
    fault = record.get("fault")
    if fault:
        lines.append(f"  fault: killed worker {fault['killed_pid']} at "
                     f"{fault['killed_at_s'] or 0:.1f} s; replaced: "
                     f"{'yes' if fault['replaced'] else 'NO'}; failed requests: "
                     f"{fault['failed_requests']} (in flight per sync worker: "
                     f"{fault['in_flight_bound']}); requests after the kill: "
                     f"{fault.get('requests_after_kill')}")
    for failure in (record.get("failure_messages") or [])[:5]:
        lines.append(f"  failure x{failure['occurrences']}: {failure['name']}: "
                     f"{failure['error'][:160]}")
    verdict = "PASS" if record["passed"] else "FAIL: " + "; ".join(record["problems"])
    lines.append(f"  {verdict}   (code {record['code_version']}, locust "
                 f"{record['locust_version']}, CSV in {record.get('csv_dir')})")
    return lines


def _make_out_dir(out_dir: Path | None, scenario: str) -> Path:
    """--out-dir, created now (a click error naming it when it cannot be), or a new temporary
    directory."""
    if out_dir is None:
        return Path(tempfile.mkdtemp(prefix=f"logitlab-loadtest-{scenario}-"))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise click.ClickException(f"cannot create {out_dir}: {error.strerror or error}") from None
    return out_dir


@click.command()
@click.option("--scenario", required=True, type=click.Choice(list(SCENARIOS)),
              help="What to send (`logitlab loadtests scenarios` describes each).")
@click.option("--users", "-u", default=4, show_default=True, type=click.IntRange(1, 1000))
@click.option("--spawn-rate", "-r", default=4.0, show_default=True,
              type=click.FloatRange(0, min_open=True), help="Users started per second.")
@click.option("--duration", "-t", default="60s", show_default=True, type=Duration(),
              help="Run time, e.g. 15s, 5m.")
@click.option("--host", default=None, metavar="URL",
              help="A running service on loopback [default: start `logitlab serve` on a free "
                   "port and stop it afterwards].")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Workers of the server this command starts [default: one per core].")
@click.option("--baseline/--no-baseline", default=True, show_default=True,
              help=f"Also run the {BASELINE} scenario in this invocation and report the ratio.")
@click.option("--baseline-duration", type=Duration(), default=None,
              help="Run time of the baseline [default: --duration].")
@click.option("--user-rate", type=click.FloatRange(0), default=0.0, show_default=True,
              help="Requests per second per user; 0 = closed loop, no wait.")
@click.option("--max-requests", type=click.IntRange(1), default=None,
              help="Stop a run after this many requests [default: 5000 per second of run].")
@click.option("--kill-worker-at", type=click.FloatRange(0), default=None, metavar="SECONDS",
              help="kill -9 one gunicorn worker this far into the run (fault test).")
@click.option("--max-failure-ratio", type=click.FloatRange(0, 1), default=0.0,
              show_default=True, help="Fail (exit 1) above this failed-request ratio.")
@click.option("--max-p95-ms", type=click.FloatRange(0), default=None,
              help="Fail (exit 1) when p95 latency exceeds this.")
@click.option("--max-rss-growth", type=float, default=None, metavar="PCT",
              help="Fail (exit 1) when a worker's RSS grows more than PCT % after warm-up.")
@click.option("--rss-warmup", type=Duration(), default="10s", show_default=True,
              help="RSS growth is measured from this far into each worker's life "
                   "(at most a quarter of --duration).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where locust's CSV files and logs go [default: a new temporary directory].")
@db_option
def loadtest(scenario: str, users: int, spawn_rate: float, duration: float, host: str | None,
             workers: int | None, baseline: bool, baseline_duration: float | None,
             user_rate: float, max_requests: int | None, kill_worker_at: float | None,
             max_failure_ratio: float, max_p95_ms: float | None, max_rss_growth: float | None,
             rss_warmup: float, out_dir: Path | None, db_url: str | None) -> None:
    """Load-test the service with locust (headless) and store the result."""
    from runner.loadtest.run import LoadTestConfig, check_config, execute
    from runner.loadtest.storage import save

    try:
        # out_dir is filled in below: no directory is made for options that are refused.
        config = LoadTestConfig(
            scenario=scenario, users=users, spawn_rate=spawn_rate, duration_s=duration,
            out_dir=out_dir or Path(), host=loopback_url(host) if host else None,
            workers=workers, baseline=baseline, baseline_duration_s=baseline_duration,
            user_rate=user_rate, max_requests=max_requests, kill_worker_at_s=kill_worker_at,
            rss_warmup_s=rss_warmup, db_url=db_url,
            thresholds=Thresholds(max_failure_ratio, max_p95_ms, max_rss_growth))
        check_config(config)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    sessions = open_sessions(db_url)  # fail before the run on a bad --db
    config.out_dir = _make_out_dir(out_dir, scenario)
    err = console(stderr=True)
    try:
        record = execute(config, say=lambda text: err.print(text, markup=False,
                                                            highlight=False))
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    loadtest_id = save(sessions, record)
    click.echo("\n".join(summary_lines(record, loadtest_id)))
    if not record["passed"]:
        click.echo(f"loadtest {loadtest_id} failed: " + "; ".join(record["problems"]), err=True)
        raise SystemExit(1)


@click.group()
def loadtests() -> None:
    """Stored load-test runs: list and show."""


def _as_record(row) -> dict:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


@loadtests.command("list")
@click.option("--scenario", type=click.Choice(list(SCENARIOS)), default=None)
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@db_option
def list_loadtests(scenario: str | None, limit: int, db_url: str | None) -> None:
    """Stored runs, newest first."""
    from runner.loadtest.storage import list_loadtests as stored

    table = Table("id", "created", "scenario", "users", "s", "requests", "failures", "rps",
                  "p50", "p95", "p99", "vs echo", "result")
    for row in stored(open_sessions(db_url), scenario, limit):
        ratio = "" if row.baseline_ratio is None else f"{row.baseline_ratio:.3f}"
        table.add_row(str(row.id), f"{row.created_at:%Y-%m-%d %H:%M}", plain(row.scenario),
                      str(row.users), _num(row.duration_s, "g"), str(row.requests),
                      str(row.failures), _num(row.rps, ".1f"), _ms(row.p50_ms), _ms(row.p95_ms),
                      _ms(row.p99_ms), ratio, "pass" if row.passed else "FAIL")
    console().print(table)


@loadtests.command("show")
@click.argument("loadtest_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Every stored field as JSON.")
@db_option
def show_loadtest(loadtest_id: int, as_json: bool, db_url: str | None) -> None:
    """One stored run: configuration, numbers, baseline, RSS, fault and verdict."""
    from runner.loadtest.storage import get_loadtest

    row = get_loadtest(open_sessions(db_url), loadtest_id)
    if row is None:
        raise click.ClickException(f"no load test with id {loadtest_id}")
    record = _as_record(row)
    if as_json:
        click.echo(json.dumps(record, indent=1, default=str))
        return
    click.echo("\n".join(summary_lines(record, loadtest_id)))
    for endpoint in record["endpoints"]:
        click.echo(f"  {endpoint.get('name')}: {endpoint.get('requests')} requests, "
                   f"{endpoint.get('failures')} failures, {_num(endpoint.get('rps'), '.1f')} "
                   f"rps, p50 {_ms(endpoint.get('p50_ms'))} p95 {_ms(endpoint.get('p95_ms'))} "
                   f"p99 {_ms(endpoint.get('p99_ms'))} ms")


@loadtests.command("scenarios")
def scenarios() -> None:
    """The scenarios `logitlab loadtest --scenario` accepts."""
    for item in SCENARIOS.values():
        note = f"  [unavailable: {item.unavailable}]" if item.unavailable else ""
        click.echo(f"{item.name:12} {item.description}{note}")
