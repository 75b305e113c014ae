"""Goodness of fit of the draws against the processed distribution (fixed seeds)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chisquare

from service.sampling import sample
from tests.sampling import reference as ref

N_DRAWS = 10_000
P_MIN = 1e-3


def pooled_chisquare(counts: np.ndarray, q: np.ndarray) -> float:
    """Chi-square p-value over the kept tokens, pooling expected counts < 5 into one bin."""
    kept = q > 0
    obs = counts[kept].astype(np.float64)
    exp = q[kept] * counts.sum()
    small = exp < 5
    if small.any():
        obs = np.append(obs[~small], obs[small].sum())
        exp = np.append(exp[~small], exp[small].sum())
        if exp[-1] < 5:  # merge an undersized pooled bin into the smallest regular bin
            j = int(np.argmin(exp[:-1]))
            obs[j] += obs[-1]
            exp[j] += exp[-1]
            obs, exp = obs[:-1], exp[:-1]
    assert len(exp) >= 2
    exp = exp * (obs.sum() / exp.sum())
    return float(chisquare(obs, exp).pvalue)


def logits_case(name: str, v: int = 2000) -> np.ndarray:
    rng = np.random.default_rng({"zipf": 1, "gaussian": 2, "peaked": 3, "masked": 4}[name])
    if name == "zipf":
        return ref.zipf_logits(v, 1.2, rng)
    if name == "gaussian":
        return ref.gaussian_logits(v, rng, scale=1.5)
    if name == "peaked":
        return ref.peaked_logits(v, rng, gap=5.0)
    if name == "masked":
        return ref.masked_logits(v, rng, frac=0.6)
    raise ValueError(name)


CASES = [
    ("zipf", "vllm", {}, 101),
    ("zipf", "vllm", {"top_p": 0.8, "temperature": 0.9}, 102),
    ("gaussian", "vllm", {"top_k": 50}, 103),
    ("gaussian", "hf", {"typical_p": 0.9, "temperature": 1.3}, 104),
    ("peaked", "vllm", {"min_p": 0.001}, 105),
    ("peaked", "llama.cpp", {"top_n_sigma": 3.0, "temperature": 1.5}, 106),
    ("masked", "vllm", {"temperature": 0.7}, 107),
    ("masked", "hf", {"top_k": 200, "top_p": 0.95, "min_p": 0.01}, 108),
]


@pytest.mark.parametrize(("name", "preset", "params", "seed"), CASES)
def test_draws_fit_processed_distribution(name, preset, params, seed):
    x = logits_case(name)
    q, _ = ref.reference_process(x, preset=preset, **params)
    res = sample(x, n=N_DRAWS, seed=seed, preset=preset, **params)
    tokens = np.asarray(res.tokens)
    assert tokens.shape == (1, N_DRAWS)
    tokens = tokens[0]
    assert (q[tokens] > 0).all(), "drew a token outside the kept set"
    counts = np.bincount(tokens, minlength=x.shape[0])
    p = pooled_chisquare(counts, q)
    assert p > P_MIN, f"chi-square p-value {p:.2e} for {name} {preset} {params}"


def test_chisquare_rejects_a_wrong_distribution():
    """The statistic has power: draws of the unprocessed row fail the top_k distribution."""
    x = logits_case("gaussian")
    q_top, _ = ref.reference_process(x, top_k=50, temperature=0.8)
    q_t1, _ = ref.reference_process(x, top_k=50)
    res = sample(x, n=N_DRAWS, seed=5, top_k=50)
    counts = np.bincount(np.asarray(res.tokens)[0], minlength=x.shape[0])
    assert pooled_chisquare(counts, q_t1) > P_MIN
    assert pooled_chisquare(counts, q_top) < 1e-6


def test_batch_of_rows_fits_each_row():
    rng = np.random.default_rng(31)
    rows = np.stack([ref.gaussian_logits(300, rng, scale=s) for s in (0.5, 1.0, 2.0, 3.0)])
    res = sample(rows, n=N_DRAWS, seed=[1, 2, 3, 4], top_p=0.9)
    tokens = np.asarray(res.tokens)
    for b, row in enumerate(rows):
        q, _ = ref.reference_process(row, top_p=0.9)
        assert (q[tokens[b]] > 0).all()
        p = pooled_chisquare(np.bincount(tokens[b], minlength=300), q)
        assert p > P_MIN, f"row {b}: p={p:.2e}"


def test_greedy_always_gives_argmax():
    rng = np.random.default_rng(41)
    rows = np.stack([ref.gaussian_logits(500, rng) for _ in range(3)])
    rows[1, 10] = rows[1, 20] = rows[1].max() + 1.0  # tie: lowest id wins
    res = sample(rows, n=N_DRAWS, seed=9, temperature=0.0)
    tokens = np.asarray(res.tokens)
    assert (tokens[0] == np.argmax(rows[0])).all()
    assert (tokens[1] == 10).all()
    assert (tokens[2] == np.argmax(rows[2])).all()
