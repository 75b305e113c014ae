"""Statistics functions against closed forms on hand-made distributions and sequences."""

import itertools

import numpy as np
import pytest

from runner.stats.empirical import pooled_counts, row_counts
from runner.stats.exact import exact_row_stats, logsumexp_rows


def _pad(rows):
    width = max(len(r) for r in rows)
    return np.array([list(r) + [0.0] * (width - len(r)) for r in rows])


def test_uniform_rows():
    q = _pad([[0.25] * 4, [1.0]])
    zeros = np.zeros_like(q)
    stats = exact_row_stats(q, np.array([4, 1]), zeros, zeros, draws=10)
    np.testing.assert_allclose(stats["entropy"], [np.log(4), 0.0], atol=1e-15)
    np.testing.assert_allclose(stats["renyi2_entropy"], [np.log(4), 0.0], atol=1e-15)
    np.testing.assert_allclose(stats["min_entropy"], [np.log(4), 0.0], atol=1e-15)
    np.testing.assert_allclose(stats["expected_distinct"], [4 * (1 - 0.75**10), 1.0])
    np.testing.assert_array_equal(stats["kept_count"], [4, 1])


def test_pure_truncation_kl_is_minus_log_kept_mass():
    p = np.array([0.4, 0.3, 0.2, 0.1])
    kept = 2
    q = np.zeros((1, 4))
    q[0, :kept] = p[:kept] / p[:kept].sum()
    log_p = np.log(p)[None, :]
    stats = exact_row_stats(q, np.array([kept]), log_p, log_p, draws=5)
    np.testing.assert_allclose(stats["kept_mass"], [0.7])
    np.testing.assert_allclose(stats["kl_to_original"], [-np.log(0.7)], rtol=1e-14)


def test_renyi_ordering_on_a_skewed_row():
    q = np.array([[0.7, 0.2, 0.1]])
    stats = exact_row_stats(q, np.array([3]), np.log(q), np.log(q), draws=3)
    assert stats["min_entropy"][0] <= stats["renyi2_entropy"][0] <= stats["entropy"][0]
    np.testing.assert_allclose(stats["renyi2_entropy"], -np.log(0.49 + 0.04 + 0.01))


def test_logsumexp_with_masked_tokens():
    x = np.array([[0.0, np.log(3.0), -np.inf]])
    np.testing.assert_allclose(logsumexp_rows(x), [np.log(4.0)])


def test_row_counts_of_a_hand_sequence():
    tokens = np.array([[5, 5, 7, 5, 9, 7], [1, 2, 3, 4, 5, 6]])
    counts = row_counts(tokens)
    np.testing.assert_array_equal(counts["distinct"], [3, 6])
    np.testing.assert_array_equal(counts["hapax"], [1, 6])
    np.testing.assert_array_equal(counts["repeat_count"], [1, 0])
    # bigrams of row 0: 55 57 75 59 97 -> 5 unique; trigrams 557 575 759 597 -> 4
    np.testing.assert_array_equal(counts["unique_2"], [5, 5])
    np.testing.assert_array_equal(counts["unique_3"], [4, 4])
    np.testing.assert_array_equal(counts["unique_4"], [3, 3])
    pooled = pooled_counts(counts, draws=6)
    assert pooled["n_tokens"] == 12 and pooled["distinct_tokens"] == 9
    assert (pooled["unique_2"], pooled["total_2"]) == (10, 10)
    assert pooled["distinct_1"] == 9 / 12 and pooled["distinct_4"] == 6 / 6
    assert pooled["hapax"] == 7 and pooled["good_turing_unseen"] == 7 / 12
    assert pooled["repetition_rate"] == 1 / 10
    plug0 = -(3 / 6 * np.log(3 / 6) + 2 / 6 * np.log(2 / 6) + 1 / 6 * np.log(1 / 6))
    np.testing.assert_allclose(pooled["plugin_entropy"], (plug0 + np.log(6)) / 2)
    mm = ((plug0 + 2 / 12) + (np.log(6) + 5 / 12)) / 2
    np.testing.assert_allclose(pooled["miller_madow_entropy"], mm)


def test_short_sequences_have_no_long_ngrams():
    pooled = pooled_counts(row_counts(np.array([[3, 3]])), draws=2)
    assert pooled["total_3"] == 0 and pooled["distinct_3"] == 0.0
    assert pooled["repetition_rate"] == 1.0


def _brute_force(row):
    grams = {size: [tuple(row[i : i + size]) for i in range(len(row) - size + 1)]
             for size in range(1, 5)}
    counts = {}
    for token in row:
        counts[token] = counts.get(token, 0) + 1
    return {f"unique_{size}": len(set(g)) for size, g in grams.items()} | {
        "hapax": sum(c == 1 for c in counts.values()),
        "repeat_count": sum(a == b for a, b in itertools.pairwise(row)),
        "sum_c_log_c": sum(c * np.log(c) for c in counts.values()),
    }


@pytest.mark.parametrize(("vocab", "length"), [(3, 1), (3, 3), (5, 40), (40_000, 30)])
def test_row_counts_match_brute_force(vocab, length):
    # vocab 40 000 exceeds the direct 4-gram code range and takes the dense-rank path.
    rng = np.random.default_rng(vocab + length)
    tokens = rng.integers(0, vocab, (6, length))
    tokens[:, length // 2 :] = np.minimum(tokens[:, length // 2 :], 2)  # force repeats
    counts = row_counts(tokens)
    for index, row in enumerate(tokens.tolist()):
        expected = _brute_force(row)
        for key, value in expected.items():
            assert counts[key][index] == pytest.approx(value, abs=1e-9), (key, row)
