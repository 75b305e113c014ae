"""The reference itself against hand computations and closed forms (no core needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.sampling import reference as ref


def test_softmax_ignores_masked_and_sums_to_one():
    x = np.array([0.0, -np.inf, math.log(3.0)])
    np.testing.assert_allclose(ref.softmax(x), [0.25, 0.0, 0.75], rtol=1e-15)


def test_zipf_temperature_closed_form():
    v, s, t = 200, 1.3, 0.7
    q, _ = ref.reference_process(ref.zipf_logits(v, s), temperature=t)
    i = np.arange(1, v + 1, dtype=np.float64)
    expected = i ** (-s / t)
    np.testing.assert_allclose(q, expected / expected.sum(), rtol=1e-12)


def test_top_p_boundary_rule_stops_at_exact_mass():
    x = np.log([0.5, 0.3, 0.2])
    q, _ = ref.reference_process(x, top_p=0.8)
    np.testing.assert_allclose(q, [0.625, 0.375, 0.0], rtol=1e-12)
    q, _ = ref.reference_process(x, top_p=0.8 + 1e-6)
    assert (q > 0).sum() == 3


def test_top_p_keeps_ties_with_last_kept():
    x = np.log([0.4, 0.2, 0.2, 0.2])
    q, _ = ref.reference_process(x, top_p=0.5)
    assert (q > 0).tolist() == [True, True, True, True]
    q, _ = ref.reference_process(x, top_p=0.4)
    assert (q > 0).tolist() == [True, False, False, False]


def test_top_k_ties_kept_except_llama_cpp():
    x = np.array([1.0, 3.0, 2.0, 2.0, 2.0, 0.0])
    q, _ = ref.reference_process(x, top_k=2)
    assert np.nonzero(q)[0].tolist() == [1, 2, 3, 4]
    q, _ = ref.reference_process(x, top_k=2, preset="llama.cpp")
    assert np.nonzero(q)[0].tolist() == [1, 2]
    q, _ = ref.reference_process(x, top_k=6)
    assert (q > 0).all()


def test_min_p_threshold():
    x = np.log([0.5, 0.25, 0.2, 0.05])
    q, _ = ref.reference_process(x, min_p=0.4)
    assert np.nonzero(q)[0].tolist() == [0, 1, 2]
    q, _ = ref.reference_process(x, min_p=1.0)
    assert np.nonzero(q)[0].tolist() == [0]


def test_typical_p_hand_example():
    p = np.array([0.4, 0.3, 0.2, 0.1])
    h = -(p * np.log(p)).sum()
    s = np.abs(-np.log(p) - h)
    order = np.argsort(s, kind="stable")
    cum = np.cumsum(p[order])
    j = int((cum < 0.6).sum())
    keep = s <= s[order[j]]
    q, _ = ref.reference_process(np.log(p), typical_p=0.6, preset="hf")
    assert (q > 0).tolist() == keep.tolist()
    assert 1 <= keep.sum() < 4


def test_top_n_sigma_population_std():
    x = np.array([4.0, 2.0, 0.0, -2.0, -4.0])
    # std (ddof=0) = sqrt(8); keep x >= 4 - 1 * 2.828 = 1.17
    q, _ = ref.reference_process(x, top_n_sigma=1.0, preset="llama.cpp")
    assert np.nonzero(q)[0].tolist() == [0, 1]


def test_penalties_hand_example():
    x = np.array([2.0, -1.0, 0.5, 3.0])
    ctx = [0, 1, 1, 2]
    q, trace = ref.reference_process(
        x, context=ctx, repetition_penalty=2.0, frequency_penalty=0.5, presence_penalty=0.25
    )
    expected = np.array([2.0 / 2 - 0.5 - 0.25, -1.0 * 2 - 1.0 - 0.25, 0.25 - 0.5 - 0.25, 3.0])
    np.testing.assert_allclose(q, ref.softmax(expected), rtol=1e-12)
    assert [t["stage"] for t in trace if t["active"]] == ["penalties"]


def test_penalty_last_n_and_llama_default():
    x = np.zeros(4)
    ctx = [1] * 70 + [2]
    q, _ = ref.reference_process(x, context=ctx, presence_penalty=1.0, penalty_last_n=1)
    assert q[1] == q[0] and q[2] < q[0]
    q, _ = ref.reference_process(x, context=ctx, frequency_penalty=0.01, preset="llama.cpp")
    np.testing.assert_allclose(math.log(q[0] / q[1]), 0.01 * 63, rtol=1e-12)


def test_greedy_is_lowest_argmax_after_bias():
    x = np.array([1.0, 5.0, 5.0, 2.0])
    q, _ = ref.reference_process(x, temperature=0.0, top_k=1, min_p=0.5)
    assert q.tolist() == [0.0, 1.0, 0.0, 0.0]
    q, _ = ref.reference_process(x, temperature=0.0, logit_bias={3: 4.0})
    assert q.tolist() == [0.0, 0.0, 0.0, 1.0]


def test_xtc_removes_all_above_threshold_but_least_likely():
    x = np.log([0.4, 0.05, 0.3, 0.25])
    seed = next(s for s in range(100) if ref.xtc_coin(s) < 0.5)
    q, _ = ref.reference_process(
        x, xtc_threshold=0.2, xtc_probability=0.5, preset="llama.cpp", seed=seed
    )
    assert np.nonzero(q)[0].tolist() == [1, 3]
    seed = next(s for s in range(100) if ref.xtc_coin(s) >= 0.5)
    q, _ = ref.reference_process(
        x, xtc_threshold=0.2, xtc_probability=0.5, preset="llama.cpp", seed=seed
    )
    assert (q > 0).all()


def test_inverse_cdf_draw_in_token_id_order():
    q = np.array([0.1, 0.0, 0.6, 0.3])
    u = np.array([0.0, 0.09, 0.11, 0.69, 0.71, 0.999])
    tokens, logprobs = ref.reference_draw(q, u)
    assert tokens.tolist() == [0, 0, 2, 2, 3, 3]
    np.testing.assert_allclose(logprobs, np.log(q[tokens]))
    # u is scaled by the row's mass
    tokens, _ = ref.reference_draw(q * 0.5, u)
    assert tokens.tolist() == [0, 0, 2, 2, 3, 3]


def test_uniforms_are_philox():
    u = ref.reference_uniforms(7, 5)
    assert u.shape == (5,)
    np.testing.assert_array_equal(u[:3], ref.reference_uniforms(7, 3))
    assert not np.array_equal(u, ref.reference_uniforms(8, 5))


def test_trace_removed_mass_and_kept():
    x = np.log([0.5, 0.3, 0.2])
    _, trace = ref.reference_process(x, top_k=1, temperature=2.0)
    by_stage = {t["stage"]: t for t in trace}
    assert by_stage["top_k"]["kept"] == 1
    p_t = ref.softmax(x / 2.0)
    assert by_stage["top_k"]["removed_mass"] == pytest.approx(1 - p_t[0], rel=1e-12)
    assert by_stage["top_k"]["entropy"] == 0.0


def test_penalty_last_n_longer_than_context_counts_everything():
    x = np.zeros(3)
    ctx = [0, 1, 1]
    full, _ = ref.reference_process(x, context=ctx, frequency_penalty=0.5)
    for last_n in (3, 4, 100):
        q, _ = ref.reference_process(x, context=ctx, frequency_penalty=0.5, penalty_last_n=last_n)
        np.testing.assert_array_equal(q, full)
    q, _ = ref.reference_process(x, context=ctx, frequency_penalty=0.5, penalty_last_n=2)
    np.testing.assert_allclose(math.log(q[0] / q[1]), 1.0, rtol=1e-12)  # only the two 1s count
