"""Pass/fail: the thresholds a run is held to, and the checks it failed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    """Limits a run must stay within; None = not checked."""

    max_failure_ratio: float | None = 0.0
    max_p95_ms: float | None = None
    max_rss_growth_pct: float | None = None

    def as_dict(self) -> dict:
        """Plain values."""
        return {"max_failure_ratio": self.max_failure_ratio, "max_p95_ms": self.max_p95_ms,
                "max_rss_growth_pct": self.max_rss_growth_pct}


def failed_checks(numbers: dict, thresholds: Thresholds) -> list[str]:
    """One message per threshold the run's numbers exceed; also a run without requests, and a
    fault run that killed no worker, whose worker was not replaced, which stopped after the
    kill or which lost more than the killed worker's in-flight requests."""
    problems = []
    if not numbers["requests"]:
        problems.append("no request was made")
    fault = numbers.get("fault")
    # A fault run's killed worker drops what it had in flight, checked on its own below; only
    # failures beyond those count against the ratio.
    excused = min(numbers["failures"], fault.get("in_flight_bound", 0)) if fault else 0
    ratio = ((numbers["failures"] - excused) / numbers["requests"] if excused
             else numbers["failure_ratio"])
    limit = thresholds.max_failure_ratio
    if limit is not None and ratio > limit:
        why = f"; {excused} excused as the killed worker's in flight" if excused else ""
        problems.append(f"failure ratio {ratio:.4%} > {limit:.4%} "
                        f"({numbers['failures']} of {numbers['requests']} requests failed{why})")
    limit = thresholds.max_p95_ms
    if limit is not None and (numbers["p95_ms"] is None or numbers["p95_ms"] > limit):
        problems.append(f"p95 {numbers['p95_ms']} ms > {limit:g} ms")
    growth = (numbers.get("rss") or {}).get("max_growth_pct")
    limit = thresholds.max_rss_growth_pct
    if limit is not None and growth is not None and growth > limit:
        problems.append(f"worker RSS grew {growth:.1f} % > {limit:g} %")
    if fault and not fault.get("replaced"):
        problems.append(f"killed worker {fault.get('killed_pid')} was not replaced")
    if fault and fault.get("killed_pid") is None:
        problems.append("no worker was killed (none was running at --kill-worker-at)")
    elif fault and fault.get("replaced") and not fault.get("requests_after_kill"):
        problems.append("the run made no request after the kill")
    if fault and fault.get("failed_requests", 0) > fault.get("in_flight_bound", 0):
        problems.append(f"{fault['failed_requests']} requests failed around the kill, more than "
                        f"the {fault['in_flight_bound']} a killed worker can have in flight")
    return problems
