"""The sweep engine: plan a run, then compute and store its missing cells chunk by chunk."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from runner import storage
from runner.chunk import compute_chunk
from runner.crn import CRN_SCHEME, row_seeds
from runner.grid import CellParams, grid_cells
from runner.rowcontext import RowContext
from runner.sources import Source, load_source
from service.sampling import row_uniforms
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


def chunk_cells_for(rows: int, vocab: int, samples: int, budget: int = MEMORY_BUDGET) -> int:
    """Cells per chunk so that a chunk's working set stays within `budget` bytes."""
    per_batch_row = 8 * (12 * vocab + 10 * samples)
    return max(1, budget // (per_batch_row * rows))


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


def create(sessions: sessionmaker[Session], spec: SweepSpec) -> int:
    """Validate the spec, record the run (grid, seed, conventions) and return its id."""
    source = load_source(spec.source)
    _check(spec, source)
    cells = grid_cells(spec.grid)
    return storage.create_run(
        sessions, name=spec.name, source=spec.source, grid=spec.grid, samples=spec.samples,
        seed=spec.seed, preset=spec.preset, stage_order=list(PRESETS[spec.preset]),
        top_p_rule=TOP_P_RULE, crn_scheme=CRN_SCHEME, n_rows=source.n_rows,
        vocab_size=source.vocab_size, n_cells=len(cells),
        chunk_cells=chunk_cells_for(source.n_rows, source.vocab_size, spec.samples,
                                    spec.memory_budget),
    )


def _load(sessions: sessionmaker[Session], run_id: int) -> tuple[Any, Source]:
    run = storage.get_run(sessions, run_id)
    if run is None:
        raise SweepError(f"no run with id {run_id}")
    source = load_source(run.source)
    if (source.n_rows, source.vocab_size) != (run.n_rows, run.vocab_size):
        raise SweepError(f"run {run_id}: source {run.source} now has shape {source.logits.shape}"
                         f", the run recorded ({run.n_rows}, {run.vocab_size})")
    return run, source


def execute(sessions: sessionmaker[Session], run_id: int,
            on_cells: Callable[[int], None] | None = None) -> int:
    """Compute and store every missing cell of the run; returns how many were written.

    Chunks are fixed slices of the grid (run.chunk_cells cells each), so a resumed run feeds
    the core exactly the batches an uninterrupted one would; a chunk whose cells are all
    stored is skipped and only missing cells are written.
    """
    run, source = _load(sessions, run_id)
    storage.set_status(sessions, run_id, "running")
    cells = grid_cells(run.grid)
    done = storage.written_cells(sessions, run_id)
    if on_cells is not None and done:
        on_cells(len(done))
    ctx = RowContext(source, run.preset)
    uniforms = row_uniforms(row_seeds(run.seed, source.n_rows), run.samples)
    written = 0
    for first in range(0, len(cells), run.chunk_cells):
        chunk: list[CellParams] = cells[first : first + run.chunk_cells]
        if all(cell in done for cell in chunk):
            continue
        results = compute_chunk(ctx, uniforms, chunk, run.preset, source.contexts)
        for cell, stats in zip(chunk, results, strict=True):
            if cell not in done and storage.write_cell(sessions, run_id, cell, stats):
                written += 1
                if on_cells is not None:
                    on_cells(1)
    storage.set_status(sessions, run_id, "finished")
    return written
