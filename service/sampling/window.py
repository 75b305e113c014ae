"""Candidate windows: which tokens of a row could possibly survive the stages.

A full-vocabulary sort is what makes samplers slow. Most rows are truncated by their first
distribution-shaping stage to a few hundred tokens, so the core picks, per row, a logit
threshold below which no token can survive that stage, extracts the tokens above it in one
comparison pass, and runs the stages on those alone. The threshold is an estimate; the
stages certify the result (see State), and uncertified rows fall back to the whole row.
"""

import numpy as np

from .params import SamplingParams

# Rows whose window would hold more than this share of the vocabulary go dense directly.
MAX_WINDOW_SHARE = 0.25
# Strided subsample size used to estimate top-k and top-p thresholds.
SUBSAMPLE = 1024
# The wide retry: tokens this many nats (times T, plus ln V) below the maximum carry less
# than e^-30 of the top token's mass in total.
TAIL_NATS = 30.0

SHAPING = ("min_p", "top_k", "top_p", "typical_p", "top_n_sigma", "xtc")


def stage_active(stage: str, params: SamplingParams, vocab: int) -> np.ndarray:
    """Per-row mask: does this shaping stage change anything for the row?"""
    if stage == "min_p":
        return params.min_p > 0
    if stage == "top_k":
        return (params.top_k > 0) & (params.top_k < vocab)
    if stage == "top_p":
        return params.top_p < 1
    if stage == "typical_p":
        return params.typical_p < 1
    if stage == "top_n_sigma":
        return params.top_n_sigma > 0
    if stage == "xtc":
        return (params.xtc_probability > 0) & (params.xtc_threshold <= 0.5)
    return np.zeros(len(params.temperature), dtype=bool)


def first_truncation(params: SamplingParams, vocab: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the first active shaping stage ('' if none) and the temperature before it."""
    batch = len(params.temperature)
    first = np.full(batch, "", dtype=object)
    t_before = np.ones(batch)
    seen_temperature = False
    for stage in params.order:
        if stage == "temperature":
            seen_temperature = True
        if stage not in SHAPING:
            continue
        hit = (first == "") & stage_active(stage, params, vocab)
        first[hit] = stage
        if seen_temperature:
            t_before[hit] = params.temperature[hit]
    first[params.temperature == 0] = "greedy"
    return first, t_before


def estimate_thresholds(z, top_low, first, t_before, params, sigma) -> np.ndarray:
    """A logit threshold per row below which no token survives its first shaping stage."""
    batch, vocab = z.shape
    thr = np.full(batch, -np.inf)
    step = max(1, vocab // SUBSAMPLE)
    sub = np.sort(z[:, ::step], axis=1)[:, ::-1].astype(np.float64)
    width = sub.shape[1]
    rows = np.arange(batch)
    with np.errstate(divide="ignore"):
        is_min_p = first == "min_p"
        thr[is_min_p] = (top_low + t_before * np.log(params.min_p))[is_min_p]
    thr[first == "greedy"] = top_low[first == "greedy"]
    is_top_k = first == "top_k"
    if is_top_k.any():
        k = params.top_k
        position = k - 1 if step == 1 else -(-2 * k // step) + 2
        thr[is_top_k] = sub[rows, np.clip(position, 0, width - 1)][is_top_k]
    is_top_p = first == "top_p"
    if is_top_p.any():
        weights = np.exp((sub - top_low[:, None]) / t_before[:, None])
        cumulative = np.cumsum(weights, axis=1)
        goal = 1 - (1 - params.top_p) / 8
        position = np.count_nonzero(cumulative < (goal * cumulative[:, -1])[:, None], axis=1)
        thr[is_top_p] = sub[rows, np.clip(position + 1, 0, width - 1)][is_top_p]
    is_sigma = first == "top_n_sigma"
    thr[is_sigma] = (top_low - params.top_n_sigma * sigma)[is_sigma]
    return thr


def wide_thresholds(top_low, t_before, vocab: int) -> np.ndarray:
    """The retry threshold: tokens below it carry less than e^-30 of the top token's mass."""
    return top_low - t_before * (TAIL_NATS + np.log(vocab))


def extract(z, rows, mask, adjustments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gather the candidates of `rows`: where `mask` (z >= threshold) holds, plus every
    adjusted token.

    Returns padded (len(rows), N) logits and token ids in token-id order, and the per-row
    count of tokens left outside.
    """
    vocab = z.shape[1]
    keys = np.flatnonzero(mask)
    row_of, ids = np.divmod(keys, vocab)
    values = z[rows[row_of], ids]
    adjusted_keys = adjusted_values = None
    if adjustments is not None:
        position = np.full(z.shape[0], -1)
        position[rows] = np.arange(len(rows))
        mine = position[adjustments.rows] >= 0
        adjusted_keys = position[adjustments.rows[mine]] * vocab + adjustments.cols[mine]
        adjusted_values = adjustments.values[mine]
        keys = np.union1d(keys, adjusted_keys)
        row_of, ids = np.divmod(keys, vocab)
        values = z[rows[row_of], ids]
    values = values.astype(np.float64)
    if adjusted_keys is not None:
        values[np.searchsorted(keys, adjusted_keys)] = adjusted_values
    counts = np.bincount(row_of, minlength=len(rows))
    width = max(int(counts.max(initial=0)), 1)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    column = np.arange(len(keys)) - starts[row_of]
    x = np.full((len(rows), width), -np.inf)
    token_ids = np.zeros((len(rows), width), dtype=np.int64)
    x[row_of, column] = values
    token_ids[row_of, column] = ids
    return x, token_ids, vocab - counts
