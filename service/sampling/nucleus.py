"""Top-p over flat distributions: a nucleus holding a large share of the vocabulary.

When the first window cannot certify a top-p row, the nucleus is large (tens of thousands of
tokens), and candidate windows stop paying off. For rows where top_p is the only active
shaping stage this module computes the exact result row by row in float64: the whole-row
mass, a sort of only the tokens above an estimated threshold, and the kept set by one
comparison. The estimate is verified: a row whose threshold proves too high is returned to
the caller for the whole-vocabulary path.
"""

import numpy as np

from .dense import adjusted_block
from .stages import TOP_P_TOLERANCE
from .trace import Segment


def nucleus_segment(z, rows, thr, t_before, temperature, top_p, adjustments):
    """Exact top-p for `rows` (raw thresholds `thr`); returns (segment or None, failed rows)."""
    done, counts, entropies, id_parts, prob_parts, failed = [], [], [], [], [], []
    for row, cut_guess in zip(rows.tolist(), thr.tolist(), strict=True):
        x = adjusted_block(z, np.array([row]), adjustments, np.float64)[0]
        top = x.max()
        if not np.isfinite(top):
            failed.append(row)  # NaN / +inf / masked rows: validated on the dense path
            continue
        scale = 1.0 / t_before[row]
        weights = np.exp((x - top) * scale)
        total = float(np.einsum('i->', weights))
        above = np.sort(x[x >= cut_guess])[::-1]
        cumulative = np.cumsum(np.exp((above - top) * scale))
        reach = np.count_nonzero(cumulative < (top_p[row] - TOP_P_TOLERANCE) * total)
        if reach >= len(above):
            failed.append(row)
            continue
        kept = np.flatnonzero(x >= above[reach])
        # The final distribution uses the row's own temperature (llama.cpp applies it last).
        shifted = (x[kept] - top) / temperature[row]
        mass = np.exp(shifted)
        norm = mass.sum()
        entropies.append(max(np.log(norm) - float(np.einsum('i,i->', mass, shifted)) / norm, 0.0))
        done.append(row)
        counts.append(len(kept))
        id_parts.append(kept.astype(np.int32))
        prob_parts.append((mass / norm).astype(np.float32))
    segment = None
    if done:
        segment = Segment(np.array(done), np.array(counts), np.concatenate(id_parts),
                          np.concatenate(prob_parts), np.array(entropies), None)
    return segment, np.array(failed, dtype=np.int64)
