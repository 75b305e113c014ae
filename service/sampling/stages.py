"""One function per stage, each over a group of rows (see docs/sampling.md).

Every function takes the State and per-row parameter arrays aligned with `state.rows`, edits
the state in place, and states in its docstring the formula and the edge cases. A stage that
cannot prove its result independent of tokens outside a candidate window calls
`state.require(...)` so the row is recomputed over the whole vocabulary.
"""

import math

import numpy as np

from .state import LOWEST, NEG_INF, State, below

# A prefix reaches top_p when its mass is within this of top_p (see "Float precision").
TOP_P_TOLERANCE = 1e-9
# Relative uncertainty granted to a whole-row mass summed in float64.
TOTAL_MASS_SLACK = 1e-12


def _softmax(state: State) -> np.ndarray:
    weights = np.exp(below(state.x, np.max(state.x, axis=1, keepdims=True)))
    return weights / state.row_sums(weights)[:, None]


def _row_scaling(state: State, t: np.ndarray) -> tuple | None:
    """(divisor T, shift, whether any row shifts) for temperature(); None if nothing changes.

    One row (the usual request) is decided on Python floats: the same tests and the same
    float64 values as the arrays of a batch, without a dozen numpy calls on 1-element arrays.
    """
    if len(t) == 1:
        divisor = float(t[0]) if t[0] > 0 else 1.0
        top = float(state.row_max()[0])
        shifted = math.isfinite(top) and not math.isfinite(abs(top) / divisor)  # no error
        if not shifted and divisor == 1:
            return None
        return divisor, (top if shifted else 0.0), shifted
    t = np.where(t > 0, t, 1.0)
    top = state.row_max()
    with np.errstate(over="ignore"):  # an overflow to inf is exactly the case to catch
        shift = np.where(np.isfinite(top) & ~np.isfinite(np.abs(top) / t), top, 0.0)
    shifted = bool(shift.any())
    if not shifted and (t == 1).all():
        return None  # x / 1 is x: nothing to do
    return t, shift, shifted


def temperature(state: State, t: np.ndarray) -> None:
    """x = x / T for T > 0; rows with T = 0 were made greedy before any stage ran.

    Only a row whose max / T would overflow is first shifted by its maximum; softmax and every
    later stage are invariant to the shift, and leaving other rows unshifted keeps logits that
    differ by less than the maximum's rounding distinct (a shifted row's tokens more than
    ~1e292 below its maximum round to ties: float64 cannot hold both at that scale).
    A finite logit whose x / T falls below the float64 range (it then has probability 0)
    becomes the most negative float64 rather than -inf: it is still a kept token.
    """
    scaling = _row_scaling(state, t)
    if scaling is None:
        return
    t, shift, shifted = scaling
    # Per-row arrays divide each row; a single row's floats broadcast the same way.
    if isinstance(t, np.ndarray):
        t_col, shift_col, t_min = t[:, None], shift[:, None], float(t.min())
    else:
        t_col, shift_col, t_min = t, shift, t
    # Unshifted, x / T leaves the range only below: not if even min(x) / min(T) stays inside.
    lowest = float(state.x.min())
    clamp = shifted or not (lowest > NEG_INF and lowest / t_min >= LOWEST)
    alive = state.x > NEG_INF if clamp else None
    with np.errstate(over="ignore"):
        if shifted:
            state.x -= shift_col
        state.x /= t_col
        if clamp:
            np.maximum(state.x, LOWEST, out=state.x, where=alive)
        if state._sorted is not None:
            sorted_alive = state._sorted > NEG_INF if clamp else None
            state._sorted = (state._sorted - shift_col) / t_col
            if clamp:
                np.maximum(state._sorted, LOWEST, out=state._sorted, where=sorted_alive)
        if state.windowed:  # what is known of the tail moves with the window; a bound
            # past the range is still a bound (-inf: the tail's weight is 0 anyway)
            state.tail_bound = (state.tail_bound - shift) / t
            state.scale = state.scale / t
            if state.total_ref is not None:
                state.total_ref = state.total_ref - shift / t


def greedy(state: State, is_greedy: np.ndarray) -> None:
    """Keep only argmax(x), the lowest token id among ties (x is in token-id order)."""
    if not is_greedy.any():
        return
    top = state.row_max()
    if state.windowed:
        state.require(~is_greedy | (top >= state.tail_bound))
    first = np.argmax(state.x == top[:, None], axis=1)
    mask = is_greedy[:, None] & (np.arange(state.x.shape[1]) != first[:, None])
    state.remove(mask)
    if state.windowed:
        state.close_tail(is_greedy)


def min_p(state: State, min_p: np.ndarray) -> None:
    """Keep p >= min_p * max(p), i.e. x >= max(x) + ln(min_p). Off at min_p = 0.

    A pure logit threshold: it needs the row maximum (which must lie in the window) and
    keeps the tail open when the cut falls below the window's lower bound.
    """
    active = min_p > 0
    if not active.any():
        return
    top = state.row_max()
    with np.errstate(divide="ignore"):
        cut = top + np.log(min_p)
    state.truncate_below(active, cut)
    if state.windowed:
        state.require(~active | (top >= state.tail_bound))
        state.close_tail(active & (cut >= state.tail_bound))


def top_k(state: State, k: np.ndarray, vocab: int, exact_k: bool) -> None:
    """Keep x >= x_(k), the k-th largest value (ties kept). Off at k = 0 or k >= V.

    With `exact_k` (llama.cpp) keep exactly k tokens: ties at x_(k) by ascending token id.
    """
    active = (k > 0) & (k < vocab)
    if not active.any():
        return
    finite = state.finite_count()
    active &= state.tail_open | (k < finite)
    if not active.any():
        return
    cut = state.kth_largest(k, active)
    if state.windowed:
        state.require(~active | ((k <= finite) & (cut >= state.tail_bound)))
        state.close_tail(active)
    if exact_k:
        tied = (state.x == cut[:, None]) & active[:, None]
        room = k - np.count_nonzero(state.x > cut[:, None], axis=1)
        surplus = tied & (np.cumsum(tied, axis=1) > room[:, None])
        state.truncate_below(active, cut)
        state.remove(surplus)
    else:
        state.truncate_below(active, cut)


def top_p(state: State, top_p: np.ndarray) -> None:
    """Keep the smallest sorted prefix with mass >= top_p (within 1e-9), plus ties.

    With the tail open, the mass is bracketed between the window's own mass S and S plus an
    upper bound on the tail's; the row is certified only if both give the same prefix.
    """
    active = top_p < 1
    if not active.any():
        return
    values = state.sorted_values()
    top = values[:, 0]
    finite = state.finite_count()
    # Removed tokens sort last (-inf) and would add exact zeros: sum the finite prefix only.
    # Each omitted column would hold the row's total; they are counted at the end.
    width = max(int(finite.max()), 1)
    omitted = values.shape[1] - width
    cumulative = np.cumsum(np.exp(below(values[:, :width], top[:, None])), axis=1)
    low = high = cumulative[:, -1]
    if state.windowed and state.tail_open.any():
        high = low + np.where(
            state.tail_open, state.tail_count * np.exp(np.minimum(state.tail_bound - top, 0)), 0)
        if state.total_mass is not None:
            with np.errstate(invalid="ignore", over="ignore"):
                total = state.total_mass * np.exp(state.total_ref - top)
            known = state.tail_open & np.isfinite(total)
            low = np.where(known, total * (1 - TOTAL_MASS_SLACK), low)
            high = np.where(known, total * (1 + TOTAL_MASS_SLACK), high)
    goal = top_p - TOP_P_TOLERANCE
    first_low = np.count_nonzero(cumulative < (goal * low)[:, None], axis=1)
    if omitted:
        first_low += omitted * (cumulative[:, -1] < goal * low)
    if high is low:  # every tail closed (whole rows): both brackets are the same mass
        first_high = first_low
    else:
        first_high = np.count_nonzero(cumulative < (goal * high)[:, None], axis=1)
        if omitted:
            first_high += omitted * (cumulative[:, -1] < goal * high)
    position = np.minimum(first_low, finite - 1)
    cut = values[np.arange(len(top_p)), position]
    if state.windowed:
        state.require(~active | (top >= state.tail_bound) & (first_low == first_high)
                      & (first_high < finite) & (cut >= state.tail_bound))
        state.close_tail(active)
    state.truncate_below(active, cut)


def typical_p(state: State, mass: np.ndarray) -> None:
    """HF TypicalLogitsWarper: keep tokens whose surprisal is closest to the entropy.

    s = |-ln p - H|; sort by ascending s; j = #(cumulative mass < typical_p); keep s <= s_(j).
    Not a threshold on x, so it needs every live token: an open tail uncertifies the row.
    """
    active = mass < 1
    if not active.any():
        return
    if state.windowed:
        state.require(~active)
    x = state.x
    top = np.max(x, axis=1, keepdims=True)
    log_z = np.log(state.row_sums(np.exp(below(x, top))))[:, None] + top
    log_p = below(x, log_z)
    p = np.exp(log_p)
    products = np.multiply(p, log_p, out=np.zeros_like(p), where=p > 0)
    entropy = -state.row_sums(products)[:, None]
    with np.errstate(invalid="ignore"):
        score = np.where(x > NEG_INF, np.abs(-log_p - entropy), np.inf)
    order = np.argsort(score, axis=1, kind="stable")
    cumulative = np.cumsum(np.take_along_axis(p, order, axis=1), axis=1)
    last = np.minimum(np.count_nonzero(cumulative < mass[:, None], axis=1), x.shape[1] - 1)
    cut = np.take_along_axis(score, order, axis=1)[np.arange(len(mass)), last]
    state.remove(active[:, None] & (score > cut[:, None]) & (x > NEG_INF))


def _row_std(state: State, live, finite, count) -> np.ndarray:
    """Population std of each row's finite values (`live`: 0 elsewhere).

    Squares of logits beyond ~1e154 overflow: such rows are computed again on their values
    divided by their largest magnitude (std(a x) = a std(x)), which is exact up to rounding.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        mean = state.row_sums(live) / count
        std = np.sqrt(state.row_sums(np.where(finite, (live - mean[:, None]) ** 2, 0.0)) / count)
    if np.isfinite(std).all():
        return std
    scale = np.abs(live).max(axis=1)
    scale[scale == 0] = 1.0
    scaled = live / scale[:, None]
    mean = state.row_sums(scaled) / count
    spread = np.sqrt(state.row_sums(np.where(finite, (scaled - mean[:, None]) ** 2, 0.0)) / count)
    return np.where(np.isfinite(std), std, scale * spread)


def finite_std(values: np.ndarray) -> float:
    """Population std of finite values, rescaled as in _row_std where the squares overflow."""
    with np.errstate(over="ignore", invalid="ignore"):
        std = float(np.std(values))
    if math.isfinite(std):
        return std
    scale = float(np.abs(values).max())
    return scale * float(np.std(values / scale))


def top_n_sigma(state: State, n: np.ndarray, row_sigma: np.ndarray) -> None:
    """llama.cpp: keep x >= max(x) - n * std(x), std over the finite logits (ddof = 0).

    With the tail open the std comes from `row_sigma` (the whole row's std in raw units,
    computed before any truncation), scaled by the temperature applied so far.
    """
    active = n > 0
    if not active.any():
        return
    finite = state.x > NEG_INF
    count = np.maximum(np.count_nonzero(finite, axis=1), 1)
    live = np.where(finite, state.x, 0.0)
    std = _row_std(state, live, finite, count)
    top = state.row_max()
    if state.windowed:
        std = np.where(state.tail_open, row_sigma * state.scale, std)
        state.require(~active | (top >= state.tail_bound))
    with np.errstate(over="ignore"):  # n * std past the range: a cut below every token
        cut = top - n * std
    state.truncate_below(active, cut)
    if state.windowed:
        state.close_tail(active & (cut >= state.tail_bound))


def xtc(state: State, threshold: np.ndarray, probability: np.ndarray, coins: np.ndarray) -> None:
    """llama.cpp XTC: if coin < P and >= 2 tokens have p >= t, drop all but the least likely.

    The least likely is the last of them in sorted order (the highest id among ties). Off at
    P = 0 or t > 0.5. Removes the top tokens, so an open tail uncertifies the row.
    """
    active = (probability > 0) & (threshold <= 0.5) & (coins < probability)
    if not active.any():
        return
    if state.windowed:
        state.require(~active)
    p = _softmax(state)
    above = (p >= threshold[:, None]) & (state.x > NEG_INF) & active[:, None]
    active &= np.count_nonzero(above, axis=1) >= 2
    above &= active[:, None]
    if not active.any():
        return
    least = np.min(np.where(above, state.x, np.inf), axis=1)
    candidates = above & (state.x == least[:, None])
    columns = np.arange(state.x.shape[1])
    keep = np.max(np.where(candidates, columns, -1), axis=1)
    state.remove(above & (columns != keep[:, None]))
