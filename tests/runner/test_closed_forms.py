"""Sweep statistics against closed forms on Zipf sources (every row a permutation of one law)."""

import numpy as np
import pytest

from tests.runner.sweeping import run_sweep

V, S = 300, 1.1


def zipf(exponent: float, size: int = V) -> np.ndarray:
    weights = np.arange(1, size + 1, dtype=np.float64) ** -exponent
    return weights / weights.sum()


def entropy(p: np.ndarray) -> float:
    return float(-(p * np.log(p)).sum())


def test_zipf_at_temperature_t_is_zipf_s_over_t(sessions):
    cells = run_sweep(sessions, f"zipf:V={V},s={S},rows=4,seed=3", temperature="0.5,1,2")
    base = zipf(S)
    for cell in cells:
        q = zipf(S / cell["temperature"])
        assert cell["entropy"] == pytest.approx(entropy(q), rel=1e-12)
        assert cell["perplexity"] == pytest.approx(np.exp(entropy(q)), rel=1e-12)
        assert cell["renyi2_entropy"] == pytest.approx(-np.log((q * q).sum()), rel=1e-12)
        assert cell["min_entropy"] == pytest.approx(-np.log(q[0]), rel=1e-12)
        assert cell["kept_count"] == V and cell["kept_mass"] == pytest.approx(1.0, abs=1e-14)
        kl = float((q * (np.log(q) - np.log(base))).sum())
        assert cell["kl_to_original"] == pytest.approx(kl, rel=1e-9, abs=1e-13)


def test_entropy_is_non_decreasing_in_temperature(sessions):
    cells = run_sweep(sessions, "zipf:V=500,s=1.2,rows=2,seed=1", temperature="0.05:3:13",
                      top_p="0.9,1.0")
    for top_p in (0.9, 1.0):
        values = [c["entropy"] for c in cells if c["top_p"] == top_p]
        assert len(values) == 13 and np.all(np.diff(values) >= -1e-12)


def test_pure_truncation_kl_is_minus_log_kept_mass(sessions):
    cells = run_sweep(sessions, f"zipf:V={V},s={S},rows=3,seed=0", top_p="0.3,0.6,0.9",
                      top_k="0,5,40")
    cumulative = np.cumsum(zipf(S))
    for cell in cells:
        assert cell["kl_to_original"] == pytest.approx(-np.log(cell["kept_mass"]), rel=1e-12,
                                                       abs=1e-15)
        # vLLM order: top-k first, then top-p on the renormalised top-k prefix.
        k = cell["top_k"] or V
        renormalised = cumulative[:k] / cumulative[k - 1]
        kept = int(np.argmax(renormalised >= cell["top_p"] - 1e-9)) + 1
        assert cell["kept_count"] == kept
        assert cell["kept_mass"] == pytest.approx(cumulative[kept - 1], rel=1e-12)


def test_greedy_cells(sessions):
    [cell] = run_sweep(sessions, "gaussian:V=100,rows=3,seed=2", temperature="0")
    assert (cell["entropy"], cell["kept_count"], cell["kept_mass"]) == (0.0, 1.0, 1.0)
    assert cell["distinct_tokens"] == 3 and cell["repetition_rate"] == 1.0
    assert cell["expected_distinct"] == 1.0


def test_empirical_counts_match_their_expectations(sessions):
    rows, draws = 64, 200
    [cell] = run_sweep(sessions, f"zipf:V=400,s=1.0,rows={rows},seed=5", samples=draws,
                       temperature="1.0")
    q = zipf(1.0, 400)
    expected = float((1 - (1 - q) ** draws).sum())
    assert cell["expected_distinct"] == pytest.approx(expected, rel=1e-12)
    # Per-row distinct counts have variance <= their mean: 4 standard errors of the mean.
    assert abs(cell["distinct_tokens"] / rows - expected) < 4 * np.sqrt(expected / rows)
    collision = float((q * q).sum())
    pairs = rows * (draws - 1)
    assert abs(cell["repetition_rate"] - collision) < 4 * np.sqrt(collision / pairs)
    assert cell["n_tokens"] == rows * draws and cell["total_2"] == rows * (draws - 1)
    # Undersampled (N = 200 < V): plug-in is biased low and Miller-Madow removes part of it.
    assert cell["plugin_entropy"] < cell["miller_madow_entropy"] < entropy(q)


@pytest.mark.parametrize("preset", ["vllm", "llama.cpp"])
def test_entropy_orderings_hold_in_every_cell(sessions, preset):
    cells = run_sweep(sessions, "gaussian:V=800,sigma=2,outliers=4,rows=3,seed=6", preset=preset,
                      temperature="0,0.4,1,2", top_p="0.3,0.9,1", min_p="0,0.1")
    for cell in cells:
        assert (cell["min_entropy"] <= cell["renyi2_entropy"] + 1e-12
                <= cell["entropy"] + 2e-12 <= np.log(cell["kept_count"]) + 3e-12), cell
        assert 0 < cell["kept_mass"] <= 1 and cell["kl_to_original"] >= 0
        assert 1 <= cell["expected_distinct"] <= min(cell["kept_count"], 50) + 1e-9
