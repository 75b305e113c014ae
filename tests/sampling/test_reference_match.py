"""The fast core against the float64 reference, stage by stage and preset by preset."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from service.sampling import draw, process, row_uniforms, sample
from service.sampling.rng import xtc_coins
from tests.sampling import reference as ref

V = 1000
PROB_ATOL, PROB_RTOL = 1e-6, 1e-5
ENT_ATOL = 1e-6
RESULT_KEYS = {"tokens", "logprobs", "kept", "entropy", "seed"}


def family_batch(v: int = V, seed: int = 0) -> np.ndarray:
    """Rows: permuted Zipf, Gaussian, peaked, partly masked, tied (quantised), wide."""
    rng = np.random.default_rng(seed)
    tied = np.round(rng.normal(0.0, 2.0, size=v) * 2.0) / 2.0
    wide = rng.normal(0.0, 1.0, size=v)
    wide[rng.integers(v)] = 40.0  # most of the row is > 30 below the maximum
    rows = [
        ref.zipf_logits(v, 1.1, rng),
        ref.gaussian_logits(v, rng),
        ref.peaked_logits(v, rng),
        ref.masked_logits(v, rng),
        tied,
        wide,
    ]
    return np.stack(rows)


SEEDS = [11, 22, 33, 44, 55, 66]


def check_trace(core_trace: list[dict], ref_trace: list[dict], where: str) -> None:
    names = [t["stage"] for t in core_trace]
    full = [t["stage"] for t in ref_trace]
    active = [t["stage"] for t in ref_trace if t["active"]]
    assert names in (full, active), f"{where}: trace stages {names}, expected {full} or {active}"
    by_stage = {t["stage"]: t for t in ref_trace}
    for entry in core_trace:
        exp = by_stage[entry["stage"]]
        msg = f"{where} stage {entry['stage']}"
        assert entry["kept"] == exp["kept"], msg
        assert entry["removed_mass"] == pytest.approx(exp["removed_mass"], abs=1e-6), msg
        assert entry["entropy"] == pytest.approx(exp["entropy"], abs=ENT_ATOL, rel=1e-6), msg


def check_against_reference(
    logits: np.ndarray,
    *,
    n: int = 8,
    seeds=SEEDS,
    preset: str = "vllm",
    order=None,
    check_trace_: bool = True,
    **params,
) -> dict:
    logits = np.asarray(logits)
    b_rows = logits.shape[0]
    seeds = list(seeds)[:b_rows]
    kwargs = dict(params)
    if order is not None:
        kwargs["order"] = list(order)
    res = sample(
        logits, n=n, seed=seeds, preset=preset, return_probs=True, trace=check_trace_, **kwargs
    )
    assert np.asarray(res.probs).dtype == np.float32
    d = res.to_dict()
    expected_keys = RESULT_KEYS | {"probs"} | ({"trace"} if check_trace_ else set())
    assert set(d) == expected_keys
    probs = np.asarray(d["probs"], dtype=np.float64)
    tokens = np.asarray(d["tokens"])
    logprobs = np.asarray(d["logprobs"], dtype=np.float64)
    assert probs.shape == (b_rows, logits.shape[1])
    assert tokens.shape == (b_rows, n) and logprobs.shape == (b_rows, n)
    assert list(d["seed"]) == seeds
    for b in range(b_rows):
        where = f"row {b} ({preset}, order={order}, {params})"
        out = ref.reference_sample(
            logits[b], n=n, seed=seeds[b], preset=preset, order=order, **ref.row_params(params, b)
        )
        q = out["q"]
        np.testing.assert_allclose(probs[b], q, atol=PROB_ATOL, rtol=PROB_RTOL, err_msg=where)
        # removed tokens are exactly 0; kept ones are > 0 wherever float32 can represent them
        assert (probs[b][q == 0] == 0).all(), where
        assert (probs[b][q > 1e-37] > 0).all(), where
        assert d["kept"][b] == out["kept"], where
        assert d["entropy"][b] == pytest.approx(out["entropy"], abs=ENT_ATOL, rel=1e-6), where
        if check_trace_:
            check_trace(d["trace"][b], out["trace"], where)
    for b in range(b_rows):  # draws last, so that a draw mismatch does not hide the above
        out = ref.reference_sample(
            logits[b], n=n, seed=seeds[b], preset=preset, order=order, **ref.row_params(params, b)
        )
        where = f"row {b} ({preset}, order={order}, {params})"
        np.testing.assert_array_equal(tokens[b], out["tokens"], err_msg=where)
        np.testing.assert_allclose(logprobs[b], out["logprobs"], atol=1e-6, rtol=1e-6)
    return d


# --------------------------------------------------------------------------- single stages

SINGLE_STAGE = [
    ("vllm", {"temperature": 0.6}),
    ("vllm", {"temperature": 1.7}),
    ("vllm", {"min_p": 0.05}),
    ("vllm", {"min_p": 0.3}),
    ("vllm", {"top_k": 1}),
    ("vllm", {"top_k": 7}),
    ("vllm", {"top_k": 50}),
    ("vllm", {"top_k": V + 5}),
    ("vllm", {"top_p": 0.5}),
    ("vllm", {"top_p": 0.9}),
    ("vllm", {"top_p": 0.99}),
    ("hf", {"typical_p": 0.5}),
    ("hf", {"typical_p": 0.9}),
    ("llama.cpp", {"top_n_sigma": 1.0}),
    ("llama.cpp", {"top_n_sigma": 2.5}),
    ("llama.cpp", {"top_k": 7}),
    ("llama.cpp", {"top_k": 50}),
    ("llama.cpp", {"xtc_threshold": 0.05, "xtc_probability": 0.5}),
    ("llama.cpp", {"xtc_threshold": 0.1, "xtc_probability": 1.0}),
    ("vllm", {"logit_bias": {0: 5.0, 3: -100.0, 17: 100.0, 999: -2.5}}),
    (
        "vllm",
        {
            "context": [1, 2, 2, 3, 3, 3, 500, 999, 0],
            "repetition_penalty": 1.3,
        },
    ),
    ("vllm", {"context": [5, 5, 6, 7, 7, 7], "frequency_penalty": 0.7}),
    ("vllm", {"context": [5, 5, 6, 7, 7, 7], "presence_penalty": -1.5}),
    (
        "hf",
        {
            "context": list(range(0, 300, 3)) * 2,
            "repetition_penalty": 0.8,
            "frequency_penalty": 0.2,
            "presence_penalty": 0.4,
            "penalty_last_n": 50,
        },
    ),
    (
        "llama.cpp",
        {
            "context": [int(t) for t in np.arange(200) % 37],
            "repetition_penalty": 1.1,
            "frequency_penalty": 0.3,
        },
    ),
]


@pytest.mark.parametrize(("preset", "params"), SINGLE_STAGE, ids=lambda v: str(v)[:60])
def test_single_stage_matches_reference(preset, params):
    check_against_reference(family_batch(), preset=preset, **params)


def test_top_k_ties_and_llama_exact_k():
    x = np.array([[1.0, 3.0, 2.0, 2.0, 2.0, 0.0, 2.0, -1.0]] * 2)
    d = check_against_reference(x, seeds=[1, 2], top_k=2)
    assert d["kept"] == [5, 5]
    d = check_against_reference(x, seeds=[1, 2], top_k=2, preset="llama.cpp")
    assert d["kept"] == [2, 2]
    probs = np.asarray(d["probs"])
    assert np.nonzero(probs[0])[0].tolist() == [1, 2]


def test_top_p_boundary_rounding():
    x = np.log(np.array([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3]]))
    d = check_against_reference(x, seeds=[1, 2], top_p=0.8)
    assert d["kept"] == [2, 2]


def test_top_p_keeps_ties_with_last_kept():
    x = np.log(np.array([[0.4, 0.2, 0.2, 0.2], [0.2, 0.2, 0.4, 0.2]]))
    d = check_against_reference(x, seeds=[1, 2], top_p=0.5)
    assert d["kept"] == [4, 4]


def test_top_p_one_keeps_tiny_tokens():
    x = np.array([[0.0, -60.0, -80.0, -np.inf]])
    d = check_against_reference(x, seeds=[0], top_p=1.0)
    assert d["kept"] == [3]
    d = check_against_reference(x, seeds=[0], top_p=1.0 - 1e-6)
    assert d["kept"] == [1]


# --------------------------------------------------------------------------- presets


PRESET_CONFIGS = [
    (
        "vllm",
        {
            "logit_bias": {4: 3.0, 10: -5.0},
            "context": [4, 4, 9, 10, 11, 11, 11],
            "repetition_penalty": 1.2,
            "frequency_penalty": 0.3,
            "presence_penalty": 0.2,
            "temperature": 0.8,
            "min_p": 0.02,
            "top_k": 40,
            "top_p": 0.9,
        },
    ),
    (
        "hf",
        {
            "logit_bias": {1: 2.0},
            "context": [1, 2, 3, 3],
            "repetition_penalty": 1.15,
            "temperature": 1.3,
            "top_k": 100,
            "top_p": 0.95,
            "min_p": 0.01,
            "typical_p": 0.9,
        },
    ),
    (
        "llama.cpp",
        {
            "logit_bias": {7: 1.5},
            "context": [int(t) for t in np.arange(120) % 13],
            "repetition_penalty": 1.1,
            "presence_penalty": 0.5,
            "top_n_sigma": 2.0,
            "top_k": 40,
            "typical_p": 0.95,
            "top_p": 0.9,
            "min_p": 0.05,
            "xtc_threshold": 0.1,
            "xtc_probability": 0.5,
            "temperature": 0.7,
        },
    ),
]


@pytest.mark.parametrize(("preset", "params"), PRESET_CONFIGS, ids=lambda v: str(v)[:20])
def test_preset_matches_reference(preset, params):
    check_against_reference(family_batch(seed=1), preset=preset, **params)


@pytest.mark.parametrize(
    ("preset", "order", "params"),
    [
        ("hf", ["top_k", "temperature", "top_p"], {"top_k": 30, "temperature": 0.5, "top_p": 0.8}),
        ("vllm", ["top_p", "min_p", "temperature"], {"top_p": 0.9, "min_p": 0.1, "temperature": 2}),
        ("llama.cpp", ["temperature", "top_k", "min_p"], {"temperature": 0.9, "top_k": 5}),
        (
            "vllm",
            ["xtc", "typical_p", "top_n_sigma", "temperature"],
            {"xtc_probability": 0.7, "typical_p": 0.8, "top_n_sigma": 1.5, "temperature": 1.2},
        ),
        (
            "llama.cpp",
            ["penalties", "temperature"],
            {"context": [3] * 100 + [4], "frequency_penalty": 0.05, "temperature": 0.9},
        ),
    ],
)
def test_explicit_order_matches_reference(preset, order, params):
    check_against_reference(family_batch(seed=2), preset=preset, order=order, **params)


def test_per_row_parameters_match_reference():
    logits = family_batch(seed=3)
    params = {
        "temperature": [0.5, 1.0, 1.5, 0.8, 2.0, 1.0],
        "top_k": [0, 10, 3, 0, 50, 20],
        "top_p": [0.9, 1.0, 0.7, 0.95, 0.5, 1.0],
        "min_p": [0.0, 0.05, 0.0, 0.1, 0.0, 0.2],
        "repetition_penalty": [1.0, 1.2, 1.5, 1.0, 0.9, 1.1],
        "frequency_penalty": [0.0, 0.5, 0.0, -0.5, 1.0, 0.0],
        "context": [[1, 2], [3, 3, 3], [], [900, 901, 900], [0], list(range(50))],
        "logit_bias": [{1: 4.0}, {}, {2: -3.0, 3: 3.0}, {}, {999: 10.0}, {0: -100.0}],
    }
    check_against_reference(logits, **params)


def test_penalty_last_n_per_row_and_longer_than_context():
    logits = family_batch(seed=15)
    ctx = [int(t) for t in np.arange(90) % 11]
    params = {
        "context": ctx,
        "frequency_penalty": 0.4,
        "repetition_penalty": 1.3,
        "penalty_last_n": [1, 10, 64, 89, 90, 500],
    }
    check_against_reference(logits, **params)
    check_against_reference(logits, preset="llama.cpp", context=ctx, presence_penalty=1.0)


def test_per_row_parameters_llama_cpp():
    logits = family_batch(seed=4)
    params = {
        "top_n_sigma": [0.0, 1.0, 2.0, 3.0, 0.5, 1.5],
        "xtc_threshold": [0.1, 0.05, 0.2, 0.1, 0.6, 0.01],
        "xtc_probability": [1.0, 0.5, 0.0, 0.3, 1.0, 0.9],
        "top_k": [0, 5, 10, 0, 1, 40],
        "temperature": [0.7, 1.0, 1.3, 0.5, 1.0, 1.1],
    }
    check_against_reference(logits, preset="llama.cpp", **params)


# --------------------------------------------------------------------------- greedy


def test_greedy_is_argmax_after_bias_and_penalties():
    x = np.array(
        [
            [1.0, 5.0, 5.0, 2.0, -np.inf],
            [1.0, 5.0, 5.0, 2.0, 0.0],
            [4.0, 3.9, 0.0, 0.0, 0.0],
            [-np.inf, 0.0, 0.0, 0.0, 0.0],
        ]
    )
    res = sample(
        x,
        temperature=0.0,
        top_k=3,
        top_p=0.5,
        min_p=0.2,
        n=5,
        seed=[1, 2, 3, 4],
        logit_bias=[{}, {3: 10.0}, {}, {}],
        context=[[], [], [0], []],
        repetition_penalty=2.0,
        return_probs=True,
    )
    d = res.to_dict()
    expected = [1, 3, 1, 1]
    assert np.asarray(d["tokens"]).tolist() == [[t] * 5 for t in expected]
    assert d["kept"] == [1, 1, 1, 1]
    assert d["entropy"] == [0.0, 0.0, 0.0, 0.0]
    np.testing.assert_array_equal(np.asarray(d["logprobs"]), np.zeros((4, 5)))
    np.testing.assert_array_equal(np.asarray(d["probs"]), np.eye(5)[expected])


def test_greedy_row_in_mixed_batch():
    logits = family_batch(seed=5)
    d = check_against_reference(
        logits, temperature=[0.0, 1.0, 0.0, 0.7, 0.0, 1.2], top_p=0.9, check_trace_=False
    )
    argmax = [int(ref.sorted_order(row)[0]) for row in logits]
    tokens = np.asarray(d["tokens"])
    for b in (0, 2, 4):
        assert (tokens[b] == argmax[b]).all()


def test_tiny_temperature_is_near_one_hot():
    x = np.array([[0.0, 1.0, 0.999, -3.0]])
    d = sample(x, temperature=1e-6, n=10, seed=3, return_probs=True).to_dict()
    probs = np.asarray(d["probs"])
    assert np.isfinite(probs).all()
    assert probs[0, 1] == pytest.approx(1.0, abs=1e-6)
    assert np.asarray(d["tokens"]).tolist() == [[1] * 10]


# --------------------------------------------------------------------------- draw / uniforms


def safe_uniforms(q_rows: list[np.ndarray], n: int, rng: np.random.Generator) -> np.ndarray:
    """Uniforms that keep clear (1e-6) of every boundary of each row's id-order CDF, so the
    expected token does not depend on float32 vs float64 rounding of the cumulative mass."""
    out = np.empty((len(q_rows), n))
    for b, q in enumerate(q_rows):
        cdf = ref.draw_cdf(q)[1]
        got = [0.0]
        while len(got) < n:
            u = rng.random()
            if np.min(np.abs(cdf - u * cdf[-1])) > 1e-6:
                got.append(u)
        out[b] = got
    return out


@pytest.mark.parametrize(
    ("preset", "params"),
    [("vllm", {"top_p": 0.9, "temperature": 0.8}), ("hf", {"typical_p": 0.7}), ("vllm", {})],
)
def test_draw_with_given_uniforms_matches_inverse_cdf(preset, params):
    logits = family_batch(seed=6)
    q_rows = [ref.reference_process(r, preset=preset, **params)[0] for r in logits]
    u = safe_uniforms(q_rows, 200, np.random.default_rng(7))
    tokens, logprobs = draw(process(logits, preset=preset, **params), u)
    tokens = np.asarray(tokens)
    logprobs = np.asarray(logprobs, dtype=np.float64)
    assert tokens.shape == (6, 200)
    for b, q in enumerate(q_rows):
        exp_tok, exp_lp = ref.reference_draw(q, u[b])
        np.testing.assert_array_equal(tokens[b], exp_tok, err_msg=f"row {b}")
        np.testing.assert_allclose(logprobs[b], exp_lp, atol=1e-6, rtol=1e-6)


def test_row_uniforms_are_philox_per_seed():
    seeds = [0, 1, 2**63 - 1, 123456789]
    u = np.asarray(row_uniforms(seeds, 50))
    assert u.shape == (4, 50) and u.dtype == np.float64
    for b, s in enumerate(seeds):
        np.testing.assert_array_equal(u[b], ref.reference_uniforms(s, 50))


def test_xtc_coins_are_philox_on_the_second_key_word():
    seeds = [0, 7, 2**63 - 1]
    coins = xtc_coins(seeds)
    for b, s in enumerate(seeds):
        assert coins[b] == ref.xtc_coin(s)


def test_uniforms_do_not_depend_on_other_threads_drawing_at_the_same_time():
    # The Philox behind row_uniforms is reset per call and kept per thread.
    seeds = list(range(200))
    expected = np.stack([ref.reference_uniforms(s, 20) for s in seeds])
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda s: row_uniforms([s], 20)[0], seeds * 5))
    np.testing.assert_array_equal(np.stack(results), np.concatenate([expected] * 5))


def test_sample_is_process_plus_uniforms_plus_draw():
    logits = family_batch(seed=8)
    params = {"top_k": 30, "top_p": 0.9, "temperature": 1.1}
    res = sample(logits, n=64, seed=SEEDS, **params)
    tokens, logprobs = draw(process(logits, **params), row_uniforms(SEEDS, 64))
    np.testing.assert_array_equal(np.asarray(res.tokens), np.asarray(tokens))
    np.testing.assert_allclose(np.asarray(res.logprobs), np.asarray(logprobs), rtol=1e-12)


# --------------------------------------------------------------------------- outputs


def test_single_row_input_is_batched_and_dtypes():
    rng = np.random.default_rng(9)
    for dtype in (np.float16, np.float32, np.float64):
        x = rng.normal(0, 2, size=300).astype(dtype)
        d = sample(x, n=3, seed=5, top_k=20, return_probs=True).to_dict()
        out = ref.reference_sample(x.astype(np.float64), n=3, seed=5, top_k=20)
        assert np.asarray(d["tokens"]).shape == (1, 3)
        np.testing.assert_array_equal(np.asarray(d["tokens"])[0], out["tokens"])
        np.testing.assert_allclose(np.asarray(d["probs"])[0], out["q"], atol=PROB_ATOL)


def test_top_logprobs_are_the_most_likely_processed_tokens():
    logits = family_batch(seed=10)[[0, 1, 2, 3, 5]]
    d = sample(logits, seed=SEEDS[:5], top_k=3, logprobs=5, temperature=0.9).to_dict()
    assert len(d["top_logprobs"]) == 5
    for b, row in enumerate(logits):
        q, _ = ref.reference_process(row, top_k=3, temperature=0.9)
        ids, probs = ref.sorted_kept(q)
        top = d["top_logprobs"][b]
        k = min(5, len(ids))
        assert [e["token"] for e in top] == ids[:k].tolist()
        np.testing.assert_allclose([e["logprob"] for e in top], np.log(probs[:k]), atol=1e-6)


def test_larger_uniform_gives_larger_token_id():
    """docs: draws walk the kept tokens in ascending id order, so the id is monotone in u."""
    logits = family_batch(seed=11)
    q_rows = [ref.reference_process(r, temperature=1.3)[0] for r in logits]
    u = np.sort(safe_uniforms(q_rows, 300, np.random.default_rng(12)), axis=1)
    tokens = np.asarray(draw(process(logits, temperature=1.3), u)[0])
    for b in range(len(q_rows)):
        assert (np.diff(tokens[b]) >= 0).all(), f"row {b}: token id decreases as u grows"
    x = np.log(np.array([[0.1, 0.05, 0.6, 0.25]]))
    tokens = np.asarray(draw(process(x), np.array([[0.0, 0.09, 0.11, 0.16, 0.74, 0.76]]))[0])
    assert tokens.tolist() == [[0, 0, 1, 2, 2, 3]]


def test_draw_skips_removed_tokens_and_scales_u_by_row_mass():
    x = np.log(np.array([[0.1, 0.05, 0.6, 0.25], [0.25, 0.6, 0.05, 0.1]]))
    u = np.array([[0.0, 0.14, 0.16, 0.74, 0.76, 0.99]] * 2)
    tokens = np.asarray(draw(process(x), u)[0])
    assert tokens.tolist() == [[0, 1, 2, 2, 3, 3], [0, 0, 0, 1, 1, 3]]
    # top_k=2 keeps {2, 3} (q = 0.706, 0.294) and {0, 1} (q = 0.294, 0.706)
    tokens = np.asarray(draw(process(x, top_k=2), np.array([[0.0, 0.69, 0.72]] * 2))[0])
    assert tokens.tolist() == [[2, 2, 3], [0, 1, 1]]


def window_rows(v: int = 3000) -> np.ndarray:
    """Rows whose bulk sits just inside / just outside 30 nats below the top token."""
    rng = np.random.default_rng(13)
    rows = []
    for gap in (29.0, 30.5, 35.0):
        x = np.full(v, -gap) + rng.normal(0.0, 0.3, size=v)
        x[rng.integers(v, size=3)] = [0.0, -1.0, -2.0]
        rows.append(x)
    x = rng.normal(0.0, 1.0, size=v) - 25.0  # a heavy bulk that carries most of the mass
    x[7] = 0.0
    rows.append(x)
    return np.stack(rows)


@pytest.mark.parametrize(
    ("preset", "params"),
    [
        ("vllm", {}),
        ("vllm", {"temperature": 0.5}),
        ("vllm", {"temperature": 2.0}),
        ("vllm", {"top_p": 0.999999}),
        ("vllm", {"min_p": 1e-13}),
        ("vllm", {"min_p": 1e-13, "temperature": 2.0}),
        ("vllm", {"top_k": 2999}),
        ("hf", {"typical_p": 0.99}),
        ("llama.cpp", {"top_n_sigma": 3.0}),
        ("llama.cpp", {"top_k": 1000, "temperature": 3.0}),
    ],
)
def test_negligible_tail_window_never_changes_the_result(preset, params):
    check_against_reference(window_rows(), seeds=[1, 2, 3, 4], preset=preset, **params)


def test_xtc_coin_is_the_rows_own_philox_stream():
    """Identical rows, different seeds: XTC fires exactly on the rows whose coin is < P."""
    x = np.stack([ref.zipf_logits(400, 1.3, np.random.default_rng(14))] * 12)
    seeds = list(range(100, 112))
    fired = [ref.xtc_coin(s) < 0.5 for s in seeds]
    assert 0 < sum(fired) < 12, "the seeds must exercise both outcomes of the coin"
    params = {"xtc_threshold": 0.05, "xtc_probability": 0.5}
    d = check_against_reference(x, seeds=seeds, n=4, preset="llama.cpp", **params)
    top = int(np.argmax(x[0]))
    probs = np.asarray(d["probs"])
    assert [bool(probs[b, top] == 0) for b in range(12)] == fired
