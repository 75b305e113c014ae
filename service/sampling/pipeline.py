"""process(): run the stages of a preset or order over a batch of logits."""

import numpy as np

from . import stages, window
from .adjust import Adjustments, compute_adjustments
from .params import SamplingLimits, SamplingParams, resolve_params
from .presets import ADJUSTMENT_STAGES
from .result import ProcessedBatch
from .rng import resolve_seeds, xtc_coins
from .logits import as_logits, row_maxima
from .state import NEG_INF, State
from .trace import Tracer, finalize

# Dense (whole-vocabulary) work is done this many elements at a time to bound memory.
DENSE_CHUNK = 1 << 18


def _top_lower_bound(top_index, top, adjustments: Adjustments | None) -> np.ndarray:
    """A lower bound on each row's maximum after logit_bias and penalties."""
    if adjustments is None:
        return top
    bound = top.copy()
    # The row's own argmax may have been penalised: then only its new value is certain.
    hit = adjustments.cols == top_index[adjustments.rows]
    bound[adjustments.rows[hit]] = adjustments.values[hit]
    np.maximum.at(bound, adjustments.rows, adjustments.values)
    return bound


def _row_sigma(z, rows, adjustments: Adjustments | None) -> np.ndarray:
    """Population std of each row's finite adjusted logits (for top_n_sigma windows)."""
    sigma = np.zeros(z.shape[0])
    for row in np.flatnonzero(rows):
        values = z[row].astype(np.float64)
        if adjustments is not None:
            mine = adjustments.rows == row
            values[adjustments.cols[mine]] = adjustments.values[mine]
        sigma[row] = np.std(values[values > NEG_INF])
    return sigma


def run_stages(state: State, params: SamplingParams, vocab: int, coins, sigma,
               adjustments: Adjustments | None, tracer: Tracer | None) -> None:
    """Apply the order's stages to a state; adjustments run here only when traced."""
    def per_row(name):
        return getattr(params, name)[state.rows]

    for name in params.order:
        if name in ADJUSTMENT_STAGES and tracer is not None:
            if adjustments is not None and name in adjustments.values_after:
                with tracer.stage(state, name):
                    _apply_adjustments(state, adjustments, adjustments.values_after[name])
            else:
                tracer.skip(state, name)
    is_greedy = per_row("temperature") == 0
    if tracer is not None and is_greedy.any():
        with tracer.stage(state, "greedy", only=is_greedy):
            stages.greedy(state, is_greedy)
    else:
        stages.greedy(state, is_greedy)
    dispatch = {
        "temperature": lambda: stages.temperature(state, per_row("temperature")),
        "min_p": lambda: stages.min_p(state, per_row("min_p")),
        "top_k": lambda: stages.top_k(state, per_row("top_k"), vocab, params.preset == "llama.cpp"),
        "top_p": lambda: stages.top_p(state, per_row("top_p")),
        "typical_p": lambda: stages.typical_p(state, per_row("typical_p")),
        "top_n_sigma": lambda: stages.top_n_sigma(state, per_row("top_n_sigma"), sigma[state.rows]),
        "xtc": lambda: stages.xtc(
            state, per_row("xtc_threshold"), per_row("xtc_probability"), coins[state.rows]
        ),
    }
    for name in params.order:
        if name in ADJUSTMENT_STAGES:
            continue
        if tracer is None:
            dispatch[name]()
        else:
            with tracer.stage(state, name, only=~is_greedy):
                dispatch[name]()


def _apply_adjustments(state: State, adjustments: Adjustments, values: np.ndarray) -> None:
    """Write adjusted logits into a dense state (its rows are sorted original row ids)."""
    position = np.minimum(np.searchsorted(state.rows, adjustments.rows), len(state.rows) - 1)
    mine = state.rows[position] == adjustments.rows
    state.set_values(position[mine], adjustments.cols[mine], values[mine])


def _dense_segments(z, rows, params, coins, sigma, adjustments, tracer_on):
    vocab = z.shape[1]
    step = max(1, DENSE_CHUNK // vocab)
    for start in range(0, len(rows), step):
        chunk = rows[start:start + step]
        state = State.dense(chunk, z[chunk].astype(np.float64))
        tracer = Tracer(len(chunk)) if tracer_on else None
        if adjustments is not None and not tracer_on:
            _apply_adjustments(state, adjustments, adjustments.values)
        run_stages(state, params, vocab, coins, sigma, adjustments, tracer)
        yield finalize(state, tracer)


def _window_segments(z, rows, mask, thr, params, coins, sigma, adjustments):
    """Run window rows; returns finished segments and the rows that could not be certified."""
    vocab = z.shape[1]
    x, ids, outside = window.extract(z, rows, mask, adjustments)
    state = State(rows, x, ids, outside > 0, thr.copy(), outside)
    run_stages(state, params, vocab, coins, sigma, adjustments, None)
    state.require(~state.tail_open)
    done = state.certified
    segment = finalize(state, None, keep=done) if done.any() else None
    return segment, rows[~done]


def process(logits, *, seed=None, limits: SamplingLimits | None = None, trace: bool = False,
            **params) -> ProcessedBatch:
    """Validate, apply the stages, and return each row's processed distribution."""
    limits = limits or SamplingLimits()
    z = as_logits(logits, limits)
    batch, vocab = z.shape
    top_index, top = row_maxima(z)
    resolved = resolve_params(batch, vocab, params, limits)
    seeds = resolve_seeds(seed, batch)
    xtc_on = "xtc" in resolved.order and window.stage_active("xtc", resolved, vocab).any()
    coins = xtc_coins(seeds) if xtc_on else np.ones(batch)
    adjustments = compute_adjustments(z, resolved)
    top_low = _top_lower_bound(top_index, top, adjustments)
    first, t_before = window.first_truncation(resolved, vocab)
    sigma_rows = window.stage_active("top_n_sigma", resolved, vocab)
    sigma = _row_sigma(z, sigma_rows, adjustments) if sigma_rows.any() else np.zeros(batch)

    segments = []
    dense = np.isin(first, ("", "typical_p", "xtc")) | trace
    pending = np.flatnonzero(~dense)
    if pending.size:
        thr = window.estimate_thresholds(z, top_low, first, t_before, resolved, sigma)
        for attempt in range(2):
            block = z if pending.size == batch else z[pending]
            mask = block >= thr[pending, None]
            too_wide = np.count_nonzero(mask, axis=1) > window.MAX_WINDOW_SHARE * vocab
            if too_wide.any():
                dense[pending[too_wide]] = True
                pending, mask = pending[~too_wide], mask[~too_wide]
            if not pending.size:
                break
            segment, pending = _window_segments(
                z, pending, mask, thr[pending], resolved, coins, sigma, adjustments)
            if segment is not None:
                segments.append(segment)
            if attempt == 0:
                thr = window.wide_thresholds(top_low, t_before, vocab)
        dense[pending] = True
    dense_rows = np.flatnonzero(dense)
    if dense_rows.size:
        segments.extend(_dense_segments(z, dense_rows, resolved, coins, sigma, adjustments, trace))
    return _merge(segments, batch, vocab, seeds, trace)


def _merge(segments, batch, vocab, seeds, traced) -> ProcessedBatch:
    """Stitch per-group CSR segments back into original row order."""
    rows = np.concatenate([s.rows for s in segments])
    counts = np.concatenate([s.counts for s in segments])
    order = np.argsort(rows, kind="stable")
    ids = np.concatenate([s.token_ids for s in segments])
    probs = np.concatenate([s.probs for s in segments])
    entropy = np.concatenate([s.entropy for s in segments])
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    indptr = np.concatenate(([0], np.cumsum(counts[order])))
    # Position i of the merged layout comes from the same offset in the row's old segment.
    gather = np.arange(indptr[-1]) + np.repeat(starts[order] - indptr[:-1], counts[order])
    trace = None
    if traced:
        records = [r for s in segments for r in s.trace]
        trace = [records[i] for i in order]
    return ProcessedBatch(vocab, indptr, ids[gather], probs[gather], entropy[order], seeds, trace)
