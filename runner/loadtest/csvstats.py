"""Read locust's `<prefix>_stats.csv`: totals from the Aggregated row, one dict per endpoint."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path


def _number(text: str | None) -> float | None:
    """A CSV cell as a float; locust writes "N/A" (or nothing) when no request was made."""
    try:
        return float(text) if text not in (None, "", "N/A") else None
    except ValueError:
        return None


@dataclass
class Stats:
    """The numbers of one locust run (times in milliseconds)."""

    requests: int
    failures: int
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    avg_ms: float | None
    max_ms: float | None
    endpoints: list[dict] = field(default_factory=list)

    @property
    def failure_ratio(self) -> float:
        """Failed requests over all requests (0 when none were made)."""
        return self.failures / self.requests if self.requests else 0.0

    def as_dict(self) -> dict:
        """Plain values, endpoints included."""
        return {"requests": self.requests, "failures": self.failures, "rps": self.rps,
                "failure_ratio": self.failure_ratio, "p50_ms": self.p50_ms,
                "p95_ms": self.p95_ms, "p99_ms": self.p99_ms, "avg_ms": self.avg_ms,
                "max_ms": self.max_ms, "endpoints": self.endpoints}


def _row(row: dict[str, str]) -> dict:
    return {"method": row.get("Type") or None, "name": row["Name"],
            "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
            "rps": _number(row["Requests/s"]) or 0.0, "p50_ms": _number(row["50%"]),
            "p95_ms": _number(row["95%"]), "p99_ms": _number(row["99%"]),
            "avg_ms": _number(row["Average Response Time"]),
            "max_ms": _number(row["Max Response Time"])}


def parse_stats(text: str) -> Stats:
    """Parse the content of a `_stats.csv`; ValueError if it has no Aggregated row."""
    rows = [_row(row) for row in csv.DictReader(text.splitlines())]
    total = next((row for row in rows if row["name"] == "Aggregated" and not row["method"]), None)
    if total is None:
        raise ValueError("locust stats CSV without an Aggregated row")
    return Stats(requests=total["requests"], failures=total["failures"], rps=total["rps"],
                 p50_ms=total["p50_ms"], p95_ms=total["p95_ms"], p99_ms=total["p99_ms"],
                 avg_ms=total["avg_ms"], max_ms=total["max_ms"],
                 endpoints=[row for row in rows if row is not total])


def read_stats(prefix: Path) -> Stats:
    """The stats of the run whose `--csv` prefix was `prefix`."""
    return parse_stats(Path(f"{prefix}_stats.csv").read_text())


def read_failures(prefix: Path) -> list[dict]:
    """`<prefix>_failures.csv`: one dict per distinct error (method, name, error, occurrences)."""
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    return [{"method": row["Method"], "name": row["Name"], "error": row["Error"],
             "occurrences": int(row["Occurrences"])}
            for row in csv.DictReader(path.read_text().splitlines())]


def parse_history(text: str) -> list[tuple[int, int, int]]:
    """`_stats_history.csv` content: (unix second, total requests, total failures) per row of
    the Aggregated series, in time order."""
    return [(int(row["Timestamp"]), int(row["Total Request Count"]),
             int(row["Total Failure Count"]))
            for row in csv.DictReader(text.splitlines()) if row["Name"] == "Aggregated"]


def read_history(prefix: Path) -> list[tuple[int, int, int]]:
    """The per-second totals of the run whose `--csv` prefix was `prefix` (empty if none)."""
    path = Path(f"{prefix}_stats_history.csv")
    return parse_history(path.read_text()) if path.exists() else []


def after(history: list[tuple[int, int, int]], moment: float) -> tuple[int, int]:
    """Requests and failures counted after the unix time `moment` (to the second)."""
    if not history:
        return 0, 0
    before = [row for row in history if row[0] <= moment]
    base = before[-1] if before else (0, 0, 0)
    return history[-1][1] - base[1], history[-1][2] - base[2]
