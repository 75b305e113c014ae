"""Candidate windows: the tokens of a row that could possibly survive the stages.

A full-vocabulary sort is what makes samplers slow. Most rows are truncated by their first
distribution-shaping stage to a few hundred tokens, so the core extracts the tokens above a
planned threshold (see plan.py) in one comparison pass and runs the stages on those alone.
"""

import numpy as np

# Rows whose window would hold more than this share of the vocabulary go dense directly.
MAX_WINDOW_SHARE = 0.25
# Rows whose top_p is their only truncation switch to the nucleus path (a value sort) rather
# than a window wider than this: past it, padded windows cost more than the sort.
NUCLEUS_SWITCH = 4096
# Top-p rows whose whole-row mass has been summed may use windows up to this share.
EXACT_TOTAL_SHARE = 0.6
# Windows are processed this many candidates' worth of rows at a time.
WINDOW_CHUNK = 1 << 18
def select(z: np.ndarray, rows: np.ndarray, thr: np.ndarray, max_count):
    """Flat keys (position in `rows` * V + token id) of tokens not below `thr`, and which
    rows fit within `max_count` candidates (one number, or one per row).

    The test is `not (z < thr)` so that NaN lands among the candidates, where the caller's
    check finds it: the window pass never reads the whole row twice. For float32 logits the
    thresholds are rounded to float32, which can only admit a few extra candidates: no float32
    lies between a threshold and its rounding up.
    """
    consecutive = len(rows) and rows[-1] - rows[0] == len(rows) - 1
    block = z[rows[0]:rows[-1] + 1] if consecutive else z[rows]
    mask = block < thr.astype(z.dtype)[:, None]
    np.logical_not(mask, out=mask)
    limit = np.broadcast_to(max_count, (len(rows),))
    fits = np.array([np.count_nonzero(line) <= cap for line, cap in zip(mask, limit, strict=True)],
                    dtype=bool)
    if not fits.all():
        mask[~fits] = False
    return np.flatnonzero(mask), fits


def _refine(values, row_of, counts, thr, rules) -> tuple[np.ndarray, np.ndarray]:
    """Drop candidates the first stage certainly removes; returns (keep mask, new bounds).

    The cut is lowered by a hair so that the stage, recomputing it after rounding, still
    finds it at or above the new bound of the tokens left outside.
    """
    offset, k = rules
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    present = counts > 0
    top = np.full(len(counts), -np.inf)
    top[present] = np.maximum.reduceat(values, starts[present])
    cut = top + offset
    for row in np.flatnonzero((k > 0) & (counts >= k)).tolist():
        segment = values[starts[row]:starts[row] + counts[row]]
        cut[row] = max(cut[row], np.partition(segment, counts[row] - k[row])[counts[row] - k[row]])
    cut = np.where(np.isfinite(cut), cut - 1e-9 * np.maximum(1.0, np.abs(cut)), -np.inf)
    return values >= cut[row_of], np.maximum(thr, cut)


def extract(z, rows, keys, adjustments, thr, rules):
    """Gather the candidates `keys` of `rows` (see select) plus every adjusted token, drop
    those the first stage certainly removes (see refine_rules), and pad.

    Returns padded (len(rows), N) logits and token ids in token-id order, the per-row count
    of tokens left outside, and the per-row bound below which those outside tokens lie.
    """
    vocab = z.shape[1]
    adjusted_keys = adjusted_values = None
    if adjustments is not None:
        position, mine = adjustments.locate(rows)
        adjusted_keys = position * vocab + adjustments.cols[mine]
        adjusted_values = adjustments.values[mine]
        # Both key lists are sorted: insert the adjusted ones not already selected.
        at = np.searchsorted(keys, adjusted_keys)
        present = np.zeros(len(at), dtype=bool)
        inside = at < len(keys)
        present[inside] = keys[at[inside]] == adjusted_keys[inside]
        keys = np.insert(keys, at[~present], adjusted_keys[~present])
    row_of, ids = np.divmod(keys, vocab)
    values = z[rows[row_of], ids].astype(np.float64)
    if adjusted_keys is not None:
        values[np.searchsorted(keys, adjusted_keys)] = adjusted_values
    counts = np.bincount(row_of, minlength=len(rows))
    keep, thr = _refine(values, row_of, counts, thr, rules)
    row_of, ids, values = row_of[keep], ids[keep], values[keep]
    counts = np.bincount(row_of, minlength=len(rows))
    width = max(int(counts.max(initial=0)), 1)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    column = np.arange(len(values)) - starts[row_of]
    x = np.full((len(rows), width), -np.inf)
    token_ids = np.zeros((len(rows), width), dtype=np.int64)
    x[row_of, column] = values
    token_ids[row_of, column] = ids
    return x, token_ids, vocab - counts, thr


def row_total_mass(z, rows, t_before, adjustments) -> tuple[np.ndarray, np.ndarray]:
    """Per row: sum(exp((z' - ref) / T)) over the whole row, and ref / T.

    z' are the adjusted logits and ref >= every one of them, so nothing overflows. One float64
    exp pass per row, summed by einsum: a flat nucleus boundary sits between
    tokens whose masses differ by ~1e-6 of the total, so float32 would blur it.
    """
    vocab = z.shape[1]
    block = min(vocab, 1 << 14)  # float64 work in cache-sized pieces, not a row-sized copy
    buffer = np.empty(block)
    mass, ref = np.empty(len(rows)), np.empty(len(rows))
    with np.errstate(all="ignore"):  # NaN / +inf rows get a NaN mass; validation is elsewhere
        for i, row in enumerate(rows.tolist()):
            inverse_t = 1.0 / float(t_before[row])
            top = float(z[row].max())
            raw = new = np.empty(0)
            if adjustments is not None:
                lo, hi = np.searchsorted(adjustments.rows, [row, row + 1])
                raw = z[row, adjustments.cols[lo:hi]].astype(np.float64)
                new = adjustments.values[lo:hi]
                top = max(top, float(new.max(initial=-np.inf)))
            total = 0.0
            for start in range(0, vocab, block):
                piece = buffer[:min(block, vocab - start)]
                np.subtract(z[row, start:start + block], top, out=piece)
                np.multiply(piece, inverse_t, out=piece)
                np.exp(piece, out=piece)
                total += float(np.einsum('i->', piece))
            total += np.exp((new - top) * inverse_t).sum() - np.exp((raw - top) * inverse_t).sum()
            mass[i], ref[i] = total, top * inverse_t
    return mass, ref
