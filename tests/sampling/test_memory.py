"""Memory guard: sampling a (8, 128256) float32 batch stays within a few copies of the input."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from service.sampling import sample

B, V = 8, 128256


@pytest.fixture(scope="module")
def big_logits() -> np.ndarray:
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 2.5, size=(B, V)).astype(np.float32)
    x[:, rng.integers(0, V, size=16)] += 8.0  # a few dominant tokens, like a real LM head
    return x


CONFIGS = [
    {"top_k": 50},
    {"top_p": 0.9},
    {"min_p": 0.05},
    {"top_k": 40, "top_p": 0.95, "min_p": 0.02, "temperature": 0.8},
    {"temperature": 1.5},
]


def peak_bytes(fn) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("return_probs", [False, True])
@pytest.mark.parametrize("params", CONFIGS, ids=lambda p: ",".join(p))
def test_peak_memory_is_bounded(big_logits, params, return_probs):
    def run():
        sample(big_logits, n=16, seed=list(range(B)), return_probs=return_probs, **params)

    run()  # warm-up: imports and one-time caches are not part of the per-call budget
    budget = 4 * big_logits.nbytes + (B * V * 4 if return_probs else 0)
    peak = peak_bytes(run)
    assert peak <= budget, f"peak {peak / 2**20:.1f} MiB > budget {budget / 2**20:.1f} MiB"
