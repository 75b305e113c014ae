"""Run one scenario with locust, headless, as a bounded subprocess; return its parsed stats."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from runner.loadtest.csvstats import Stats, read_failures, read_stats
from runner.loadtest.scenarios import LOCUSTFILE, ROOT, SCENARIOS

# locust's exit code when a run had failed requests; anything else but 0 is locust's own error.
FAILED_REQUESTS_EXIT = 3
# Seconds users get to finish their request at the end, and extra seconds before we kill locust.
STOP_TIMEOUT_S = 5
GRACE_S = 60


@dataclass
class LocustRun:
    """What one locust process produced."""

    scenario: str
    stats: Stats
    failures: list[dict]
    exit_code: int
    csv_prefix: Path
    log_path: Path


def locust_command(scenario: str, host: str, users: int, spawn_rate: float, seconds: float,
                   csv_prefix: Path, user_rate: float = 0.0, max_requests: int = 0) -> list[str]:
    """The locust command line for one headless, time- and count-bounded run."""
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
            "-u", str(users), "-r", str(spawn_rate), "--run-time", f"{seconds:g}s",
            "--host", host, "--csv", str(csv_prefix), "--only-summary",
            "--stop-timeout", str(STOP_TIMEOUT_S),
            "--exit-code-on-error", str(FAILED_REQUESTS_EXIT),
            "--user-rate", f"{user_rate:g}", "--max-requests", str(max_requests),
            SCENARIOS[scenario].user_class]


def run_locust(scenario: str, host: str, users: int, spawn_rate: float, seconds: float,
               out_dir: Path, user_rate: float = 0.0, max_requests: int = 0) -> LocustRun:
    """Run locust to completion (killed after the run time plus GRACE_S); RuntimeError if it
    crashed or wrote no stats."""
    csv_prefix = out_dir / scenario
    log_path = out_dir / f"{scenario}.locust.log"
    command = locust_command(scenario, host, users, spawn_rate, seconds, csv_prefix,
                             user_rate, max_requests)
    with log_path.open("wb") as log:
        try:
            code = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                  timeout=seconds + STOP_TIMEOUT_S + GRACE_S).returncode
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"locust ({scenario}) did not stop; see {log_path}") from None
    tail = log_path.read_text(errors="replace")[-3000:]
    if code not in (0, FAILED_REQUESTS_EXIT):
        raise RuntimeError(f"locust ({scenario}) exited with {code}:\n{tail}")
    try:
        stats = read_stats(csv_prefix)
    except (OSError, ValueError) as error:
        raise RuntimeError(f"locust ({scenario}) wrote no stats ({error}):\n{tail}") from None
    return LocustRun(scenario, stats, read_failures(csv_prefix), code, csv_prefix, log_path)
