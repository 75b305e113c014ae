"""`logitlab runs`: list, show, export and plot stored sweeps."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from runner.cli.common import cell_rows, console, db_option, load_run, open_sessions
from runner.grid import swept
from service.db.models import METRICS, PARAMETERS, Cell, Run

# The columns `runs show` prints besides the swept parameters.
SHOW_METRICS = ("entropy", "perplexity", "kept_count", "kept_mass", "kl_to_original",
                "expected_distinct", "distinct_tokens", "distinct_2", "repetition_rate")


@click.group()
def runs() -> None:
    """Stored sweeps: list, show, export and plot."""


def _fmt(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@runs.command("list")
@db_option
def list_runs(db_url: str | None) -> None:
    """Every run with its status and progress."""
    sessions = open_sessions(db_url)
    with sessions() as session:
        done = dict(session.execute(select(Cell.run_id, func.count()).group_by(Cell.run_id)).all())
        all_runs = session.scalars(select(Run).order_by(Run.id)).all()
    table = Table("id", "name", "status", "created", "source", "cells", "samples", "seed")
    for run in all_runs:
        table.add_row(str(run.id), run.name or "", run.status, f"{run.created_at:%Y-%m-%d %H:%M}",
                      run.source, f"{done.get(run.id, 0)}/{run.n_cells}", str(run.samples),
                      str(run.seed))
    console().print(table)


@runs.command()
@click.argument("run_id", type=int)
@click.option("--metric", "metrics", multiple=True, type=click.Choice(METRICS),
              help="Columns to show (repeatable) [default: a summary set].")
@db_option
def show(run_id: int, metrics: tuple[str, ...], db_url: str | None) -> None:
    """A run's provenance and one table row per cell."""
    sessions = open_sessions(db_url)
    run = load_run(sessions, run_id)
    rows = cell_rows(sessions, run_id)
    out = console()
    out.print(f"run {run.id} [bold]{run.name or ''}[/] {run.status}: {run.source}, "
                  f"{len(rows)}/{run.n_cells} cells, {run.samples} draws/row, seed {run.seed}, "
                  f"preset {run.preset}, code {run.code_version}")
    print_cells(out, rows, swept(run.grid) or ["temperature"], metrics or SHOW_METRICS)


def print_cells(out: Console, rows: list[dict], parameters: list[str],
                metrics: tuple[str, ...]) -> None:
    """A rich table of cells: the given parameters, then the metrics."""
    table = Table(*parameters, *metrics)
    for row in rows:
        table.add_row(*(_fmt(row[name]) for name in (*parameters, *metrics)))
    out.print(table)


def _write_parquet(rows: list[dict], out: Path) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise click.ClickException(
            "parquet export needs pyarrow: pip install 'logitlab[parquet]'"
        ) from None
    columns = PARAMETERS + METRICS
    pq.write_table(pa.table({name: [row[name] for row in rows] for name in columns}), out)


@runs.command()
@click.argument("run_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "parquet"]), default="csv",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Output file [default: stdout; parquet needs a file].")
@db_option
def export(run_id: int, fmt: str, out: Path | None, db_url: str | None) -> None:
    """Every cell: parameter columns then statistic columns."""
    sessions = open_sessions(db_url)
    load_run(sessions, run_id)
    rows = cell_rows(sessions, run_id)
    if fmt == "parquet":
        if out is None:
            raise click.UsageError("--format parquet needs --out FILE")
        _write_parquet(rows, out)
        return
    if fmt == "json":
        text = json.dumps(rows, indent=1) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=PARAMETERS + METRICS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text)


@runs.command()
@click.argument("run_id", type=int)
@click.option("--metric", type=click.Choice(METRICS), default="entropy", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--top-k", type=int, help="Fix top_k when the run swept it.")
@click.option("--min-p", type=float, help="Fix min_p when the run swept it.")
@click.option("--repetition-penalty", type=float, help="Fix it when the run swept it.")
@db_option
def plot(run_id: int, metric: str, out: Path, db_url: str | None, **fixed: float | None) -> None:
    """A PNG heatmap of METRIC over the temperature x top_p grid."""
    from runner.plots import plot_run

    sessions = open_sessions(db_url)
    run = load_run(sessions, run_id)
    rows = cell_rows(sessions, run_id)
    plot_run(run, rows, metric, out, {k: v for k, v in fixed.items() if v is not None})
    click.echo(f"wrote {out}")
