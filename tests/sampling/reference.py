"""An independent, deliberately simple float64 reference of docs/sampling.md.

One row at a time, full sorts, no windows, no vectorisation tricks: every stage is a small
function of the row's current logits ``x`` (float64, ``-inf`` = removed). It is written from
the contract only and is what the fast core in ``service.sampling`` is tested against.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

STAGES = (
    "logit_bias",
    "penalties",
    "temperature",
    "min_p",
    "top_k",
    "top_p",
    "typical_p",
    "top_n_sigma",
    "xtc",
)

PRESET_ORDERS = {
    "vllm": ("logit_bias", "penalties", "temperature", "min_p", "top_k", "top_p"),
    "hf": ("logit_bias", "penalties", "temperature", "top_k", "top_p", "min_p", "typical_p"),
    "llama.cpp": (
        "logit_bias",
        "penalties",
        "top_n_sigma",
        "top_k",
        "typical_p",
        "top_p",
        "min_p",
        "xtc",
        "temperature",
    ),
}

DEFAULTS = {
    "temperature": 1.0,
    "top_k": 0,
    "top_p": 1.0,
    "min_p": 0.0,
    "typical_p": 1.0,
    "top_n_sigma": 0.0,
    "xtc_threshold": 0.1,
    "xtc_probability": 0.0,
    "repetition_penalty": 1.0,
    "frequency_penalty": 0.0,
    "presence_penalty": 0.0,
    "logit_bias": None,
    "context": None,
    "penalty_last_n": None,
}

TOP_P_EPS = 1e-9
NEG_INF = -np.inf


# --------------------------------------------------------------------------- helpers


def softmax(x: np.ndarray) -> np.ndarray:
    """softmax over the finite entries of x; removed (-inf) entries get exactly 0."""
    x = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(x)
    p = np.zeros_like(x)
    if not finite.any():
        return p
    m = x[finite].max()
    e = np.exp(x[finite] - m)
    p[finite] = e / e.sum()
    return p


def entropy(p: np.ndarray) -> float:
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum())


def sorted_order(x: np.ndarray) -> np.ndarray:
    """Token ids in descending x, ties by ascending id; -inf entries come last."""
    ids = np.arange(x.shape[0])
    return np.lexsort((ids, -x))


def finite_count(x: np.ndarray) -> int:
    return int(np.isfinite(x).sum())


# --------------------------------------------------------------------------- stages
# Each stage takes (x, params, ctx) and returns the new x (a new array). ``ctx`` carries the
# preset and the row's seed. A stage that is off returns x unchanged.


def stage_active(stage: str, params: dict) -> bool:
    if stage == "logit_bias":
        return bool(params["logit_bias"])
    if stage == "penalties":
        off = (
            params["repetition_penalty"] == 1.0
            and params["frequency_penalty"] == 0.0
            and params["presence_penalty"] == 0.0
        )
        return not off and bool(params["context"])
    if stage == "temperature":
        return params["temperature"] != 1.0
    if stage == "min_p":
        return params["min_p"] > 0.0
    if stage == "top_k":
        return params["top_k"] > 0
    if stage == "top_p":
        return params["top_p"] < 1.0
    if stage == "typical_p":
        return params["typical_p"] < 1.0
    if stage == "top_n_sigma":
        return params["top_n_sigma"] > 0.0
    if stage == "xtc":
        return params["xtc_probability"] > 0.0 and params["xtc_threshold"] <= 0.5
    raise ValueError(stage)


def apply_logit_bias(x: np.ndarray, params: dict, ctx: dict) -> np.ndarray:
    x = x.copy()
    for tok, b in (params["logit_bias"] or {}).items():
        tok = int(tok)
        if np.isfinite(x[tok]):
            x[tok] += float(b)
    return x


def counted_context(params: dict, preset: str) -> list[int]:
    context = list(params["context"] or [])
    last_n = params["penalty_last_n"]
    if last_n is None:
        last_n = 64 if preset == "llama.cpp" else None
    if last_n is not None:
        context = context[max(0, len(context) - last_n) :] if last_n > 0 else []
    return context


def apply_penalties(x: np.ndarray, params: dict, ctx: dict) -> np.ndarray:
    x = x.copy()
    r = float(params["repetition_penalty"])
    f = float(params["frequency_penalty"])
    pr = float(params["presence_penalty"])
    counts = Counter(int(t) for t in counted_context(params, ctx["preset"]))
    for tok, c in sorted(counts.items()):
        if c <= 0 or not np.isfinite(x[tok]):
            continue
        v = x[tok]
        v = v / r if v > 0 else v * r
        v -= c * f + pr
        x[tok] = v
    return x


def apply_temperature(x: np.ndarray, params: dict, ctx: dict) -> np.ndarray:
    t = float(params["temperature"])
    assert t > 0, "greedy is handled before the stages run"
    return x / t


def apply_min_p(x: np.ndarray, params: dict, ctx: dict) -> np.ndarray:
    mp = float(params["min_p"])
    finite = np.isfinite(x)
    thr = x[finite].max() + math.log(mp)
    return np.where(finite & (x >= thr), x, NEG_INF)


def apply_top_k(x: np.ndarray, params: dict, ctx: dict) -> np.ndarray:
    k = int(params["top_k"])
    m = finite_count(x)
    if k >= m:
        return x.copy()
    order = sorted_order(x)
    out = np.full_like(x, NEG_INF)
    if ctx["preset"] == "llama.cpp":
        keep = order[:k]
        out[keep] = x[keep]
        return out
    kth = x[order[k - 1]]
    keep = np.isfinite(x) & (x >= kth)
    out[keep] = x[keep]
    return out


def apply_top_p(x: np.ndarray, params: dict, ctx: dict) -> np.ndarray:
    top_p = float(params["top_p"])
    p = softmax(x)
    order = sorted_order(x)[: finite_count(x)]
    cs = np.cumsum(p[order])
    reached = np.nonzero(cs >= top_p - TOP_P_EPS)[0]
    last = int(reached[0]) if reached.size else len(order) - 1
    thr = x[order[last]]
    return np.where(np.isfinite(x) & (x >= thr), x, NEG_INF)


def apply_typical_p(x: np.ndarray, params: dict, ctx: dict) -> np.ndarray:
    mass = float(params["typical_p"])
    finite = np.isfinite(x)
    ids = np.nonzero(finite)[0]
    xf = x[ids]
    m = xf.max()
    logp = xf - m - math.log(np.exp(xf - m).sum())
    p = np.exp(logp)
    h = -(p * logp).sum()
    s = np.abs(-logp - h)
    order = np.lexsort((ids, s))  # ascending score, ties by token id
    cum = np.cumsum(p[order])
    j = int((cum < mass).sum())
    j = min(j, len(order) - 1)
    keep_ids = ids[s <= s[order[j]]]
    out = np.full_like(x, NEG_INF)
    out[keep_ids] = x[keep_ids]
    return out


def apply_top_n_sigma(x: np.ndarray, params: dict, ctx: dict) -> np.ndarray:
    n = float(params["top_n_sigma"])
    finite = np.isfinite(x)
    xf = x[finite]
    thr = xf.max() - n * float(np.std(xf))
    return np.where(finite & (x >= thr), x, NEG_INF)


def xtc_coin(seed: int) -> float:
    return float(np.random.Generator(np.random.Philox(key=int(seed) + 2**64)).random())


def apply_xtc(x: np.ndarray, params: dict, ctx: dict) -> np.ndarray:
    t = float(params["xtc_threshold"])
    prob = float(params["xtc_probability"])
    if ctx["seed"] is None:
        raise ValueError("XTC needs the row's seed")
    if not xtc_coin(ctx["seed"]) < prob:
        return x.copy()
    p = softmax(x)
    order = sorted_order(x)[: finite_count(x)]  # removed tokens are not candidates
    above = [int(tok) for tok in order if p[tok] >= t]
    if len(above) < 2:
        return x.copy()
    out = x.copy()
    out[above[:-1]] = NEG_INF
    return out


STAGE_FUNCS = {
    "logit_bias": apply_logit_bias,
    "penalties": apply_penalties,
    "temperature": apply_temperature,
    "min_p": apply_min_p,
    "top_k": apply_top_k,
    "top_p": apply_top_p,
    "typical_p": apply_typical_p,
    "top_n_sigma": apply_top_n_sigma,
    "xtc": apply_xtc,
}


# --------------------------------------------------------------------------- the pipeline


def resolve_params(params: dict) -> dict:
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown parameters {sorted(unknown)}")
    out = dict(DEFAULTS)
    out.update(params)
    return out


def reference_process(
    row_logits: Sequence[float] | np.ndarray,
    *,
    preset: str = "vllm",
    order: Sequence[str] | None = None,
    seed: int | None = None,
    **params,
) -> tuple[np.ndarray, list[dict]]:
    """Process one row. Returns (q float64 (V,), trace).

    The trace has one entry per stage of the effective order, with ``active`` telling
    whether the stage's parameters turn it on; an inactive stage changes nothing.
    For greedy (T = 0) the trace covers only logit_bias and penalties.
    """
    x = np.asarray(row_logits, dtype=np.float64).copy()
    assert x.ndim == 1
    if np.isnan(x).any() or np.isposinf(x).any():
        raise ValueError("NaN or +inf logits")
    prm = resolve_params(params)
    stages = tuple(order) if order is not None else PRESET_ORDERS[preset]
    ctx = {"preset": preset, "seed": seed}
    greedy = float(prm["temperature"]) == 0.0
    if greedy:
        stages = tuple(s for s in stages if s in ("logit_bias", "penalties"))

    trace: list[dict] = []
    for stage in stages:
        active = stage_active(stage, prm)
        p_in = softmax(x)
        if active:
            x = STAGE_FUNCS[stage](x, prm, ctx)
        if finite_count(x) == 0:
            raise ValueError("all-masked row")
        removed = float(p_in[~np.isfinite(x)].sum())
        trace.append(
            {
                "stage": stage,
                "active": active,
                "kept": finite_count(x),
                "removed_mass": removed,
                "entropy": entropy(softmax(x)),
            }
        )
    if finite_count(x) == 0:
        raise ValueError("all-masked row")
    if greedy:
        q = np.zeros_like(x)
        q[int(sorted_order(x)[0])] = 1.0
        return q, trace
    return softmax(x), trace


def sorted_kept(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kept token ids in descending q (ties by ascending id) and their probabilities."""
    q = np.asarray(q, dtype=np.float64)
    ids = np.arange(q.shape[0])
    order = np.lexsort((ids, -q))
    order = order[q[order] > 0]
    return order, q[order]


def reference_uniforms(seed: int, n: int) -> np.ndarray:
    return np.random.Generator(np.random.Philox(key=int(seed))).random(n)


def draw_cdf(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kept token ids in ascending id order and their float64 cumulative mass."""
    q = np.asarray(q, dtype=np.float64)
    ids = np.nonzero(q > 0)[0]
    return ids, np.cumsum(q[ids])


def reference_draw(q: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse CDF over the kept tokens in ascending token-id order (docs/sampling.md): the
    first token whose cumulative mass exceeds u times the row's mass."""
    ids, cdf = draw_cdf(q)
    targets = np.asarray(u, dtype=np.float64) * cdf[-1]
    idx = np.searchsorted(cdf, targets, side="right")
    idx = np.minimum(idx, len(ids) - 1)
    tokens = ids[idx]
    return tokens, np.log(q[tokens])


def reference_sample(
    row_logits, *, n: int = 1, seed: int, preset: str = "vllm", order=None, **params
) -> dict:
    q, trace = reference_process(row_logits, preset=preset, order=order, seed=seed, **params)
    tokens, logprobs = reference_draw(q, reference_uniforms(seed, n))
    return {
        "q": q,
        "trace": trace,
        "tokens": tokens,
        "logprobs": logprobs,
        "kept": int((q > 0).sum()),
        "entropy": entropy(q),
    }


def row_params(params: dict, b: int) -> dict:
    """Row b's scalar parameters from a dict whose values may be per-row lists."""
    out = {}
    for key, val in params.items():
        if key in ("logit_bias",):
            out[key] = val[b] if isinstance(val, list) else val
        elif key == "context":
            per_row = isinstance(val, list) and len(val) > 0 and isinstance(val[0], list | tuple)
            out[key] = val[b] if per_row else val
        elif isinstance(val, list | tuple | np.ndarray):
            out[key] = val[b]
        else:
            out[key] = val
    return out


# --------------------------------------------------------------------------- logits families


def zipf_logits(v: int, s: float, rng: np.random.Generator | None = None) -> np.ndarray:
    """z_i = -s ln i for ranks i = 1..V, placed at a random permutation of token ids."""
    z = -s * np.log(np.arange(1, v + 1, dtype=np.float64))
    if rng is None:
        return z
    out = np.empty(v)
    out[rng.permutation(v)] = z
    return out


def gaussian_logits(v: int, rng: np.random.Generator, scale: float = 2.0) -> np.ndarray:
    return rng.normal(0.0, scale, size=v)


def peaked_logits(v: int, rng: np.random.Generator, gap: float = 6.0) -> np.ndarray:
    x = rng.normal(0.0, 1.0, size=v)
    x[rng.integers(v)] += gap
    return x


def masked_logits(v: int, rng: np.random.Generator, frac: float = 0.4) -> np.ndarray:
    x = rng.normal(0.0, 2.0, size=v)
    mask = rng.random(v) < frac
    mask[int(np.argmax(np.where(mask, -np.inf, x)))] = False  # keep at least one finite
    x[mask] = -np.inf
    return x
