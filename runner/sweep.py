"""The sweep engine: plan a run, then compute and store its missing cells chunk by chunk."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from runner import storage
from runner.crn import CRN_SCHEME
from runner.executors import Executor, LocalExecutor, RunJob
from runner.grid import CellParams, grid_cells
from runner.interrupts import ctrl_c_held
from runner.sources import Source, load_source
from service.db.models import RAW_COUNTS
from service.sampling.presets import PRESETS

TOP_P_RULE = ("keep the shortest sorted prefix with cumsum >= top_p - 1e-9, plus every token "
              "tied with its last; top_p = 1 keeps every finite token")
# Working memory for one chunk: the tiled logits and the core's per-row work arrays
# (about a dozen float64 values per vocabulary entry) plus the draw bookkeeping.
MEMORY_BUDGET = 384 * 2**20


class SweepError(ValueError):
    """A sweep that cannot run as asked; the message says why."""


@dataclass(frozen=True)
class SweepSpec:
    """What the user asked for."""

    source: str
    grid: dict[str, list[float | int]]
    samples: int
    seed: int
    preset: str = "vllm"
    name: str | None = None
    memory_budget: int = MEMORY_BUDGET
    engine: str = "auto"


def chunk_cells_for(rows: int, vocab: int, samples: int, budget: int = MEMORY_BUDGET,
                    engine: str = "core", cells: int | None = None) -> int:
    """Cells per chunk so that a chunk's working set stays within `budget` bytes.

    core: each (cell, row) pair is a batch row of tiled logits plus the core's work arrays.
    prefix: the per-row tables are shared, so a cell costs only its draws and their counting.
    At most `cells` (the grid's size): a larger chunk is the same single chunk, and a huge
    budget must not give a count that the database cannot store.
    """
    if engine == "prefix":
        per_cell = 8 * 10 * samples * rows
    else:
        per_cell = 8 * (12 * vocab + 10 * samples) * rows
    size = max(1, budget // max(1, per_cell))
    return size if cells is None else max(1, min(size, cells))


def choose_engine(spec: SweepSpec) -> str:
    """`prefix` whenever every stage only truncates (no repetition penalty), else `core`."""
    if spec.engine != "auto":
        if spec.engine == "prefix" and spec.grid["repetition_penalty"] != [1.0]:
            raise SweepError("--engine prefix cannot apply a repetition penalty; use core")
        return spec.engine
    return "prefix" if spec.grid["repetition_penalty"] == [1.0] else "core"


def _check(spec: SweepSpec, source: Source) -> None:
    if spec.preset not in PRESETS:
        raise SweepError(f"unknown preset {spec.preset!r}; choose one of {', '.join(PRESETS)}")
    if not 1 <= spec.samples <= 10_000:
        raise SweepError(f"--samples must be in 1..10000 (got {spec.samples})")
    if not 0 <= spec.seed < 2**63:
        raise SweepError(f"--seed must be in [0, 2**63) (got {spec.seed})")
    if source.contexts is None and spec.grid["repetition_penalty"] != [1.0]:
        raise SweepError("--repetition-penalty needs a context to penalise: use a synthetic "
                         "source with context=N (its N most likely tokens)")


def _recorded_source(spec: str) -> str:
    """The spec as stored: an npy path made absolute, so --resume works from any directory."""
    kind, _, path = spec.partition(":")
    return f"npy:{Path(path).resolve()}" if kind == "npy" and path else spec


def create(sessions: sessionmaker[Session], spec: SweepSpec) -> int:
    """Validate the spec, record the run (grid, seed, conventions) and return its id."""
    spec = replace(spec, source=_recorded_source(spec.source))
    source = load_source(spec.source)
    _check(spec, source)
    cells = grid_cells(spec.grid)
    engine = choose_engine(spec)
    return storage.create_run(
        sessions, name=spec.name, source=spec.source, grid=spec.grid, samples=spec.samples,
        seed=spec.seed, preset=spec.preset, stage_order=list(PRESETS[spec.preset]),
        top_p_rule=TOP_P_RULE, crn_scheme=CRN_SCHEME, engine=engine,
        n_rows=source.n_rows,
        vocab_size=source.vocab_size, n_cells=len(cells),
        chunk_cells=chunk_cells_for(source.n_rows, source.vocab_size, spec.samples,
                                    spec.memory_budget, engine, len(cells)),
        source_sha256=source.digest(),
    )


def _load(sessions: sessionmaker[Session], run_id: int) -> tuple[Any, Source]:
    run = storage.get_run(sessions, run_id)
    if run is None:
        raise SweepError(f"no run with id {run_id}")
    source = load_source(run.source)
    if (source.n_rows, source.vocab_size) != (run.n_rows, run.vocab_size):
        raise SweepError(f"run {run_id}: source {run.source} now has shape {source.logits.shape}"
                         f", the run recorded ({run.n_rows}, {run.vocab_size})")
    if run.source_sha256 is not None and source.digest() != run.source_sha256:
        raise SweepError(f"run {run_id}: source {run.source} changed since the run started (its "
                         "logits' SHA-256 differs); resuming would mix two sources in one run: "
                         "start a new run")
    return run, source


def check_stats(cell: CellParams, stats: dict[str, Any]) -> None:
    """Refuse a cell whose statistics are not finite or whose counts are negative: that is an
    engine bug or an input that slipped through, and its numbers must not be stored."""
    for name, value in stats.items():
        if not math.isfinite(value) or (name in RAW_COUNTS and value < 0):
            raise SweepError(f"cell {dict(cell._asdict())}: {name} = {value!r}; not stored "
                             "(the run is marked failed)")


def execute(sessions: sessionmaker[Session], run_id: int,
            on_cells: Callable[[int], None] | None = None,
            executor: Executor | None = None) -> int:
    """Compute and store every missing cell of the run; returns how many were written.

    Chunks are fixed slices of the grid (run.chunk_cells cells each), so a resumed run does
    exactly the computations an uninterrupted one would (same batches, same reductions); a
    chunk whose cells are all stored is skipped and only missing cells are written. The
    executor (default: in-process, chunk by chunk) computes; this process alone writes, one
    cell per transaction, so a cell is stored once whichever worker computed it.
    """
    run = _load(sessions, run_id)[0]  # the source is checked here, loaded by the executor
    storage.set_status(sessions, run_id, "running")
    try:
        written = _execute(sessions, run, on_cells, executor or LocalExecutor())
    except Exception:
        storage.set_status(sessions, run_id, "failed")  # resumable like an interrupted run
        raise
    storage.set_status(sessions, run_id, "finished")
    return written


def _execute(sessions: sessionmaker[Session], run: Any, on_cells: Callable[[int], None] | None,
             executor: Executor) -> int:
    """Write the run's missing cells; returns how many."""
    run_id = run.id
    cells = grid_cells(run.grid)
    done = storage.written_cells(sessions, run_id)
    if on_cells is not None and done:
        on_cells(len(done))
    chunks = [cells[first : first + run.chunk_cells]
              for first in range(0, len(cells), run.chunk_cells)]
    pending = [chunk for chunk in chunks if not all(cell in done for cell in chunk)]
    written = 0
    for chunk, results in executor.map(RunJob.of(run), pending):
        for cell, stats in zip(chunk, results, strict=True):
            if cell in done:
                continue
            check_stats(cell, stats)
            with ctrl_c_held():  # a cell's transaction ends whole, then Ctrl-C stops the run
                stored = storage.write_cell(sessions, run_id, cell, stats)
            if stored:
                written += 1
                if on_cells is not None:
                    on_cells(1)
    return written
