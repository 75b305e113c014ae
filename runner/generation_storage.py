"""Write side of generation sweeps: a Run (engine "generation"), its settings, its cells."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from runner import storage
from runner.generation_sweep import CRN_SCHEME, GenerationSweepSpec, compute_cells
from runner.grid import CellParams
from runner.interrupts import ctrl_c_held
from runner.sweep import TOP_P_RULE
from service.db.models import (
    GENERATION_STATS,
    PARAMETERS,
    GenerationCell,
    GenerationSweep,
    Run,
)
from service.runs.kinds import GENERATION_ENGINE, cell_rows
from service.sampling.presets import PRESETS

ENGINE = GENERATION_ENGINE


def create_generation_run(sessions: sessionmaker[Session], spec: GenerationSweepSpec,
                          vocab_size: int, name: str | None = None) -> int:
    """Record the run (like any sweep) and what it generates from; returns its id."""
    run_id = storage.create_run(
        sessions, name=name, source=spec.source, grid=spec.grid, samples=spec.samples,
        seed=spec.seed, preset=spec.preset, stage_order=list(PRESETS[spec.preset]),
        top_p_rule=TOP_P_RULE, crn_scheme=CRN_SCHEME, engine=ENGINE,
        n_rows=len(spec.prompts), vocab_size=vocab_size, n_cells=len(spec.cells()),
        chunk_cells=1)
    with sessions.begin() as session:
        session.add(GenerationSweep(run_id=run_id, prompts=spec.prompts,
                                    max_tokens=spec.max_tokens, stop=list(spec.stop),
                                    self_bleu=spec.self_bleu, conventions=spec.conventions()))
    return run_id


def load_spec(sessions: sessionmaker[Session], run_id: int) -> GenerationSweepSpec:
    """The spec a generation run was created with (to resume it)."""
    run = storage.get_run(sessions, run_id)
    with sessions() as session:
        settings = session.get(GenerationSweep, run_id)
    return GenerationSweepSpec(run.source, list(settings.prompts), dict(run.grid),
                               settings.max_tokens, run.samples, run.seed, run.preset,
                               settings.self_bleu, list(settings.stop))


def written(sessions: sessionmaker[Session], run_id: int) -> set[CellParams]:
    """Parameter tuples of the run's stored generation cells."""
    columns = [getattr(GenerationCell, name) for name in PARAMETERS]
    with sessions() as session:
        rows = session.execute(select(*columns).where(GenerationCell.run_id == run_id)).all()
    return {CellParams(*row) for row in rows}


def write(sessions: sessionmaker[Session], run_id: int, cell: CellParams,
          stats: dict[str, Any]) -> bool:
    """Store one cell in its own transaction; False if it was already there."""
    values = {name: stats.get(name) for name in GENERATION_STATS}
    try:
        with sessions.begin() as session:
            session.add(GenerationCell(run_id=run_id, **cell._asdict(), **values))
    except IntegrityError:
        if cell in written(sessions, run_id):
            return False
        raise
    return True


def execute_generation(sessions: sessionmaker[Session], run_id: int,
                       on_cell: Callable[[int], None] | None = None) -> int:
    """Compute and store every missing cell of a generation run; returns how many."""
    spec = load_spec(sessions, run_id)
    storage.set_status(sessions, run_id, "running")
    done = written(sessions, run_id)
    count = 0
    try:
        for cell, stats in compute_cells(spec, skip=done):
            with ctrl_c_held():  # a cell's transaction ends whole, then Ctrl-C stops the run
                stored = write(sessions, run_id, cell, stats)
            if stored:
                count += 1
            if on_cell:
                on_cell(1)
    except Exception:
        storage.set_status(sessions, run_id, "failed")  # resumable, as a token sweep's
        raise
    storage.set_status(sessions, run_id, "finished")
    return count


def generation_rows(sessions: sessionmaker[Session], run_id: int) -> list[dict[str, Any]]:
    """The run's generation cells in grid order, each {parameter..., statistic...}."""
    with sessions() as session:
        run = session.get(Run, run_id)
        return cell_rows(session, run) if run is not None else []
