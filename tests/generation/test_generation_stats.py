"""Generation-level statistics against hand computations, and a sweep's diversity trend."""

import math

import pytest

from runner.generation_stats import (
    distinct_n,
    generation_stats,
    mean_length,
    repetition_rate,
    self_bleu,
    sentence_bleu,
)
from runner.generation_sweep import GenerationSweepSpec, read_prompts, run_sweep


def test_distinct_n_pools_every_continuation():
    seqs = [[1, 2, 3], [1, 2, 4]]
    assert distinct_n(seqs, 1) == 4 / 6
    assert distinct_n(seqs, 2) == 3 / 4  # (1,2) twice, (2,3), (2,4)
    assert distinct_n(seqs, 4) == 0.0 and distinct_n([], 1) == 0.0


def test_repetition_rate_is_seq_rep_4():
    looping = [1, 2, 3, 4, 1, 2, 3, 4, 1]  # 6 four-grams, 4 unique
    assert repetition_rate([looping]) == pytest.approx(1 - 4 / 6)
    assert repetition_rate([[1, 2, 3, 4, 5], [1, 2]]) == 0.0  # the short one has no 4-gram
    assert mean_length([[1, 2], [1, 2, 3, 4]]) == 3


def test_bleu_by_hand():
    hyp, ref = [1, 2, 3, 4, 5], [1, 2, 3, 4, 6]
    # matches: 1-grams 4/5, 2-grams 3/4, 3-grams 2/3, 4-grams 1/2; same length: no penalty
    expected = math.exp((math.log(4 / 5) + math.log(3 / 4) + math.log(2 / 3) + math.log(1 / 2))
                        / 4)
    assert sentence_bleu(hyp, [ref]) == pytest.approx(expected)
    # no 4-gram match: Chen & Cherry method 1 puts epsilon = 0.1 in the numerator
    hyp, ref = [1, 2, 3, 9], [1, 2, 3, 8]
    expected = math.exp((math.log(3 / 4) + math.log(2 / 3) + math.log(1 / 2)
                         + math.log(0.1 / 1)) / 4)
    assert sentence_bleu(hyp, [ref]) == pytest.approx(expected)
    # brevity penalty against the closest reference length
    short = sentence_bleu([1, 2, 3, 4], [[1, 2, 3, 4, 5, 6]])
    assert short == pytest.approx(math.exp(1 - 6 / 4))


def test_self_bleu_is_one_for_copies_and_low_for_disjoint_texts():
    assert self_bleu([[1, 2, 3, 4, 5]] * 3) == pytest.approx(1.0)
    # nothing matches: every precision is epsilon / count, 0.1 * (1/4 * 1/3 * 1/2 * 1)^(1/4)
    assert self_bleu([[1, 2, 3, 4], [5, 6, 7, 8]]) == pytest.approx(0.1 * (1 / 24) ** 0.25)
    assert self_bleu([[1, 2, 3, 4]]) == 0.0


def test_generation_stats_keys():
    stats = generation_stats([[[1, 2, 3, 4, 1, 2, 3, 4]], [[5, 6]]], with_self_bleu=True)
    assert set(stats) == {"distinct_1", "distinct_2", "distinct_3", "distinct_4",
                          "repetition_rate", "mean_length", "n_continuations", "n_tokens",
                          "self_bleu"}
    assert stats["n_tokens"] == 10 and stats["mean_length"] == 5


def test_read_prompts():
    assert read_prompts("The for\n\n  \nA class\\nhas") == ["The for", "A class\nhas"]


def test_diversity_rises_with_temperature_over_the_built_in_model():
    spec = GenerationSweepSpec("ngram-pydoc", ["The for statement", "A class"],
                               {"temperature": [0.0, 0.7, 1.5]}, max_tokens=24, samples=6,
                               seed=1, self_bleu=True)
    rows = run_sweep(spec)
    assert [r["temperature"] for r in rows] == [0.0, 0.7, 1.5]
    distinct = [r["distinct_2"] for r in rows]
    assert distinct[0] < distinct[1] < distinct[2]
    bleu = [r["self_bleu"] for r in rows]
    assert bleu[0] == pytest.approx(1.0) and bleu[0] > bleu[1] > bleu[2]
    assert rows[0]["repetition_rate"] >= rows[2]["repetition_rate"]
    assert rows == run_sweep(spec)  # same seed, same cells
