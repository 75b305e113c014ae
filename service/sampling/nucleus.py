"""Top-p over flat distributions: a nucleus holding a large share of the vocabulary.

When the first window cannot certify a top-p row, the nucleus is large (tens of thousands of
tokens), and padded candidate windows stop paying off. For rows where top_p is the only
active shaping stage this module computes the exact result row by row: the whole-row mass is
known (window.row_total_mass), only the tokens above an estimated threshold are sorted, and
one comparison gives the kept set. A row whose threshold proves too high is returned to the
caller for the whole-vocabulary path.
"""

import numpy as np

from .stages import TOP_P_TOLERANCE


def _candidates(z, row, cut, adjustments) -> tuple[np.ndarray | None, np.ndarray]:
    """Values of the tokens with z >= cut (NaN included, so it can be caught) plus adjusted
    tokens; ids too (ascending) when tokens are adjusted, else None (the caller finds them
    by comparison, which needs no row-sized index array)."""
    lo, hi = (np.searchsorted(adjustments.rows, [row, row + 1]) if adjustments is not None
              else (0, 0))
    if lo == hi:
        return None, z[row][~(z[row] < cut)]
    ids = np.union1d(np.flatnonzero(~(z[row] < cut)), adjustments.cols[lo:hi])
    values = z[row, ids].astype(np.float64)
    values[np.searchsorted(ids, adjustments.cols[lo:hi])] = adjustments.values[lo:hi]
    return ids, values


def nucleus_cuts(z, rows, thr, t_before, top_p, adjustments, total) -> np.ndarray:
    """The exact top-p cut (raw logit) of each row, NaN where the guess `thr` was too high
    or the row holds NaN / +inf (those go to the whole-vocabulary path)."""
    cuts = np.full(len(rows), np.nan)
    for i, (row, guess) in enumerate(zip(rows.tolist(), thr.tolist(), strict=True)):
        _, values = _candidates(z, row, guess, adjustments)
        scale = 1.0 / t_before[row]
        top = total[1][i] / scale  # the adjusted row maximum, raw units
        if not values.size or not np.all(np.isfinite(values)) or values.max() != top:
            continue
        values.sort()
        ranked = values[::-1]
        cumulative = np.exp((ranked.astype(np.float64) - top) * scale)
        np.cumsum(cumulative, out=cumulative)
        reach = int(np.count_nonzero(cumulative < (top_p[row] - TOP_P_TOLERANCE) * total[0][i]))
        if reach < len(ranked):
            cuts[i] = ranked[reach]
    return cuts


def _kept(z, row, cut, adjustments) -> tuple[np.ndarray, np.ndarray]:
    ids, values = _candidates(z, row, cut, adjustments)
    if ids is None:
        return np.flatnonzero(z[row] >= cut), values
    keep = values >= cut
    return ids[keep], values[keep]


def nucleus_writer(z, rows, cuts, temperature, adjustments, top):
    """(kept counts, writer) for BatchBuilder.reserve: q over the tokens at or above the cut,
    written straight into the batch's arrays."""
    counts = np.array([np.count_nonzero(_candidates(z, row, cut, adjustments)[1] >= cut)
                       for row, cut in zip(rows.tolist(), cuts.tolist(), strict=True)])

    def write(views):
        entropy = np.empty(len(rows))
        for i, (row, cut) in enumerate(zip(rows.tolist(), cuts.tolist(), strict=True)):
            ids, values = _kept(z, row, cut, adjustments)
            # The final distribution uses the row's own temperature (llama.cpp applies it
            # last), shifted by the row maximum.
            shifted = (values.astype(np.float64) - top[i]) / temperature[row]
            mass = np.exp(shifted)
            norm = float(np.einsum("i->", mass))
            entropy[i] = max(np.log(norm) - float(np.einsum("i,i->", mass, shifted)) / norm, 0.0)
            mass /= norm
            views[i][0][:] = ids
            views[i][1][:] = mass
        return entropy

    return counts, write
