"""A run's compute job: what any worker needs to turn a chunk of cells into statistics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from runner.chunk import compute_chunk
from runner.crn import row_seeds
from runner.grid import CellParams
from runner.prefix import SortedRows
from runner.prefix_stats import compute_prefix_chunk
from runner.rowcontext import RowContext
from runner.sources import Source, load_source
from service import allocator
from service.sampling import row_uniforms

ChunkFunction = Callable[[np.ndarray, list[CellParams]], list[dict[str, Any]]]


@dataclass(frozen=True)
class RunJob:
    """The recorded fields a chunk's result depends on; small, hashable and picklable."""

    source: str
    engine: str
    preset: str
    seed: int
    samples: int

    @classmethod
    def of(cls, run: Any) -> RunJob:
        """The job of a stored Run (or anything with the same attributes)."""
        return cls(run.source, run.engine, run.preset, int(run.seed), int(run.samples))


def chunk_function(engine: str, preset: str, source: Source) -> ChunkFunction:
    """The engine's chunk function: uniforms and cells in, one statistics dict per cell out."""
    if engine == "prefix":
        rows = SortedRows(source.logits)
        return lambda uniforms, cells: compute_prefix_chunk(rows, uniforms, cells, preset)
    ctx = RowContext(source, preset)
    return lambda uniforms, cells: compute_chunk(ctx, uniforms, cells, preset, source.contexts)


def prepare(job: RunJob) -> tuple[ChunkFunction, np.ndarray]:
    """The loaded source's chunk function and the run's common random numbers."""
    allocator.tune()  # spawned pool and Dask workers do not inherit the CLI's setting
    source = load_source(job.source)
    uniforms = row_uniforms(row_seeds(job.seed, source.n_rows), job.samples)
    return chunk_function(job.engine, job.preset, source), uniforms


# A worker process keeps the last job it prepared: its next chunk of the run starts at once.
_prepared = lru_cache(maxsize=1)(prepare)


def compute_cells(job: RunJob, cells: list[CellParams]) -> list[dict[str, Any]]:
    """Statistics of one chunk of cells, in the chunk's order; pure (no database access)."""
    compute, uniforms = _prepared(job)
    return compute(uniforms, [CellParams(*cell) for cell in cells])
