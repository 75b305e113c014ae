"""Top-p over flat distributions: a nucleus holding a large share of the vocabulary.

When the first window cannot certify a top-p row, the nucleus is large (tens of thousands of
tokens), and padded candidate windows stop paying off. For rows where top_p is the only
active shaping stage this module computes the exact result row by row, without an index
sort: sorted values give the cut, and one comparison gives the kept set.
"""

import numpy as np

from .stages import TOP_P_TOLERANCE
from .state import LOWEST


def _adjusted_row(z, row, adjustments) -> tuple[np.ndarray, slice | None]:
    """The row's logits with adjustments written in (a float64 copy only when needed)."""
    if adjustments is None:
        return z[row], None
    lo, hi = np.searchsorted(adjustments.rows, [row, row + 1])
    if lo == hi:
        return z[row], None
    values = z[row].astype(np.float64)
    values[adjustments.cols[lo:hi]] = adjustments.values[lo:hi]
    return values, slice(lo, hi)


def nucleus_cuts(z, rows, t_before, top_p, adjustments) -> tuple[np.ndarray, np.ndarray]:
    """The exact top-p cut (a raw logit) of each row, NaN for rows holding NaN / +inf (the
    whole-vocabulary path reports those), and how many tokens sit at or above it.

    One SIMD sort of the row's values (no index sort), then a float64 running sum of
    exp((x - max) / T) in descending order: the cut is the value where it first reaches
    top_p of the total (within the 1e-9 tolerance of docs/sampling.md).
    """
    cuts = np.full(len(rows), np.nan)
    counts = np.zeros(len(rows), dtype=np.int64)
    for i, row in enumerate(rows.tolist()):
        values, _ = _adjusted_row(z, row, adjustments)
        ascending = np.sort(values)
        top = ascending[-1]
        if not np.isfinite(top):
            continue  # NaN sorts last, +inf is the maximum
        weights = ascending[::-1].astype(np.float64)
        with np.errstate(over="ignore"):  # far below the top: -inf, whose weight is 0
            weights -= top
            inverse_t = 1.0 / t_before[row]
            if np.isfinite(inverse_t):
                weights *= inverse_t
            else:  # a T so small that 1 / T overflows: the top stays 0, never 0 * inf
                weights /= t_before[row]
        np.exp(weights, out=weights)
        cut = ascending[len(ascending) - 1 - _reach(weights, (top_p[row] - TOP_P_TOLERANCE)
                                                    * weights.sum())]
        cuts[i] = cut
        counts[i] = len(ascending) - np.searchsorted(ascending, cut, side="left")
    return cuts, counts


def _reach(weights: np.ndarray, goal: float, block: int = 8192) -> int:
    """First index whose running sum reaches `goal`, summing block by block (in place) so a
    nucleus of 40k tokens costs 40k additions, not a whole-row running sum."""
    carried = 0.0
    for start in range(0, len(weights), block):
        piece = np.cumsum(weights[start:start + block], out=weights[start:start + block])
        piece += carried
        if piece[-1] >= goal:
            return start + int(np.searchsorted(piece, goal, side="left"))
        carried = float(piece[-1])
    return len(weights) - 1


def nucleus_writer(z, rows, cuts, temperature, adjustments):
    """Writer for BatchBuilder.reserve: q over the tokens at or above each row's cut, written
    straight into the batch's arrays."""

    def write(reserved):
        entropy = np.empty(len(rows))
        for i, (row, cut) in enumerate(zip(rows.tolist(), cuts.tolist(), strict=True)):
            values, _ = _adjusted_row(z, row, adjustments)
            ids = np.flatnonzero(values >= cut)
            kept = values[ids].astype(np.float64)
            # The final distribution uses the row's own temperature (llama.cpp applies it
            # last), shifted by the row maximum. A tiny T sends (x - max) / T past the range:
            # the most negative float64 instead of -inf keeps its weight 0 and e * x 0, not NaN.
            with np.errstate(over="ignore"):
                shifted = (kept - kept.max()) / temperature[row]
            np.maximum(shifted, LOWEST, out=shifted)
            mass = np.exp(shifted)
            norm = float(np.einsum("i->", mass))
            entropy[i] = max(np.log(norm) - float(np.einsum("i,i->", mass, shifted)) / norm, 0.0)
            out_ids, out_probs = reserved.row(i)
            out_ids[:] = ids
            np.multiply(mass, 1.0 / norm, out=out_probs, casting="same_kind")
        return entropy

    return write
