"""Property tests: invariants that hold for every shape, dtype and parameter setting."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.sampling import sample
from service.sampling.params import RANGES
from tests.sampling import reference as ref

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def cases(draw):
    b = draw(st.integers(1, 6))
    v = draw(st.integers(1, 300))
    dtype = draw(st.sampled_from([np.float16, np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([0.0, 0.5, 2.0, 8.0]))
    mask_frac = draw(st.sampled_from([0.0, 0.3, 0.9]))
    x = rng.normal(0.0, 1.0, size=(b, v)) * scale
    if draw(st.booleans()):
        x = np.round(x)  # many exact ties
    mask = rng.random((b, v)) < mask_frac
    mask[np.arange(b), rng.integers(0, v, size=b)] = False  # every row keeps a finite token
    x[mask] = -np.inf
    x = x.astype(dtype)

    preset = draw(st.sampled_from(["vllm", "hf", "llama.cpp"]))
    unit = st.floats(0.0, 1.0)
    params: dict = {
        "temperature": draw(st.one_of(st.just(0.0), st.floats(0.05, 4.0))),
        "top_k": draw(st.integers(0, v + 2)),
        "top_p": draw(st.floats(1e-3, 1.0)),
        "min_p": draw(unit),
    }
    if preset != "vllm":
        params["typical_p"] = draw(st.floats(1e-3, 1.0))
    if preset == "llama.cpp":
        params["top_n_sigma"] = draw(st.floats(0.0, 4.0))
        params["xtc_threshold"] = draw(unit)
        params["xtc_probability"] = draw(unit)
    if draw(st.booleans()):
        params["context"] = draw(st.lists(st.integers(0, v - 1), max_size=80))
        params["repetition_penalty"] = draw(st.floats(0.2, 3.0))
        params["frequency_penalty"] = draw(st.floats(-2.0, 2.0))
        params["presence_penalty"] = draw(st.floats(-2.0, 2.0))
    if draw(st.booleans()):
        keys = st.integers(0, v - 1)
        params["logit_bias"] = draw(st.dictionaries(keys, st.floats(-100, 100), max_size=5))
    if b > 1 and draw(st.booleans()):  # per-row temperatures and top_p
        temps = st.one_of(st.just(0.0), st.floats(0.05, 3.0))
        params["temperature"] = draw(st.lists(temps, min_size=b, max_size=b))
        params["top_p"] = draw(st.lists(st.floats(1e-3, 1.0), min_size=b, max_size=b))
    n = draw(st.integers(1, 20))
    seeds = draw(st.lists(st.integers(0, 2**63 - 1), min_size=b, max_size=b))
    return x, preset, params, n, seeds


@SETTINGS
@given(cases())
def test_invariants(case):
    x, preset, params, n, seeds = case
    b, v = x.shape
    res = sample(x, n=n, seed=seeds, preset=preset, return_probs=True, logprobs=3, **params)
    d = res.to_dict()
    probs = np.asarray(d["probs"], dtype=np.float64)
    tokens = np.asarray(d["tokens"])
    logprobs = np.asarray(d["logprobs"], dtype=np.float64)
    kept = np.asarray(d["kept"])
    entropy = np.asarray(d["entropy"], dtype=np.float64)

    assert probs.shape == (b, v) and tokens.shape == (b, n) and logprobs.shape == (b, n)
    assert not np.isnan(probs).any() and not np.isnan(logprobs).any()
    assert not np.isnan(entropy).any()
    assert (probs >= 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert (kept >= 1).all() and (kept <= np.isfinite(x).sum(axis=1)).all()
    assert ((tokens >= 0) & (tokens < v)).all()
    assert (np.take_along_axis(probs, tokens, axis=1) > 0).all(), "token outside the kept set"
    assert (logprobs <= 0).all()
    assert (entropy >= -1e-12).all() and (entropy <= np.log(kept) + 1e-6).all()
    assert d["seed"] == seeds
    for row in d["top_logprobs"]:
        lps = [e["logprob"] for e in row]
        assert 1 <= len(lps) <= 3 and all(lp <= 0 for lp in lps)
        assert lps == sorted(lps, reverse=True)


@SETTINGS
@given(cases())
def test_matches_reference_everywhere(case):
    x, preset, params, n, seeds = case
    d = sample(x, n=n, seed=seeds, preset=preset, return_probs=True, **params).to_dict()
    probs = np.asarray(d["probs"], dtype=np.float64)
    for b in range(x.shape[0]):
        out = ref.reference_sample(
            x[b].astype(np.float64), n=n, seed=seeds[b], preset=preset, **ref.row_params(params, b)
        )
        np.testing.assert_allclose(probs[b], out["q"], atol=1e-6, rtol=1e-5, err_msg=f"row {b}")
        assert (probs[b][out["q"] == 0] == 0).all(), f"row {b}: a removed token has mass"


OFF = {name: spec[-1] for name, spec in RANGES.items() if spec[-1] is not None}


@SETTINGS
@given(cases(), st.data())
def test_parameters_set_to_their_off_values_change_nothing(case, data):
    # An OpenAI client sends temperature 1 and top_p 1 explicitly: the same bits as leaving
    # them out, traced or not.
    x, preset, params, n, seeds = case
    dropped = data.draw(st.sets(st.sampled_from(sorted(OFF)), min_size=1), label="dropped")
    omitted = {name: value for name, value in params.items() if name not in dropped}
    per_row = data.draw(st.booleans(), label="per row")
    explicit = omitted | {name: [OFF[name]] * len(x) if per_row else OFF[name]
                          for name in dropped}
    trace = data.draw(st.booleans(), label="trace")

    def result(given_params):
        return sample(x, n=n, seed=seeds, preset=preset, return_probs=True, logprobs=3,
                      trace=trace, **given_params).to_dict()

    assert repr(result(explicit)) == repr(result(omitted))
