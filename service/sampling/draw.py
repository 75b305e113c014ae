"""Inverse-CDF draws from processed distributions, with caller-supplied uniforms."""

import math

import numpy as np

from .result import ProcessedBatch

# The CDF is resolved in two levels: sums of blocks of this many kept tokens, then a
# cumulative sum inside only the blocks that some draw lands in. A row with 128k kept tokens
# and one draw thus costs one pass of block sums instead of a full float64 cumulative sum.
BLOCK = 1024


def block_sums(probs: np.ndarray) -> np.ndarray:
    """Sums of consecutive blocks of BLOCK values (the last block may be shorter), as float64.

    Each block is summed by einsum's SIMD partial sums in the probabilities' own precision
    (~1e-7 relative), inside the rounding of the float32 probabilities themselves, and three
    times faster than a reduction along the blocks.
    """
    full = len(probs) // BLOCK
    sums = np.empty(-(-len(probs) // BLOCK))
    sums[:full] = np.einsum("ij->i", probs[:full * BLOCK].reshape(full, BLOCK))
    if len(probs) > full * BLOCK:
        sums[full] = np.einsum("i->", probs[full * BLOCK:])
    return sums


def draw_row(probs: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """Positions in `probs` (one row's kept tokens) of the draws for `uniforms`.

    The draw for u is the first position whose cumulative mass exceeds u * total. The result
    for each uniform depends only on that uniform and the row, never on how many draws are
    made at once or on other rows.
    """
    block_cum = np.cumsum(block_sums(probs))
    targets = uniforms * block_cum[-1]
    block = np.minimum(block_cum.searchsorted(targets, side="right"), len(block_cum) - 1)
    base = np.where(block > 0, block_cum[block - 1], 0.0)
    positions = np.empty(len(uniforms), dtype=np.int64)
    indices = block.tolist() if len(block) == 1 else np.unique(block).tolist()
    for index in indices:
        chosen = slice(None) if len(indices) == 1 else block == index
        start = index * BLOCK
        within = probs[start:start + BLOCK].astype(np.float64).cumsum()
        # Block sums and in-block sums round differently; never step past the block's mass.
        residual = np.minimum(targets[chosen] - base[chosen], np.nextafter(within[-1], 0))
        found = np.searchsorted(within, residual, side="right")
        positions[chosen] = start + np.minimum(found, len(within) - 1)
    return positions


# Large rows are drawn together when (rows x draws x BLOCK) stays below this many values.
GATHER_LIMIT = 1 << 22


def _draw_large_rows(batch: ProcessedBatch, rows: np.ndarray, uniforms: np.ndarray):
    """draw_row for many rows at once, with identical results: the same per-row block sums,
    the same first-block-past-the-target rule and the same in-block running sums, gathered
    into padded arrays whose padding lies after every prefix that is read."""
    count = len(rows)
    starts, kept = batch.indptr[rows], batch.kept[rows]
    sums = [block_sums(batch.probs[lo:lo + k]) for lo, k in zip(starts, kept, strict=True)]
    blocks = np.array([len(s) for s in sums])
    padded = np.zeros((count, blocks.max()))
    for i, row_sums in enumerate(sums):
        padded[i, :len(row_sums)] = row_sums
    block_cum = np.cumsum(padded, axis=1)
    line = np.arange(count)[:, None]
    targets = uniforms * block_cum[np.arange(count), blocks - 1][:, None]
    block = np.minimum(np.count_nonzero(block_cum[:, None, :] <= targets[:, :, None], axis=2),
                       (blocks - 1)[:, None])
    base = np.where(block > 0, block_cum[line, np.maximum(block - 1, 0)], 0.0)
    first = starts[:, None] + block * BLOCK
    length = np.minimum(BLOCK, (starts + kept)[:, None] - first)
    offset = np.arange(BLOCK)
    inside = offset < length[:, :, None]
    gathered = np.where(inside, batch.probs[np.where(inside, first[:, :, None] + offset, 0)], 0)
    within = np.cumsum(gathered, axis=2, dtype=np.float64)
    block_total = np.take_along_axis(within, (length - 1)[:, :, None], axis=2)[:, :, 0]
    residual = np.minimum(targets - base, np.nextafter(block_total, 0))
    found = np.count_nonzero(within <= residual[:, :, None], axis=2)
    return first + np.minimum(found, length - 1)


def _draw_small_rows(batch: ProcessedBatch, rows: np.ndarray, uniforms: np.ndarray):
    """Draws for rows of at most one block, with the running sums done for all at once.

    Each row's cumulative sum runs along its own line of a padded array and its total is the
    last element of that prefix, so a row's draws do not depend on what the other rows hold.
    """
    if len(rows) == 1:  # the same sums and rule, without the padding (one request, one row)
        start, stop = batch.indptr[rows[0]:rows[0] + 2].tolist()
        within = batch.probs[start:stop].cumsum(dtype=np.float64)  # the same sums
        total = within[-1].item()
        residual = np.minimum(uniforms[0] * total, math.nextafter(total, 0))
        found = within.searchsorted(residual, side="right")
        np.minimum(found, stop - start - 1, out=found)
        found += start
        return found[None, :]
    starts, kept = batch.indptr[rows], batch.kept[rows]
    width = int(kept.max(initial=1))
    column = np.arange(width)
    inside = column < kept[:, None]
    index = np.where(inside, starts[:, None] + column, 0)
    padded = np.where(inside, batch.probs[index], 0.0)
    within = np.cumsum(padded, axis=1, dtype=np.float64)
    total = within[np.arange(len(rows)), kept - 1]  # a prefix: padding cannot change it
    residual = np.minimum(uniforms * total[:, None], np.nextafter(total, 0)[:, None])
    if within.size * uniforms.shape[1] <= GATHER_LIMIT:
        # Padding repeats the row's total, which the clamped residual never reaches.
        found = np.count_nonzero(within[:, None, :] <= residual[:, :, None], axis=2)
        return starts[:, None] + np.minimum(found, (kept - 1)[:, None])
    out = np.empty(uniforms.shape, dtype=np.int64)
    for i in range(len(rows)):
        found = np.searchsorted(within[i, :kept[i]], residual[i], side="right")
        out[i] = starts[i] + np.minimum(found, kept[i] - 1)
    return out


def draw(batch: ProcessedBatch, uniforms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token j of row b is the first kept token (in id order) whose cumulative mass exceeds
    u[b, j] times the row's mass.

    Returns (tokens int64 (B, n), logprobs float64 (B, n)). The same uniforms give the same
    tokens for the same distribution, which is what makes sweeps use common random numbers.
    """
    uniforms = np.asarray(uniforms, dtype=np.float64)
    if uniforms.ndim != 2 or uniforms.shape[0] != batch.batch:
        raise ValueError(f"uniforms must have shape ({batch.batch}, n), not {uniforms.shape}")
    kept = batch.kept
    if kept.max() <= BLOCK:  # every row small: no split needed (e.g. one small request)
        positions = _draw_small_rows(batch, np.arange(batch.batch), uniforms)
        return _tokens_and_logprobs(batch, positions)
    positions = np.empty(uniforms.shape, dtype=np.int64)
    small = np.flatnonzero(kept <= BLOCK)
    if small.size:
        positions[small] = _draw_small_rows(batch, small, uniforms[small])
    large = np.flatnonzero(kept > BLOCK)
    # One large row is cheaper alone (no padded gather); identical results either way.
    if large.size > 1 and large.size * uniforms.shape[1] * BLOCK <= GATHER_LIMIT:
        positions[large] = _draw_large_rows(batch, large, uniforms[large])
    elif large.size:
        for row in large.tolist():
            lo, hi = int(batch.indptr[row]), int(batch.indptr[row + 1])
            positions[row] = lo + draw_row(batch.probs[lo:hi], uniforms[row])
    return _tokens_and_logprobs(batch, positions)


def _tokens_and_logprobs(batch: ProcessedBatch, positions: np.ndarray):
    tokens = batch.ids_at(positions)
    chosen = batch.probs[positions].astype(np.float64)
    if chosen.all():  # the usual case, without the cost of an errstate context
        return tokens, np.log(chosen)
    with np.errstate(divide="ignore"):  # a kept token whose float32 probability is 0
        return tokens, np.log(chosen)
