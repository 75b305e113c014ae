"""During a run: sample each gunicorn worker's RSS, and kill -9 one worker when asked."""

from __future__ import annotations

import os
import signal
import threading
import time

from runner.loadtest.server import worker_pids

try:
    import psutil
except ImportError:  # pragma: no cover - psutil is optional
    psutil = None


def rss_bytes(pid: int) -> int | None:
    """Resident set size of `pid` (psutil, else /proc/PID/status), None once it is gone."""
    if psutil is not None:
        try:
            return psutil.Process(pid).memory_info().rss
        except psutil.Error:
            return None
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _mib(size: int) -> float:
    return round(size / 2**20, 2)


class Monitor(threading.Thread):
    """Samples worker RSS every `interval_s`; at `kill_at_s` sends SIGKILL to one worker."""

    def __init__(self, server_pid: int, interval_s: float = 1.0, warmup_s: float = 10.0,
                 kill_at_s: float | None = None) -> None:
        super().__init__(daemon=True)
        self.server_pid, self.interval_s = server_pid, interval_s
        self.warmup_s, self.kill_at_s = warmup_s, kill_at_s
        self.samples: dict[int, list[tuple[float, int]]] = {}  # pid -> [(seconds, rss)]
        self.killed: int | None = None
        self.killed_at_s: float | None = None
        self.killed_at_unix: float | None = None
        self._stop_event = threading.Event()
        self._start = time.monotonic()

    def run(self) -> None:
        """Sample until stopped."""
        self._start = time.monotonic()
        while not self._stop_event.is_set():
            now = time.monotonic() - self._start
            for pid in worker_pids(self.server_pid):
                rss = rss_bytes(pid)
                if rss is not None:
                    self.samples.setdefault(pid, []).append((now, rss))
            if self.kill_at_s is not None and self.killed is None and now >= self.kill_at_s:
                self._kill_one()
            self._stop_event.wait(self.interval_s)

    def _kill_one(self) -> None:
        workers = worker_pids(self.server_pid)
        if workers:
            self.killed, self.killed_at_s = workers[0], time.monotonic() - self._start
            self.killed_at_unix = time.time()
            os.kill(self.killed, signal.SIGKILL)

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._stop_event.set()
        self.join(10)

    def rss_report(self) -> dict:
        """Per worker (MiB): RSS at its first sample, once it has served `warmup_s` seconds and
        at its last sample; growth from the second to the third in %."""
        workers = {}
        for pid, series in self.samples.items():
            born = series[0][0]  # a replacement worker warms up from its own start
            settled = [s for s in series if s[0] >= born + self.warmup_s] or series[-1:]
            start, end = settled[0], series[-1]
            if pid == self.killed or end[0] - start[0] < self.interval_s:
                continue  # the killed worker, and replacements too young to measure
            workers[str(pid)] = {
                "first_mib": _mib(series[0][1]), "start_mib": _mib(start[1]),
                "end_mib": _mib(end[1]),
                "growth_pct": round(100.0 * (end[1] - start[1]) / start[1], 2),
                "seconds": round(end[0] - start[0], 1)}
        growth = max((w["growth_pct"] for w in workers.values()), default=None)
        return {"warmup_s": self.warmup_s, "workers": workers, "max_growth_pct": growth}
