"""The core engine: a chunk of cells as one batch of (cell, row) pairs through the core."""

from __future__ import annotations

from typing import Any

import numpy as np

from runner.grid import CellParams
from runner.prefix_stats import inverse_cdf
from runner.rowcontext import RowContext
from runner.stats.empirical import pooled_counts, row_counts
from runner.stats.exact import exact_row_stats, renormalize
from service.sampling import process
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


def process_chunk(ctx: RowContext, cells: list[CellParams], preset: str,
                  contexts: list[list[int]] | None) -> ProcessedBatch:
    """The kept sets of all (cell, source row) pairs, cell-major, from one core call."""
    rows = ctx.logits.shape[0]
    per_row = {name: np.repeat([getattr(c, name) for c in cells], rows)
               for name in CellParams._fields}
    kwargs: dict[str, Any] = {"preset": preset, **per_row}
    if contexts is not None:
        kwargs["context"] = contexts * len(cells)
    return process(np.tile(ctx.logits, (len(cells), 1)), **kwargs)


def sorted_positions(ctx: RowContext, ids: np.ndarray, kept: np.ndarray, cell: CellParams,
                     uniforms: np.ndarray) -> np.ndarray:
    """(rows, N) draws as ranks in sorted order (descending x / T, then id), as the prefix
    engine draws them: the same weights exp(z - z_0), the same cumulative sums."""
    if cell.temperature == 0:
        return np.zeros(uniforms.shape, dtype=np.int64)
    scaled = ctx.scaled_at(ids, cell.temperature, cell.repetition_penalty)
    scaled[np.arange(ids.shape[1])[None, :] >= kept[:, None]] = -np.inf
    order = np.lexsort((ids, -scaled), axis=1)
    ordered = np.take_along_axis(scaled, order, axis=1)
    with np.errstate(over="ignore"):  # below the float64 range: weight 0, as in the core
        cumulative = np.cumsum(np.exp(ordered - ordered[:, :1]), axis=1)
    return inverse_cdf(cumulative, kept[None, :], uniforms)[0]


def _exact(ctx: RowContext, ids: np.ndarray, kept: np.ndarray, cell: CellParams,
           samples: int) -> dict[str, float]:
    tempered = ctx.tempered_logprob_at(ids, kept, cell.temperature, cell.repetition_penalty)
    tempered = np.where(np.arange(ids.shape[1])[None, :] < kept[:, None], tempered, -np.inf)
    # q in float64 from the logits: truncation stages only choose the kept set, so q is the
    # tempered (and penalised) softmax renormalised over it (docs/statistics.md).
    q = renormalize(tempered)
    stats = exact_row_stats(q, kept, ctx.raw_logprob_at(ids), tempered, samples)
    means = {name: float(values.mean()) for name, values in stats.items()}
    means["perplexity"] = float(np.exp(means["entropy"]))
    return means


def compute_chunk(ctx: RowContext, uniforms: np.ndarray, cells: list[CellParams],
                  preset: str, contexts: list[list[int]] | None) -> list[dict[str, Any]]:
    """Every cell's statistics: kept sets from one core batch, then per-cell row blocks."""
    rows, samples = uniforms.shape
    batch = process_chunk(ctx, cells, preset, contexts)
    results = []
    for index, cell in enumerate(cells):
        ids, kept = padded_ids(batch, index * rows, (index + 1) * rows)
        positions = sorted_positions(ctx, ids, kept, cell, uniforms)
        results.append(_exact(ctx, ids, kept, cell, samples)
                       | pooled_counts(row_counts(positions), samples))
    return results
