"""process(): run the stages of a preset or order over a batch of logits."""

from functools import partial

import numpy as np

from . import dense, plan, stages, window
from .adjust import Adjustments, compute_adjustments
from .assemble import BatchBuilder
from .logits import as_logits, row_maxima
from .nucleus import nucleus_cuts, nucleus_writer
from .params import DEFAULT_LIMITS, SamplingLimits, SamplingParams, resolve_params
from .presets import ADJUSTMENT_STAGES
from .result import ProcessedBatch
from .rng import resolve_seeds, xtc_coins
from .state import NEG_INF, State
from .trace import Tracer, finalize


def _row_sigma(z, rows, adjustments: Adjustments | None) -> np.ndarray:
    """Population std of each row's finite adjusted logits (for top_n_sigma windows)."""
    sigma = np.zeros(z.shape[0])
    for row in rows.tolist():
        values = dense.adjusted_block(z, np.array([row]), adjustments, np.float64)[0]
        finite = values[values > NEG_INF]
        sigma[row] = stages.finite_std(finite) if finite.size else 0.0
    return sigma


# Each shaping stage as a call on (state, params, vocab, coins, sigma), rows from state.rows.
STAGE_CALLS = {
    "temperature": lambda s, p, v, c, g: stages.temperature(s, p.temperature[s.rows]),
    "min_p": lambda s, p, v, c, g: stages.min_p(s, p.min_p[s.rows]),
    "top_k": lambda s, p, v, c, g: stages.top_k(s, p.top_k[s.rows], v, p.preset == "llama.cpp"),
    "top_p": lambda s, p, v, c, g: stages.top_p(s, p.top_p[s.rows]),
    "typical_p": lambda s, p, v, c, g: stages.typical_p(s, p.typical_p[s.rows]),
    "top_n_sigma": lambda s, p, v, c, g: stages.top_n_sigma(s, p.top_n_sigma[s.rows],
                                                            g[s.rows]),
    "xtc": lambda s, p, v, c, g: stages.xtc(s, p.xtc_threshold[s.rows],
                                            p.xtc_probability[s.rows], c[s.rows]),
}


def run_stages(state: State, tracer: Tracer | None, *, params: SamplingParams, vocab: int,
               coins, sigma, adjustments: Adjustments | None) -> None:
    """Apply the order's stages to a state; adjustments run here only when traced.

    Untraced, a stage whose parameter the caller left unset is skipped outright (its default
    is off); traced, every stage of the order is recorded, acting or not.
    """
    if tracer is None:
        acting = [name for name in params.order
                  if name not in ADJUSTMENT_STAGES and plan.may_act(name, params)]
        if plan.may_act("temperature", params):
            stages.greedy(state, params.temperature[state.rows] == 0)
            state.compact(last=not acting)
        for position, name in enumerate(acting, 1):
            STAGE_CALLS[name](state, params, vocab, coins, sigma)
            # Once tokens are gone, the later stages skip them (see State.compact).
            state.compact(last=position == len(acting))
        return
    for name in (n for n in params.order if n in ADJUSTMENT_STAGES):
        if adjustments is not None and name in adjustments.values_after:
            with tracer.stage(state, name):
                position, mine = adjustments.locate(state.rows)
                state.set_values(position, adjustments.cols[mine],
                                 adjustments.values_after[name][mine])
        else:
            tracer.skip(state, name)
    is_greedy = params.temperature[state.rows] == 0
    if is_greedy.any():
        with tracer.stage(state, "greedy", only=is_greedy):
            stages.greedy(state, is_greedy)
    for name in params.order:
        if name not in ADJUSTMENT_STAGES:
            with tracer.stage(state, name, only=~is_greedy):
                STAGE_CALLS[name](state, params, vocab, coins, sigma)


def _window_pass(z, rows, thr, run, adjustments, builder: BatchBuilder, rules,
                 share: float = window.MAX_WINDOW_SHARE, total=None,
                 max_count=None) -> np.ndarray:
    """Process rows on candidate windows; returns the rows that need the whole vocabulary.

    Rows are grouped so that each group holds at most WINDOW_CHUNK candidates, which bounds
    the memory of the (rows x window) working arrays.
    """
    vocab = z.shape[1]
    cap = int(share * vocab) if max_count is None else np.minimum(max_count, int(share * vocab))
    keys, fits = window.select(z, rows, thr, cap)
    left = [rows[~fits]]
    inside = np.flatnonzero(fits)
    if not inside.size:
        return rows
    row_of, column = np.divmod(keys, vocab)
    counts = np.bincount(row_of, minlength=len(rows))[inside]
    group = np.cumsum(counts) // window.WINDOW_CHUNK
    bounds = np.searchsorted(row_of, inside)
    for first, last in _group_spans(group):
        members = inside[first:last]
        lo, hi = bounds[first], (bounds[last] if last < len(bounds) else len(keys))
        local = np.searchsorted(members, row_of[lo:hi]) * vocab + column[lo:hi]
        rule = (rules[0][rows[members]], rules[1][rows[members]])
        state = _window_state(z, rows[members], local, thr[members], adjustments, total, members,
                              rule)
        run(state, None)
        state.require(~state.tail_open)
        if state.certified.any():
            builder.add(finalize(state, None, keep=state.certified))
        left.append(rows[members][~state.certified])
    return np.concatenate(left)


def _group_spans(group: np.ndarray):
    """(start, stop) of each run of equal values in a non-decreasing array."""
    edges = np.flatnonzero(np.diff(group)) + 1
    starts = np.concatenate(([0], edges))
    stops = np.concatenate((edges, [len(group)]))
    return zip(starts.tolist(), stops.tolist(), strict=True)


def _window_state(z, rows, keys, thr, adjustments, total, members, rules) -> State:
    x, ids, outside, bound = window.extract(z, rows, keys, adjustments, thr, rules)
    if np.isnan(x).any() or (x == np.inf).any():
        row_maxima(z)  # raises the canonical error naming the first offending row
    state = State(rows, x, ids, outside > 0, bound, outside)
    if total is not None:
        state.total_mass, state.total_ref = total[0][members], total[1][members]
    return state


def _second_pass(z, rows, sub, step, top_low, first, t_before, resolved, sigma, run,
                 adjustments, builder, rules) -> np.ndarray:
    """Retry rows the first windows could not certify.

    Top-p rows (typically flat distributions with large nucleus) get a generous window and the
    exact whole-row mass; the others get the wide e^-30 window.
    """
    is_top_p = first[rows] == "top_p"
    left = [rows[:0]]
    alone = is_top_p & plan.only_stage("top_p", resolved, z.shape[1])[rows]
    if alone.any():
        nucleus = rows[alone]
        cuts, counts = nucleus_cuts(z, nucleus, t_before, resolved.top_p, adjustments)
        found = np.isfinite(cuts)
        left.append(nucleus[~found])
        if found.any():
            writer = nucleus_writer(z, nucleus[found], cuts[found], resolved.temperature,
                                    adjustments)
            builder.reserve(nucleus[found], counts[found], writer)
    shared = rows[is_top_p & ~alone]
    if shared.size:
        total = window.row_total_mass(z, shared, t_before, adjustments)
        thr = plan.nucleus_thresholds(sub, step, shared, t_before, resolved.top_p, total)
        left.append(_window_pass(z, shared, thr, run, adjustments, builder, rules,
                                 share=window.EXACT_TOTAL_SHARE, total=total))
    others = rows[~is_top_p]
    if others.size:
        wide = plan.wide_thresholds(top_low, t_before, vocab=z.shape[1])
        left.append(_window_pass(z, others, wide[others], run, adjustments, builder, rules))
    return np.concatenate(left)


def process(logits, *, seed=None, limits: SamplingLimits | None = None, trace: bool = False,
            **params) -> ProcessedBatch:
    """Validate, apply the stages, and return each row's processed distribution."""
    limits = limits or DEFAULT_LIMITS
    z = as_logits(logits, limits)
    batch, vocab = z.shape
    resolved = resolve_params(batch, vocab, params, limits)
    seeds = resolve_seeds(seed, batch)
    adjustments = compute_adjustments(z, resolved)
    whole_rows = trace or vocab <= plan.SMALL_VOCAB
    if whole_rows and not trace and not plan.any_stage_may_act(resolved):
        # No stage can change any row: q is the softmax of the adjusted logits.
        return dense.whole_rows_batch(z, None, adjustments, False, seeds)
    xtc_on = "xtc" in resolved.order and plan.stage_active("xtc", resolved, vocab).any()
    coins = xtc_coins(seeds) if xtc_on else np.ones(batch)
    sigma = np.zeros(batch)
    if plan.may_act("top_n_sigma", resolved):
        sigma = _row_sigma(z, np.flatnonzero(plan.stage_active("top_n_sigma", resolved, vocab)),
                           adjustments)
    run = partial(run_stages, params=resolved, vocab=vocab, coins=coins, sigma=sigma,
                  adjustments=adjustments)
    if whole_rows:
        return dense.whole_rows_batch(z, run, adjustments, trace, seeds)
    builder = BatchBuilder(batch, vocab)
    first, t_before = plan.first_truncation(resolved, vocab)
    staged = (first == "typical_p") | (first == "xtc")
    untruncated = (first == "") & ~staged
    pending = ~(staged | untruncated)
    if pending.any():
        sub, step = plan.subsample(z, adjustments)
        top_low = plan.top_lower_bound(sub, adjustments)
        pending &= np.isfinite(top_low)  # NaN, +inf or fully masked samples: see dense path
        thr = plan.estimate_thresholds(sub, step, top_low, first, t_before, resolved, sigma)
        rows = np.flatnonzero(pending)
        rules = plan.refine_rules(first, t_before, resolved)
        nucleus = (first == "top_p") & plan.only_stage("top_p", resolved, vocab)
        cap = np.where(nucleus, window.NUCLEUS_SWITCH, vocab)[rows]
        rows = _window_pass(z, rows, thr[rows], run, adjustments, builder, rules, max_count=cap)
        if rows.size:
            rows = _second_pass(z, rows, sub, step, top_low, first, t_before, resolved, sigma,
                                run, adjustments, builder, rules)
        staged |= ~(pending | untruncated)
        staged[rows] = True
    for segment in dense.staged_segments(z, np.flatnonzero(staged), run, adjustments, trace):
        builder.add(segment)
    if untruncated.any():
        rows = np.flatnonzero(untruncated)
        counts = dense.finite_counts(z, rows)
        builder.reserve(rows, counts, dense.untruncated_writer(
            z, rows, counts, resolved.temperature[rows], adjustments))
    return builder.build(seeds)
