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
from rich.text import Text
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from runner.cli.common import (
    console,
    db_option,
    load_run,
    open_sessions,
    output_path,
    plain,
    write_output,
)
from runner.grid import swept
from service.db.models import Run
from service.runs.kinds import (
    ALL_METRICS,
    GENERATION,
    TOKEN,
    CellKind,
    cell_kind,
    cell_rows,
    counts_by_run,
)

# The columns `runs show` prints besides the swept parameters, per kind of cell.
SHOW_METRICS = ("entropy", "perplexity", "kept_count", "kept_mass", "kl_to_original",
                "expected_distinct", "distinct_tokens", "distinct_2", "repetition_rate")
SHOWN = {TOKEN.name: SHOW_METRICS,
         GENERATION.name: ("distinct_1", "distinct_2", "distinct_4", "repetition_rate",
                           "mean_length", "self_bleu", "n_tokens")}


@click.group()
def runs() -> None:
    """Stored sweeps: list, show, export and plot."""


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _run_and_cells(sessions: sessionmaker[Session], run_id: int
                   ) -> tuple[Run, CellKind, list[dict]]:
    """The run, the kind of its cells and its cells as rows in grid order."""
    run = load_run(sessions, run_id)
    with sessions() as session:
        rows = cell_rows(session, run)
    return run, cell_kind(run), rows


def _check_metrics(run: Run, kind: CellKind, metrics: tuple[str, ...], option: str) -> None:
    """A usage error when a metric belongs to another kind of run."""
    wrong = [m for m in metrics if m not in kind.metrics]
    if wrong:
        raise click.UsageError(
            f"run {run.id} has {kind.name} cells (engine {run.engine}): {', '.join(wrong)} "
            f"does not apply; {option} must be one of: {', '.join(kind.metrics)}")


@runs.command("list")
@db_option
def list_runs(db_url: str | None) -> None:
    """Every run with its status and progress."""
    sessions = open_sessions(db_url)
    with sessions() as session:
        done = counts_by_run(session)
        all_runs = session.scalars(select(Run).order_by(Run.id)).all()
    table = Table("id", "name", "status", "created", "source", "cells", "samples", "seed")
    for run in all_runs:
        table.add_row(str(run.id), plain(run.name), plain(run.status),
                      f"{run.created_at:%Y-%m-%d %H:%M}", plain(run.source),
                      f"{done.get(run.id, 0)}/{run.n_cells}", str(run.samples), str(run.seed))
    console().print(table)


@runs.command()
@click.argument("run_id", type=int)
@click.option("--metric", "metrics", multiple=True, type=click.Choice(ALL_METRICS),
              help="Columns to show (repeatable; the run's kind of statistics) "
                   "[default: a summary set].")
@db_option
def show(run_id: int, metrics: tuple[str, ...], db_url: str | None) -> None:
    """A run's provenance and one table row per cell (token-level or generation statistics)."""
    run, kind, rows = _run_and_cells(open_sessions(db_url), run_id)
    _check_metrics(run, kind, metrics, "--metric")
    out = console()
    # Text, not markup: a name or source like "[/]" is the user's text, not a rich tag.
    out.print(Text.assemble(
        f"run {run.id} ", (run.name or "", "bold"),
        f" {run.status}: {run.source}, {len(rows)}/{run.n_cells} cells, {run.samples} "
        f"{kind.samples}, seed {run.seed}, preset {run.preset}, code {run.code_version}"))
    print_cells(out, rows, swept(run.grid) or ["temperature"], metrics or SHOWN[kind.name])


def print_cells(out: Console, rows: list[dict], parameters: list[str],
                metrics: tuple[str, ...]) -> None:
    """A rich table of cells: the given parameters, then the metrics."""
    table = Table(*parameters, *metrics)
    for row in rows:
        table.add_row(*(_fmt(row[name]) for name in (*parameters, *metrics)))
    out.print(table)


def _write_parquet(rows: list[dict], columns: tuple[str, ...], out: Path) -> None:
    """The rows as a parquet file (built in memory, so a bad path fails like any other)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise click.ClickException(
            "parquet export needs pyarrow: pip install 'logitlab[parquet]'"
        ) from None
    buffer = io.BytesIO()
    pq.write_table(pa.table({name: [row[name] for row in rows] for name in columns}), buffer)
    write_output(out, buffer.getvalue())


@runs.command()
@click.argument("run_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "parquet"]), default="csv",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), callback=output_path,
              help="Output file [default: stdout; parquet needs a file].")
@db_option
def export(run_id: int, fmt: str, out: Path | None, db_url: str | None) -> None:
    """Every cell: parameter columns then the statistic columns of the run's kind."""
    _, kind, rows = _run_and_cells(open_sessions(db_url), run_id)
    if fmt == "parquet":
        if out is None:
            raise click.UsageError("--format parquet needs --out FILE")
        _write_parquet(rows, kind.columns, out)
        return
    if fmt == "json":
        text = json.dumps(rows, indent=1) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=kind.columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    if out is None:
        sys.stdout.write(text)
    else:
        write_output(out, text)


@runs.command()
@click.argument("run_id", type=int)
@click.option("--metric", type=click.Choice(ALL_METRICS),
              help="The statistic [default: entropy; distinct_2 for a generation run].")
@click.option("--out", type=click.Path(dir_okay=False), callback=output_path, required=True)
@click.option("--top-k", type=int, help="Fix top_k when the run swept it.")
@click.option("--min-p", type=float, help="Fix min_p when the run swept it.")
@click.option("--repetition-penalty", type=float, help="Fix it when the run swept it.")
@db_option
def plot(run_id: int, metric: str | None, out: Path, db_url: str | None,
         **fixed: float | None) -> None:
    """A PNG heatmap of METRIC over the temperature x top_p grid."""
    from runner.plots import plot_run

    run, kind, rows = _run_and_cells(open_sessions(db_url), run_id)
    metric = metric or kind.default_metric
    _check_metrics(run, kind, (metric,), "--metric")
    plot_run(run, rows, metric, out, {k: v for k, v in fixed.items() if v is not None})
    click.echo(f"wrote {out}")
