"""The kind of a run's cells (table, statistics, default metric), chosen by the run's engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db import find_by_id
from service.db.models import (
    GENERATION_STATS,
    METRICS,
    PARAMETERS,
    RAW_COUNTS,
    Cell,
    CellKey,
    GenerationCell,
    Run,
)

GENERATION_ENGINE = "generation"


@dataclass(frozen=True)
class CellKind:
    """One kind of sweep cell: its model, its statistics in column order, its default metric."""

    name: str
    model: type[CellKey]
    metrics: tuple[str, ...]
    integers: tuple[str, ...]
    default_metric: str
    samples: str  # what a run's `samples` counts

    @property
    def columns(self) -> tuple[str, ...]:
        """Parameter columns then statistic columns: the export's columns."""
        return PARAMETERS + self.metrics

    @property
    def orderable(self) -> tuple[str, ...]:
        """Every column of the cell table (what order_by may name)."""
        return tuple(column.key for column in self.model.__table__.columns)


TOKEN = CellKind("token-level", Cell, METRICS, RAW_COUNTS, "entropy", "draws/row")
GENERATION = CellKind("generation", GenerationCell, GENERATION_STATS,
                      ("n_continuations", "n_tokens"), "distinct_2", "continuations/prompt")
KINDS = (TOKEN, GENERATION)


def _union(groups: list[tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for group in groups for name in group))


# Names over every kind, for the query schemas (each run then accepts only its kind's names).
ALL_METRICS = _union([kind.metrics for kind in KINDS])
ALL_INTEGERS = _union([kind.integers for kind in KINDS])
ALL_ORDERABLE = _union([kind.orderable for kind in KINDS])


def find_run(session: Session, run_id: int) -> Run | None:
    """The run with this id, or None (ids beyond a 64-bit integer cannot exist, and SQLite
    cannot even bind them)."""
    return find_by_id(session, Run, run_id)


def cell_kind(run: Run | str) -> CellKind:
    """The cell kind of a run (or of an engine name): generation cells or token-level cells."""
    engine = run if isinstance(run, str) else run.engine
    return GENERATION if engine == GENERATION_ENGINE else TOKEN


def kinds_of(metric: str) -> list[str]:
    """Names of the kinds whose cells have `metric` (for documentation and messages)."""
    return [kind.name for kind in KINDS if metric in kind.metrics]


def count_cells(session: Session, run: Run) -> int:
    """How many cells of the run are stored."""
    model = cell_kind(run).model
    return session.scalar(select(func.count()).where(model.run_id == run.id))


def counts_by_run(session: Session) -> dict[int, int]:
    """Stored cells per run id, over every kind's table."""
    done: dict[int, int] = {}
    for kind in KINDS:
        query = select(kind.model.run_id, func.count()).group_by(kind.model.run_id)
        for run_id, count in session.execute(query).all():
            done[run_id] = done.get(run_id, 0) + count
    return done


def cell_rows(session: Session, run: Run) -> list[dict[str, Any]]:
    """The run's cells in grid order, each {parameter..., statistic...} of its kind."""
    kind = cell_kind(run)
    order = [getattr(kind.model, name) for name in PARAMETERS]
    cells = session.scalars(select(kind.model).where(kind.model.run_id == run.id)
                            .order_by(*order)).all()
    return [{name: getattr(cell, name) for name in kind.columns} for cell in cells]
