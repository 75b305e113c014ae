"""Closed-form facts the core must reproduce."""

from __future__ import annotations

import math

import numpy as np
import pytest

from service.sampling import sample
from tests.sampling import reference as ref


def probs_of(res) -> np.ndarray:
    return np.asarray(res.to_dict()["probs"], dtype=np.float64)


@pytest.mark.parametrize("kind", ["gaussian", "zipf", "masked"])
def test_entropy_non_decreasing_in_temperature(kind):
    rng = np.random.default_rng(12)
    x = {
        "gaussian": ref.gaussian_logits(2000, rng),
        "zipf": ref.zipf_logits(2000, 1.1, rng),
        "masked": ref.masked_logits(2000, rng),
    }[kind]
    temps = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0, 1.1, 1.5, 2.0, 3.0, 5.0]
    d = sample(np.stack([x] * len(temps)), temperature=temps, seed=1).to_dict()
    ent = np.asarray(d["entropy"])
    assert ent[0] == 0.0
    assert (np.diff(ent) > 0).all(), ent
    # and the closed form H(T) of softmax(x / T)
    for t, h in zip(temps[1:], ent[1:], strict=True):
        assert h == pytest.approx(ref.entropy(ref.softmax(x / t)), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize(("s", "t"), [(1.0, 1.0), (1.2, 0.6), (0.8, 1.7), (2.0, 0.5), (1.5, 3.0)])
def test_zipf_logits_at_temperature_give_zipf_s_over_t(s, t):
    v = 3000
    rng = np.random.default_rng(int(s * 100 + t * 10))
    perm = rng.permutation(v)
    x = np.empty(v)
    x[perm] = -s * np.log(np.arange(1, v + 1))
    res = sample(x, temperature=t, seed=0, return_probs=True)
    ranks = np.arange(1, v + 1, dtype=np.float64)
    zipf = ranks ** (-s / t)
    zipf /= zipf.sum()
    expected = np.empty(v)
    expected[perm] = zipf
    np.testing.assert_allclose(probs_of(res)[0], expected, rtol=1e-5, atol=1e-9)
    assert res.to_dict()["entropy"][0] == pytest.approx(ref.entropy(zipf), rel=1e-6)


MIN_P_CASES = [
    (0.05, 1.0, 1.1),
    (0.01, 0.7, 1.3),
    (0.2, 1.5, 0.9),
    (0.003, 0.5, 1.1),
    (0.1, 2.0, 2.5),
]


@pytest.mark.parametrize(("min_p", "t", "s"), MIN_P_CASES)
def test_min_p_on_zipf_keeps_floor_of_min_p_power(min_p, t, s):
    bound = min_p ** (-t / s)
    assert abs(bound - round(bound)) > 0.02, "test point too close to a boundary"
    v = 5000
    assert bound < v
    x = ref.zipf_logits(v, s, np.random.default_rng(3))
    d = sample(x, temperature=t, min_p=min_p, seed=0).to_dict()  # vllm: temperature first
    assert d["kept"] == [math.floor(bound)]
    # llama.cpp applies temperature last, so min_p sees the T = 1 distribution
    d = sample(x, temperature=t, min_p=min_p, preset="llama.cpp", seed=0).to_dict()
    bound1 = min_p ** (-1 / s)
    assert abs(bound1 - round(bound1)) > 0.02
    assert d["kept"] == [math.floor(bound1)]


@pytest.mark.parametrize(
    "params",
    [{"top_k": 1}, {"top_k": 25}, {"top_p": 0.3}, {"top_p": 0.9}, {"min_p": 0.02}, {"min_p": 0.5}],
)
def test_kl_of_truncation_is_minus_log_kept_mass(params):
    rng = np.random.default_rng(21)
    x = np.stack([ref.gaussian_logits(1500, rng), ref.zipf_logits(1500, 1.05, rng)])
    d = sample(x, seed=[1, 2], return_probs=True, trace=True, **params).to_dict()
    q = np.asarray(d["probs"], dtype=np.float64)
    for b in range(2):
        p = ref.softmax(x[b])
        kept = q[b] > 0
        mass = p[kept].sum()
        assert mass < 1.0
        kl = float((q[b][kept] * np.log(q[b][kept] / p[kept])).sum())
        assert kl == pytest.approx(-math.log(mass), abs=2e-6, rel=1e-5)
        stage = next(iter(params))
        removed = [t["removed_mass"] for t in d["trace"][b] if t["stage"] == stage]
        assert removed == [pytest.approx(1.0 - mass, abs=1e-6)]


def test_min_p_is_invariant_to_earlier_truncation():
    rng = np.random.default_rng(5)
    x = ref.gaussian_logits(1000, rng)
    order = ["top_k", "min_p"]
    a = probs_of(
        sample(x, preset="hf", order=order, top_k=40, min_p=0.1, seed=0, return_probs=True)
    )
    b = probs_of(sample(x, preset="hf", top_k=40, seed=0, return_probs=True))
    c = probs_of(sample(x, min_p=0.1, seed=0, return_probs=True))
    np.testing.assert_array_equal(a > 0, (b > 0) & (c > 0))
