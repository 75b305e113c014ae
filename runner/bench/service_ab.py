"""A/B of the service ratio: /sample / /echo of this checkout against another one.

Run: .venv/bin/python -m runner.bench.service_ab OTHER [--rounds 10] [--seconds 4]
where OTHER is another checkout of Logit Lab, e.g. `git worktree add /tmp/base REV`.

Both servers run side by side (the idle one costs nothing) and every round measures /echo then
/sample on each in turn, so both see the same machine: on a shared 2-core machine the ratio of
one round can differ from the next by 0.1, and only interleaved rounds compare two versions.
"""

import argparse
import json
import os
import signal
import statistics
from pathlib import Path

import numpy as np

from runner.bench_service import start_server, throughput, worker_cpu_seconds


def _round(port: int, pid: int, body: bytes, clients: int, seconds: float) -> tuple[float, float]:
    """One /echo then one /sample measurement: (rate ratio, worker ms per /sample request)."""
    echo = throughput(port, "/echo", body, clients, seconds)
    before = worker_cpu_seconds(pid)
    sample = throughput(port, "/sample", body, clients, seconds)
    cpu_ms = (worker_cpu_seconds(pid) - before) * 1000 / (sample * seconds)
    return sample / echo, cpu_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="another checkout of Logit Lab")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=4.0, help="per endpoint and round")
    parser.add_argument("--clients", type=int, default=4, help="client processes")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    if not (args.other / "service" / "sampling").is_dir():
        parser.error(f"{args.other} is not a Logit Lab checkout (no service/sampling)")
    body = json.dumps({"logits": np.random.default_rng(0).normal(0, 3, 1000).round(4).tolist(),
                       "seed": 1}).encode()
    labels = {"this": None, "other": args.other.resolve()}
    servers = {label: start_server(args.workers, checkout) for label, checkout in labels.items()}
    ratios: dict[str, list[float]] = {label: [] for label in labels}
    cpu: dict[str, list[float]] = {label: [] for label in labels}
    try:
        for _ in range(args.rounds):
            for label, (server, port) in servers.items():
                ratio, ms = _round(port, server.pid, body, args.clients, args.seconds)
                ratios[label].append(ratio)
                cpu[label].append(ms)
    finally:
        for server, _ in servers.values():
            server.send_signal(signal.SIGTERM)
            server.wait(60)
    print("\n| checkout | /sample / /echo, median (lowest-highest) | worker ms per /sample |")
    print("| --- | --- | --- |")
    for label, checkout in labels.items():
        values = ratios[label]
        print(f"| {label}: {checkout or Path.cwd()} | {statistics.median(values):.3f} "
              f"({min(values):.3f}-{max(values):.3f}) | {statistics.median(cpu[label]):.3f} |")
    print(f"\n{args.rounds} interleaved rounds of {args.seconds:g} s per endpoint, "
          f"{args.clients} clients, {args.workers} workers per server")


if __name__ == "__main__":
    main()
