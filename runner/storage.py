"""Write side of sweeps: create a run, find missing cells, write one cell per transaction."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from runner.grid import CellParams
from service import __version__
from service.db import find_by_id
from service.db.models import METRICS, PARAMETERS, Cell, Run, utcnow


def code_version() -> str:
    """Package version plus the git commit when run from a checkout."""
    root = Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True,
            text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+g{sha}" if sha else __version__


def create_run(sessions: sessionmaker[Session], **values: Any) -> int:
    """Insert a run in status `running` and return its id."""
    with sessions.begin() as session:
        run = Run(status="running", code_version=code_version(), **values)
        session.add(run)
        session.flush()
        return run.id


def get_run(sessions: sessionmaker[Session], run_id: int) -> Run | None:
    """The run, detached from its session, or None (also for ids no 64-bit key can hold)."""
    with sessions() as session:
        return find_by_id(session, Run, run_id)


def written_cells(sessions: sessionmaker[Session], run_id: int) -> set[CellParams]:
    """Parameter tuples of the cells already stored for the run."""
    columns = [getattr(Cell, name) for name in PARAMETERS]
    with sessions() as session:
        rows = session.execute(select(*columns).where(Cell.run_id == run_id)).all()
    return {CellParams(*row) for row in rows}


def missing_cells(sessions: sessionmaker[Session], run_id: int,
                  cells: list[CellParams]) -> list[CellParams]:
    """The cells of the grid not yet stored, in grid order."""
    done = written_cells(sessions, run_id)
    return [cell for cell in cells if cell not in done]


def write_cell(sessions: sessionmaker[Session], run_id: int, params: CellParams,
               stats: dict[str, Any]) -> bool:
    """Store one cell in its own transaction; False if it was already there (never twice)."""
    try:
        with sessions.begin() as session:
            session.add(Cell(run_id=run_id, **params._asdict(), **stats))
    except IntegrityError:
        # The unique (run_id, parameters) constraint: another writer or an earlier run got it.
        # Any other integrity error (say a NaN stored as NULL) is a bug and must surface.
        if params in written_cells(sessions, run_id):
            return False
        raise
    return True


def set_status(sessions: sessionmaker[Session], run_id: int, status: str) -> None:
    """Update the run's status; `finished` also stamps finished_at."""
    with sessions.begin() as session:
        run = session.get(Run, run_id)
        run.status = status
        if status == "finished":
            run.finished_at = utcnow()


def cell_rows(sessions: sessionmaker[Session], run_id: int) -> list[dict[str, Any]]:
    """The run's cells in grid order, each {parameter..., statistic...}."""
    names = PARAMETERS + METRICS
    with sessions() as session:
        order = [getattr(Cell, name) for name in PARAMETERS]
        cells = session.scalars(select(Cell).where(Cell.run_id == run_id).order_by(*order)).all()
    return [{name: getattr(cell, name) for name in names} for cell in cells]
