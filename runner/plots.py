"""Heatmaps of a run's metric over temperature x top_p, via the service's shared renderer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from runner.cli.common import write_output
from service.db.models import Run
from service.runs.heatmap import HeatmapError, heatmap_png

# Swept knobs other than the heatmap's two axes, which must be fixed to one value each.
OTHER_KNOBS = ("top_k", "min_p", "repetition_penalty")


def select_slice(run: Run, rows: list[dict[str, Any]], fixed: dict[str, float]) -> list[dict]:
    """The cells at the fixed values; a knob swept but not fixed is a usage error."""
    for knob in OTHER_KNOBS:
        values = run.grid.get(knob, [])
        if len(values) > 1 and knob not in fixed:
            raise click.UsageError(f"run {run.id} sweeps {knob} ({', '.join(map(str, values))}): "
                                   f"pick one with --{knob.replace('_', '-')}")
    chosen = [row for row in rows
              if all(abs(row[knob] - value) <= 1e-9 for knob, value in fixed.items())]
    if not chosen:
        where = ", ".join(f"{knob}={value:g}" for knob, value in fixed.items())
        raise click.ClickException(f"run {run.id} has no cells" + (f" at {where}" if where else ""))
    return chosen


def plot_run(run: Run, rows: list[dict[str, Any]], metric: str, out: Path,
             fixed: dict[str, float]) -> None:
    """Write the PNG heatmap of `metric` for the selected slice of the run."""
    suffix = ", ".join(f"{k}={v:g}" for k, v in fixed.items())
    title = f"run {run.id}: {metric}" + (f" ({suffix})" if suffix else "")
    try:
        png = heatmap_png(select_slice(run, rows, fixed), metric, title)
    except HeatmapError as error:
        raise click.ClickException(str(error)) from error
    write_output(out, png)
