"""Compute the statistics of a chunk of cells in one vectorized pass through the core."""

from __future__ import annotations

from typing import Any

import numpy as np

from runner.grid import CellParams
from runner.rowcontext import RowContext
from runner.stats.empirical import pooled_counts, row_counts
from runner.stats.exact import exact_row_stats, renormalize
from service.sampling import draw, process
from service.sampling.result import ProcessedBatch


def padded_ids(batch: ProcessedBatch, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Kept token ids of rows start..stop as (rows, K) zero-padded, K their max kept count."""
    indptr = batch.indptr[start : stop + 1]
    kept = np.diff(indptr)
    ids = np.zeros((stop - start, int(kept.max())), dtype=np.int64)
    row = np.repeat(np.arange(stop - start), kept)
    offset = np.arange(indptr[0], indptr[-1]) - np.repeat(indptr[:-1], kept)
    ids[row, offset] = batch.token_ids[indptr[0] : indptr[-1]]
    return ids, kept


def _exact(ctx: RowContext, batch: ProcessedBatch, cell: CellParams, start: int,
           samples: int) -> dict[str, float]:
    ids, kept = padded_ids(batch, start, start + ctx.logits.shape[0])
    tempered = ctx.tempered_logprob_at(ids, kept, cell.temperature, cell.repetition_penalty)
    tempered = np.where(np.arange(ids.shape[1])[None, :] < kept[:, None], tempered, -np.inf)
    # q in float64 from the logits: truncation stages only choose the kept set, so q is the
    # tempered (and penalised) softmax renormalised over it (docs/statistics.md).
    q = renormalize(tempered)
    stats = exact_row_stats(q, kept, ctx.raw_logprob_at(ids), tempered, samples)
    means = {name: float(values.mean()) for name, values in stats.items()}
    means["perplexity"] = float(np.exp(means["entropy"]))
    return means


def draw_chunk(ctx: RowContext, uniforms: np.ndarray, cells: list[CellParams], preset: str,
               contexts: list[list[int]] | None) -> tuple[ProcessedBatch, np.ndarray]:
    """Process and draw all (cell, source row) pairs in one batch, cell-major."""
    rows = uniforms.shape[0]
    per_row = {name: np.repeat([getattr(c, name) for c in cells], rows)
               for name in CellParams._fields}
    kwargs: dict[str, Any] = {"preset": preset, **per_row}
    if contexts is not None:
        kwargs["context"] = contexts * len(cells)
    batch = process(np.tile(ctx.logits, (len(cells), 1)), **kwargs)
    # Common random numbers: every cell reuses the same (rows, N) uniforms of its source rows.
    tokens, _ = draw(batch, np.tile(uniforms, (len(cells), 1)))
    return batch, tokens


def compute_chunk(ctx: RowContext, uniforms: np.ndarray, cells: list[CellParams],
                  preset: str, contexts: list[list[int]] | None) -> list[dict[str, Any]]:
    """Every cell's statistics from one vectorized pass over the chunk."""
    rows, samples = uniforms.shape
    batch, tokens = draw_chunk(ctx, uniforms, cells, preset, contexts)
    counts = row_counts(tokens)
    results = []
    for index, cell in enumerate(cells):
        start = index * rows
        cell_counts = {key: value[start : start + rows] for key, value in counts.items()}
        results.append(_exact(ctx, batch, cell, start, samples)
                       | pooled_counts(cell_counts, samples))
    return results
