"""Scaling benchmark: sweep cells/s by executor, and service rps with 1 vs 2 gunicorn workers.

Run: .venv/bin/python -m runner.bench_executors [--repeats 3] [--seconds 5] [--no-service]
Sweeps run `runner.sweep.execute` into a fresh SQLite file (one transaction per cell), as
`logitlab sweep` does; Dask clusters are LocalClusters started once, on loopback, and their
start-up time is reported apart. Each repeat uses a new seed, so workers prepare the job anew.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from runner.bench_service import _post, start_server, throughput
from runner.executors import Executor, LocalExecutor
from runner.executors.dask import DaskExecutor, local_cluster
from runner.executors.processes import ProcessExecutor
from runner.grid import build_grid
from runner.sweep import SweepSpec, create, execute
from service.db import open_database

SOURCE = "zipf:V=32000,s=1.1,rows=64,seed=0"
GRID = {"temperature": "0.1:2.0:20", "top_p": "0.5:1.0:20"}  # 400 cells, as bench-sweep
SMALL = {"temperature": "0.5,1.0", "top_p": "0.9,1.0"}  # 4 cells: fixed costs dominate


def sweep_seconds(make: Callable[[], Executor], grid: dict[str, str], seed: int) -> float:
    """Wall seconds of execute() (executor start-up included) for one fresh run."""
    with tempfile.TemporaryDirectory() as tmp:
        engine, sessions = open_database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        run_id = create(sessions, SweepSpec(SOURCE, build_grid(grid), 1000, seed))
        start = time.perf_counter()
        with make() as executor:
            execute(sessions, run_id, executor=executor)
        elapsed = time.perf_counter() - start
        engine.dispose()
    return elapsed


def sweep_table(repeats: int) -> list[tuple[str, str, float, float, float]]:
    """(executor, grid, median s, cells/s, 1-min load average) rows; dask rows reuse a
    running LocalCluster."""
    rows, seeds = [], iter(range(1000))
    configs: list[tuple[str, Callable[[], Executor]]] = [
        ("local", LocalExecutor), ("processes (2)", lambda: ProcessExecutor(2))]
    clusters = []
    for workers in (1, 2):
        start = time.perf_counter()
        cluster = local_cluster(workers)
        print(f"LocalCluster({workers} workers) start: {time.perf_counter() - start:.2f} s")
        clusters.append(cluster)
        address = cluster.scheduler_address
        configs.append((f"dask, {workers} worker{'s' * (workers > 1)}",
                        lambda address=address: DaskExecutor(address)))
    try:
        for grid_name, grid, cells in (("400 cells", GRID, 400), ("4 cells", SMALL, 4)):
            times: dict[str, list[float]] = {name: [] for name, _ in configs}
            loads: list[float] = []
            for _ in range(repeats):  # interleaved, so that load from others hits every row
                for name, make in configs:
                    times[name].append(sweep_seconds(make, grid, next(seeds)))
                    loads.append(os.getloadavg()[0])
            for name, _ in configs:
                median = statistics.median(times[name])
                rows.append((name, grid_name, median, cells / median, statistics.median(loads)))
                print(f"{name:16} {grid_name:9} {[round(t, 2) for t in times[name]]}",
                      flush=True)
    finally:
        for cluster in clusters:
            cluster.close()
    return rows


def service_table(seconds: float, rounds: int, clients: int) -> list[tuple[int, float]]:
    """(gunicorn workers, median /sample rps) for 1 and 2 workers."""
    body = json.dumps({"logits": np.random.default_rng(0).normal(0, 3, 1000).round(4).tolist(),
                       "seed": 1}).encode()
    rows = []
    for workers in (1, 2):
        server, port = start_server(workers)
        try:
            for _ in range(20):
                _post(port, "/sample", body, "application/json")
            rates = [throughput(port, "/sample", body, clients, seconds) for _ in range(rounds)]
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(60)
        print(f"{workers} worker(s): {[round(r) for r in rates]} req/s", flush=True)
        rows.append((workers, statistics.median(rates)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="per service round")
    parser.add_argument("--rounds", type=int, default=3, help="service rounds per setting")
    parser.add_argument("--clients", type=int, default=4, help="service client processes")
    parser.add_argument("--no-service", action="store_true")
    args = parser.parse_args()
    rows = sweep_table(args.repeats)
    print("\n| executor | grid | median s | cells/s | load avg |\n| --- | --- | --- | --- | --- |")
    for name, grid, median, rate, load in rows:
        print(f"| {name} | {grid} | {median:.2f} | {rate:.1f} | {load:.1f} |")
    if not args.no_service:
        service = service_table(args.seconds, args.rounds, args.clients)
        print("\n| gunicorn workers | /sample req/s (V = 1000 JSON) |\n| --- | --- |")
        for workers, rate in service:
            print(f"| {workers} | {rate:.0f} |")
        print(f"\n2 vs 1 worker: {service[1][1] / service[0][1]:.2f}x")


if __name__ == "__main__":
    main()
