"""Helpers shared by the runner's subcommands: the --db option and cell rows as dicts."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from sqlalchemy.orm import Session, sessionmaker

from runner.storage import cell_rows
from service.db import open_database
from service.db.engine import URL_ENV
from service.db.models import Run

# When piped (not a terminal), print tables at full width instead of rich's 80 columns.
PIPE_WIDTH = 240


def console(stderr: bool = False) -> Console:
    """A rich console; full-width tables when the output is not a terminal."""
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, width=None if stream.isatty() else PIPE_WIDTH)


def db_option(command: Callable) -> Callable:
    """Add --db URL (default $LOGITLAB_DATABASE_URL, then sqlite:///logitlab.db)."""
    return click.option(
        "--db", "db_url", default=None, metavar="URL",
        help=f"SQLAlchemy database URL [default: ${URL_ENV} or sqlite:///logitlab.db]",
    )(command)


def open_sessions(db_url: str | None) -> sessionmaker[Session]:
    """Open the database (upgrading a fresh one) and return its session factory."""
    try:
        return open_database(db_url)[1]
    except Exception as error:  # an unreachable server or a bad URL: say which, not a traceback
        raise click.ClickException(f"cannot open database {db_url or ''}: {error}") from error


def load_run(sessions: sessionmaker[Session], run_id: int) -> Run:
    """The run, or a click error naming the missing id."""
    with sessions() as session:
        run = session.get(Run, run_id)
    if run is None:
        raise click.ClickException(f"no run with id {run_id}")
    return run

__all__ = ["cell_rows", "console", "db_option", "load_run", "open_sessions"]


@contextmanager
def cell_progress(run_id: int, total: int, done: int = 0) -> Iterator[Callable[[int], None]]:
    """A progress bar of a run's cells on stderr (off when it is not a terminal); yields the
    callback that advances it by a count of cells."""
    err = console(stderr=True)
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, disable=not err.is_terminal) as progress:
        task = progress.add_task(f"run {run_id}", total=total, completed=done)
        yield lambda count: progress.advance(task, count)
