"""The logit_bias and penalties stages, applied as sparse per-token edits.

Both stages touch only a few tokens per row (the biased ids and the context ids), so the core
never copies a row to apply them: it computes the edited values of those tokens and lets the
later passes use them in place of the originals.
"""

from dataclasses import dataclass

import numpy as np

from .errors import InvalidParameterError
from .params import SamplingParams


@dataclass
class Adjustments:
    """Edited logits, as flat (row, col) keys sorted by row then token id."""

    rows: np.ndarray
    cols: np.ndarray
    # Values after each adjustment stage, cumulatively, keyed by stage name.
    values_after: dict[str, np.ndarray]

    @property
    def values(self) -> np.ndarray:
        """The values after every adjustment stage."""
        return list(self.values_after.values())[-1]

    def locate(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For the edits that fall in `rows` (sorted batch row ids): their positions in `rows`
        and their indices here."""
        # Each row's edits are one run of the sorted self.rows: two binary searches per row
        # find it. (Searching every edit among the rows instead cost O(edits) per call: with
        # one call per chunk of rows, O(B^2 x context) for a batch.)
        starts = np.searchsorted(self.rows, rows, side="left")
        counts = np.searchsorted(self.rows, rows, side="right") - starts
        position = np.repeat(np.arange(len(rows)), counts)
        mine = np.arange(position.size) + np.repeat(starts - (np.cumsum(counts) - counts), counts)
        return position, mine


def _runs(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal sorted keys starts (a boolean per key), and its length."""
    new = np.ones(len(ordered), dtype=bool)  # no keys at all: no runs
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    return new, np.diff(np.append(starts, len(ordered)))


def sorted_unique(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unique keys, counts, inverse) by one sort: numpy's hash-based unique is far slower
    on the few thousand integer keys seen here."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    new, counts = _runs(ordered)
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], counts, inverse


def unique_counts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unique keys, counts) as sorted_unique gives them, without the inverse or an argsort."""
    ordered = np.sort(keys)
    new, counts = _runs(ordered)
    return ordered[new], counts


def _context_counts(params: SamplingParams, vocab: int) -> tuple[np.ndarray, np.ndarray]:
    """Unique (row * vocab + token) keys of the counted context, and their counts."""
    keys = []
    for row, ids in enumerate(params.context):
        last_n = params.penalty_last_n
        if last_n is not None:
            ids = ids[len(ids) - min(len(ids), int(last_n[row])):]
        keys.append(ids + row * vocab)
    keys = np.concatenate(keys) if keys else np.empty(0, dtype=np.int64)
    return unique_counts(keys)


def _bias_keys(params: SamplingParams, vocab: int) -> tuple[np.ndarray, np.ndarray]:
    keys = np.concatenate([ids + row * vocab for row, (ids, _) in enumerate(params.logit_bias)])
    biases = np.concatenate([b for _, b in params.logit_bias])
    unique, _, inverse = sorted_unique(keys)
    summed = np.zeros(unique.size)
    np.add.at(summed, inverse, biases)  # "5" and 5 may both name token 5
    return unique, summed


def penalize(values, counts, rows, cols, params: SamplingParams) -> np.ndarray:
    """Repetition (x/r if x > 0 else x*r), then x -= count * frequency + presence.

    A logit that x / r pushes past the float64 range would be +inf, whose softmax is NaN: that
    is refused, naming the row and token (`cols`). One that x * r pushes below it becomes -inf,
    a removed token, which is its probability in the limit anyway.
    """
    r = params.repetition_penalty[rows]
    with np.errstate(over="ignore"):  # overflow is checked just below
        values = np.where(values > 0, values / r, values * r)
    if np.isposinf(values).any():
        at = int(np.argmax(np.isposinf(values)))
        raise InvalidParameterError(
            f"repetition_penalty {r[at]:g} makes the logit of token {int(cols[at])} in row "
            f"{int(rows[at])} overflow: x / r exceeds the float64 range",
            field="repetition_penalty")
    return values - counts * params.frequency_penalty[rows] - params.presence_penalty[rows]


def compute_adjustments(z: np.ndarray, params: SamplingParams) -> Adjustments | None:
    """Apply logit_bias and penalties, in their order, to the tokens they touch."""
    vocab = z.shape[1]
    use_bias = params.logit_bias is not None and "logit_bias" in params.order
    use_penalties = (
        params.context is not None
        and "penalties" in params.order
        and (
            (params.repetition_penalty != 1).any()
            or (params.frequency_penalty != 0).any()
            or (params.presence_penalty != 0).any()
        )
    )
    if not (use_bias or use_penalties):
        return None
    bias_keys, biases = _bias_keys(params, vocab) if use_bias else (np.empty(0, np.int64), None)
    ctx_keys, counts = (_context_counts(params, vocab) if use_penalties
                        else (np.empty(0, np.int64), None))
    if use_penalties and not ctx_keys.size:  # penalty_last_n = 0 counts nothing: no edits
        use_penalties = False
        if not use_bias:
            return None
    # Each set of keys is already sorted and unique; only both together need merging.
    keys = (sorted_unique(np.concatenate((bias_keys, ctx_keys)))[0] if use_bias and use_penalties
            else bias_keys if use_bias else ctx_keys)
    rows, cols = np.divmod(keys, vocab)
    values = z[rows, cols].astype(np.float64)
    values_after = {}
    for stage in params.order:
        if stage == "logit_bias" and use_bias:
            values = values.copy()
            values[np.searchsorted(keys, bias_keys)] += biases
            values_after[stage] = values
        elif stage == "penalties" and use_penalties:
            values = values.copy()
            at = np.searchsorted(keys, ctx_keys)
            values[at] = penalize(values[at], counts, rows[at], cols[at], params)
            values_after[stage] = values
    return Adjustments(rows, cols, values_after)
