"""`logitlab bench-sweep`: the sweep engine against a naive transformers loop, and peak RSS."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from runner.bench_sweep import GRID, SOURCE, run


def _peak_rss(args: list[str]) -> tuple[float, float]:
    """Run `logitlab sweep ARGS` in a child process; (its peak RSS in MiB, its seconds)."""
    entry = "import sys; from runner.cli import main; sys.exit(main())"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", entry, "sweep", *args], check=True,
                   stdout=subprocess.DEVNULL, cwd=Path(__file__).resolve().parents[2])
    seconds = time.perf_counter() - start
    # ru_maxrss of waited-for children, in KiB on Linux: the largest child's peak.
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, seconds


@click.command("bench-sweep")
@click.option("--samples", type=int, default=1000, show_default=True)
@click.option("--repeats", type=int, default=3, show_default=True,
              help="Repeats of the vectorized engine (median reported).")
@click.option("--naive-repeats", type=int, default=1, show_default=True)
@click.option("--rss-grid", type=int, default=50, show_default=True,
              help="Side of the temperature x top-p grid for the peak-RSS run (0 = skip).")
def bench_sweep(samples: int, repeats: int, naive_repeats: int, rss_grid: int) -> None:
    """20 x 20 temperature x top-p over 64 rows of V = 32 000: vectorized vs naive."""
    result = run(SOURCE, GRID, samples, 0, repeats, naive_repeats)
    click.echo(json.dumps(result | {"source": SOURCE, "grid": GRID, "samples": samples}))
    if rss_grid:
        with tempfile.TemporaryDirectory() as folder:
            args = ["--source", SOURCE, "--temperature", f"0.1:2.0:{rss_grid}",
                    "--top-p", f"0.5:1.0:{rss_grid}", "--samples", str(samples),
                    "--db", f"sqlite:///{folder}/rss.db"]
            rss, seconds = _peak_rss(args)
        click.echo(json.dumps({"rss_grid": f"{rss_grid}x{rss_grid}", "peak_rss_mib": rss,
                               "sweep_s": seconds, "cells": rss_grid * rss_grid}))
