"""Helpers shared by the runner's subcommands: the --db option and cell rows as dicts."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.text import Text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from runner.storage import cell_rows, get_run
from service.db import open_database
from service.db.engine import URL_ENV, resolve_url
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


def plain(text: object) -> Text:
    """Stored or user text as a rich renderable that is printed as is, never read as markup."""
    return Text("" if text is None else str(text))


def _parse_url(url: str) -> URL | None:
    try:
        return make_url(url)
    except (ArgumentError, ValueError):  # not a URL, or a port that is not a number
        return None


def hide_password(url: str) -> str:
    """The URL with its password replaced by ***, even when SQLAlchemy cannot parse it."""
    parsed = _parse_url(url)
    if parsed is not None:
        return parsed.render_as_string(hide_password=True)
    return re.sub(r"(//[^:/@]*):[^@]*@", r"\1:***@", url)


def open_sessions(db_url: str | None) -> sessionmaker[Session]:
    """Open the database (upgrading a fresh one) and return its session factory."""
    url = resolve_url(db_url)
    try:
        return open_database(url)[1]
    except Exception as error:  # an unreachable server or a bad URL: say which, not a traceback
        shown = hide_password(url)
        reason = str(error)
        password = getattr(_parse_url(url), "password", None)
        if password:  # a driver may quote the URL it was given
            reason = reason.replace(password, "***")
        raise click.ClickException(f"cannot open database {shown}: {reason}") from error


def load_run(sessions: sessionmaker[Session], run_id: int) -> Run:
    """The run, or a click error naming the missing id (also one no 64-bit key can hold)."""
    run = get_run(sessions, run_id)
    if run is None:
        raise click.ClickException(f"no run with id {run_id}")
    return run


def output_path(_ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    """A click callback for an output file option: an empty path is a usage error (as a Path,
    "" would be the current directory)."""
    if value is None:
        return None
    if not value:
        raise click.BadParameter("the path is empty", param=param)
    return Path(value)


def write_output(path: Path, data: str | bytes) -> None:
    """Write text or bytes to a file; a click error naming the path when that fails."""
    try:
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data)
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror or error}") from None


def check_writable(path: Path) -> None:
    """A click error naming the path unless its directory exists and can be written."""
    folder = path.parent
    if not folder.is_dir():
        raise click.ClickException(f"cannot write {path}: No such file or directory")
    if path.is_dir():
        raise click.ClickException(f"cannot write {path}: Is a directory")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise click.ClickException(f"cannot write {path}: Permission denied")


__all__ = ["cell_rows", "check_writable", "console", "db_option", "hide_password", "load_run",
           "open_sessions", "output_path", "plain", "write_output"]


@contextmanager
def cell_progress(run_id: int, total: int, done: int = 0) -> Iterator[Callable[[int], None]]:
    """A progress bar of a run's cells on stderr (off when it is not a terminal); yields the
    callback that advances it by a count of cells."""
    err = console(stderr=True)
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, disable=not err.is_terminal) as progress:
        task = progress.add_task(f"run {run_id}", total=total, completed=done)
        yield lambda count: progress.advance(task, count)

