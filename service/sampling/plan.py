"""Planning: which stage truncates each row first, and where its candidate window starts.

Thresholds here are estimates from a strided subsample; window.py extracts the candidates
and the stages certify the result (see State), so an estimate can cost time, never accuracy.
"""

import numpy as np

from .params import SamplingParams

# Below this vocabulary size a full sort per row costs less than estimating a window, so
# every truncated row takes the whole-vocabulary path.
SMALL_VOCAB = 4096
# Strided subsample size used to estimate top-k and top-p thresholds.
SUBSAMPLE = 1024
# The wide retry: tokens this many nats (times T, plus ln V) below the maximum carry less
# than e^-30 of the top token's mass in total.
TAIL_NATS = 30.0

SHAPING = ("min_p", "top_k", "top_p", "typical_p", "top_n_sigma", "xtc")
# A stage can act only if the caller set this parameter: its default turns the stage off.
SWITCHED_BY = {"temperature": "temperature", "min_p": "min_p", "top_k": "top_k",
               "top_p": "top_p", "typical_p": "typical_p", "top_n_sigma": "top_n_sigma",
               "xtc": "xtc_probability"}


def may_act(stage: str, params: SamplingParams) -> bool:
    """False when the stage is off for every row because its parameter was left unset."""
    return SWITCHED_BY.get(stage) in params.given


def any_stage_may_act(params: SamplingParams) -> bool:
    """Whether some shaping stage (or greedy, through temperature) may change any row."""
    return bool(params.given) and any(may_act(stage, params)
                                      for stage in ("temperature", *params.order))


def stage_active(stage: str, params: SamplingParams, vocab: int) -> np.ndarray:
    """Per-row mask: does this shaping stage change anything for the row?"""
    if not may_act(stage, params):
        return np.zeros(len(params.temperature), dtype=bool)
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


def only_stage(stage: str, params: SamplingParams, vocab: int) -> np.ndarray:
    """Per-row mask: `stage` is the one active shaping stage of the row (and T > 0)."""
    others = [stage_active(s, params, vocab) for s in SHAPING if s != stage and s in params.order]
    alone = stage_active(stage, params, vocab) & (params.temperature > 0)
    for active in others:
        alone &= ~active
    return alone


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
    greedy = params.temperature == 0
    first[greedy] = "greedy"
    t_before[greedy] = 1.0  # greedy rows never scale by temperature
    return first, t_before


def estimate_thresholds(sub, step, top_low, first, t_before, params, sigma,
                        margin: float = 8.0) -> np.ndarray:
    """A logit threshold per row below which no token survives its first shaping stage.

    `sub` is the sorted subsample (see subsample) and `top_low` a lower bound on the row max.
    """
    batch, width = sub.shape
    thr = np.full(batch, -np.inf)
    rows = np.arange(batch)
    is_min_p = first == "min_p"
    thr[is_min_p] = top_low[is_min_p] + t_before[is_min_p] * np.log(params.min_p[is_min_p])
    thr[first == "greedy"] = top_low[first == "greedy"]
    is_top_k = first == "top_k"
    if is_top_k.any():
        k = params.top_k
        position = k - 1 if step == 1 else -(-2 * k // step) + 2
        thr[is_top_k] = sub[rows, np.clip(position, 0, width - 1)][is_top_k]
    # Rows whose subsample holds no finite value are not windowed (see the pipeline).
    is_top_p = (first == "top_p") & np.isfinite(top_low)
    if is_top_p.any():
        chosen = sub[is_top_p]
        with np.errstate(over="ignore"):  # past the range below the top: weight 0
            weights = np.exp((chosen - top_low[is_top_p, None]) / t_before[is_top_p, None])
        cumulative = np.cumsum(weights, axis=1)
        goal = 1 - (1 - params.top_p[is_top_p]) / margin
        position = np.count_nonzero(cumulative < (goal * cumulative[:, -1])[:, None], axis=1)
        thr[is_top_p] = chosen[np.arange(len(chosen)), np.clip(position + 1, 0, width - 1)]
    is_sigma = first == "top_n_sigma"
    with np.errstate(over="ignore"):  # n * sigma past the range: no threshold (-inf)
        thr[is_sigma] = (top_low - params.top_n_sigma * sigma)[is_sigma]
    # Cuts derived exactly (min_p, top_n_sigma) are recomputed after rounding; a hair of slack
    # keeps a token sitting exactly on the cut inside the window.
    return thr - 1e-9 * np.maximum(1.0, np.abs(thr))


def wide_thresholds(top_low, t_before, vocab: int) -> np.ndarray:
    """The retry threshold: tokens below it carry less than e^-30 of the top token's mass."""
    return top_low - t_before * (TAIL_NATS + np.log(vocab))


def subsample(z: np.ndarray, adjustments) -> tuple[np.ndarray, int]:
    """Every step-th logit of each row (adjusted values substituted), sorted descending."""
    step = max(1, z.shape[1] // SUBSAMPLE)
    sub = z[:, ::step].astype(np.float64)
    if adjustments is not None:
        on_grid = adjustments.cols % step == 0
        sub[adjustments.rows[on_grid], adjustments.cols[on_grid] // step] = (
            adjustments.values[on_grid]
        )
    sub.sort(axis=1)
    return sub[:, ::-1], step


def top_lower_bound(sub: np.ndarray, adjustments) -> np.ndarray:
    """A lower bound on each row's adjusted maximum: every value here is a real logit."""
    bound = sub[:, 0].copy()
    if adjustments is not None:
        np.maximum.at(bound, adjustments.rows, adjustments.values)
    return bound


def refine_rules(first, t_before, params) -> tuple[np.ndarray, np.ndarray]:
    """Per row, what its first stage keeps, for refining windows before they are padded:
    an offset below the row maximum (min_p: T ln(min_p); greedy: 0; else -inf) and a count
    (top_k: k; else 0)."""
    offset = np.full(len(first), -np.inf)
    greedy, is_min_p = first == "greedy", first == "min_p"
    offset[greedy] = 0.0
    offset[is_min_p] = t_before[is_min_p] * np.log(params.min_p[is_min_p])
    k = np.where(first == "top_k", params.top_k, 0)
    return offset, k


def nucleus_thresholds(sub, step, rows, t_before, top_p, total) -> np.ndarray:
    """Top-p thresholds for rows whose whole-row mass is known exactly.

    The subsample is a poor guide to the head of a heavy-tailed distribution (it rarely holds
    the top tokens) but a good one to its tail, where many small masses average out. So pick
    the highest sampled logit below which the estimated tail mass (each sample standing for
    `step` tokens) is at most half of the 1 - top_p that the nucleus may leave out.
    """
    mass, ref = total
    chosen = sub[rows]
    weights = np.exp(chosen / t_before[rows, None] - ref[:, None]) * step
    below = np.cumsum(weights[:, ::-1], axis=1)[:, ::-1] - weights  # mass under each sample
    allowed = (1 - top_p[rows]) * mass / 2
    position = np.argmax(below <= allowed[:, None], axis=1)
    return chosen[np.arange(len(rows)), position]
