"""Edge cases found in review: extreme magnitudes and ties that rounding could create."""

import numpy as np
import pytest

from service.sampling import AllMaskedRowError, process, sample


@pytest.mark.parametrize("dtype, big", [(np.float64, 1e308), (np.float32, 1e38)])
def test_huge_logits_with_tiny_temperature_give_a_one_hot_without_warnings(dtype, big):
    logits = np.array([big, -big, 0.0], dtype=dtype)
    result = sample(logits, temperature=1e-10, n=5, seed=0, return_probs=True)
    assert result.probs.tolist() == [[1.0, 0.0, 0.0]]
    assert result.tokens.tolist() == [[0] * 5]
    assert result.entropy.tolist() == [0.0]
    assert result.kept.tolist() == [3]  # nothing was truncated, only underflowed


@pytest.mark.parametrize("vocab", [4, 6000])  # the whole-row path and the window path
def test_logits_closer_than_the_maximum_s_rounding_stay_distinct(vocab):
    # Subtracting the maximum (1.0) would round 2.5e-73 to 0 and tie it with token 1; exact
    # arithmetic keeps tokens 0, 2 and 3 (cumulative mass 0.843 >= 0.8) and drops token 1.
    logits = np.full(vocab, -50.0)
    logits[:4] = [1.0, 0.0, 0.5, 2.5e-73]
    result = sample(logits, top_p=0.8, seed=0, return_probs=True)
    assert result.kept.tolist() == [3]
    assert np.flatnonzero(result.probs[0]).tolist() == [0, 2, 3]


def test_rows_of_many_blocks_draw_the_same_whether_drawn_together_or_alone():
    # Rows keeping > 1024 tokens are drawn in one vectorized pass when the draws are few and
    # row by row when they are many; the first m draws must not depend on which.
    rng = np.random.default_rng(3)
    logits = (rng.standard_normal((2, 5000)) * 2).astype(np.float32)
    logits[1, ::3] = -np.inf
    many = sample(logits, temperature=1.3, n=3000, seed=[5, 6])
    few = sample(logits, temperature=1.3, n=5, seed=[5, 6])
    alone = sample(logits[1], temperature=1.3, n=5, seed=6)
    assert many.kept.min() > 1024
    np.testing.assert_array_equal(few.tokens, many.tokens[:, :5])
    np.testing.assert_array_equal(alone.tokens[0], few.tokens[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("extra", [{}, {"logit_bias": {3: 2.5, 7: -100.0}}])
@pytest.mark.parametrize("no_op", [{"temperature": 1.0}, {"top_k": 0, "top_p": 1.0},
                                   {"min_p": 0.0, "preset": "hf", "typical_p": 1.0}])
def test_rows_no_stage_can_change_match_the_staged_path_exactly(dtype, extra, no_op):
    # Without shaping parameters a small row skips the stages (q = softmax of the adjusted
    # logits); giving parameters at their "off" values runs the stages as no-ops, and the two
    # must agree bit for bit: a row's result may not depend on what its batch's other rows set.
    rng = np.random.default_rng(11)
    logits = (rng.standard_normal((3, 300)) * 4).astype(dtype)
    logits[1, ::5] = -np.inf
    logits[2, :2] = [1e38 if dtype == np.float32 else 1e308, -1e38 if dtype == np.float32
                     else -1e308]  # a spread whose shift overflows: the guarded branch
    untouched = process(logits, seed=4, **extra, preset=no_op.get("preset", "vllm"))
    staged = process(logits, seed=4, **extra, **no_op)
    for name in ("indptr", "token_ids", "probs", "entropy"):
        np.testing.assert_array_equal(getattr(untouched, name), getattr(staged, name))
    np.testing.assert_array_equal(sample(logits, n=50, seed=4, **extra).tokens,
                                  sample(logits, n=50, seed=4, **extra, **no_op).tokens)
    assert untouched.kept.tolist() == [300, 240, 300]


def test_an_untouched_row_alone_matches_it_in_a_batch_whose_other_rows_are_shaped():
    rng = np.random.default_rng(12)
    logits = rng.standard_normal((3, 500)) * 3
    batch = sample(logits, temperature=[1.0, 0.7, 1.0], top_p=[1.0, 0.9, 1.0], n=20,
                   seed=[1, 2, 3], return_probs=True)
    for row in (0, 2):
        alone = sample(logits[row], n=20, seed=row + 1, return_probs=True)
        np.testing.assert_array_equal(alone.probs[0], batch.probs[row])
        np.testing.assert_array_equal(alone.tokens[0], batch.tokens[row])
        assert alone.entropy[0] == batch.entropy[row]


@pytest.mark.parametrize("vocab", [3, 6000])
def test_penalty_last_n_zero_counts_no_context(vocab):
    logits = np.linspace(-2.0, 2.0, vocab)
    plain = sample(logits, n=20, seed=0, return_probs=True)
    counted_nothing = sample(logits, n=20, seed=0, return_probs=True, context=[1, 2],
                             penalty_last_n=0, repetition_penalty=1.3, presence_penalty=0.5)
    np.testing.assert_array_equal(plain.probs, counted_nothing.probs)
    np.testing.assert_array_equal(plain.tokens, counted_nothing.tokens)
    # Per row, beside a row that counts its context and with a logit_bias that still applies.
    both = dict(repetition_penalty=1.3, logit_bias={0: 1.0}, return_probs=True)
    batch = sample(np.stack([logits, logits]), context=[[1, 2], [1, 2]], penalty_last_n=[0, 3],
                   seed=[1, 2], **both)
    for row, alone in enumerate([sample(logits, seed=1, **both),
                                 sample(logits, seed=2, context=[1, 2], **both)]):
        np.testing.assert_array_equal(alone.probs[0], batch.probs[row])


# Rows beyond float64's range. pytest turns any overflow warning into a failure
# (filterwarnings = error), so each of these also asserts that none is raised.
WIDE_ROW = [1.7e308, -1.7e308, 0.0, 3.0]  # max - min is past the float64 range
STAGE_PARAMS = [
    {"top_p": 0.9}, {"min_p": 0.1}, {"top_k": 2}, {"top_p": 0.9, "temperature": 1.0000001},
    {"preset": "hf", "typical_p": 0.5}, {"preset": "llama.cpp", "top_n_sigma": 1.0},
    {"preset": "llama.cpp", "xtc_probability": 1.0, "xtc_threshold": 0.0},
]


@pytest.mark.parametrize("vocab", [4, 6000])
@pytest.mark.parametrize("params", STAGE_PARAMS)
def test_a_row_wider_than_the_float64_range_gives_the_same_result_traced_or_not(params, vocab):
    logits = np.full(vocab, -1e3)
    logits[:4] = WIDE_ROW
    fast = process(logits, seed=0, **params)
    traced = process(logits, seed=0, trace=True, **params)
    assert fast.kept.tolist() == traced.kept.tolist() == [2 if "top_k" in params else 1]
    assert fast.entropy.tolist() == traced.entropy.tolist() == [0.0]


@pytest.mark.parametrize("temperature, trace", [(0.9, False), (1.0, True)])
def test_huge_logits_are_not_shifted_unless_max_over_t_overflows(temperature, trace):
    # 1e300 / 0.9 is finite: x / T keeps 3, 2 and 1 distinct, so top_k keeps exactly two.
    # Traced, the temperature stage runs at T = 1 too, and must not shift either.
    logits = np.array([1e300, 3.0, 2.0, 1.0]) if not trace else np.array([1e308, 3.0, 2.0])
    result = process(logits, top_k=2, temperature=temperature, seed=0, trace=trace)
    assert result.kept.tolist() == [2]


@pytest.mark.parametrize("vocab", [3, 5000])
def test_top_n_sigma_over_logits_whose_squares_overflow(vocab):
    logits = np.zeros(vocab)
    logits[:2] = [1e308, -1e308]
    std = 1e308 * np.sqrt(2 / vocab)  # the mean is 0
    assert std < 1e308 - 1e-300  # so that n = 1 keeps only the top token
    assert sample(logits, preset="llama.cpp", top_n_sigma=1.0, seed=0).kept.tolist() == [1]
    # n * std past the range: the cut is below every token.
    assert sample(logits, preset="llama.cpp", top_n_sigma=100.0, seed=0).kept.tolist() == [vocab]


@pytest.mark.parametrize("temperature", [1e-308, 1e-310])
def test_a_flat_nucleus_with_a_tiny_temperature_has_entropy_0_not_nan(temperature):
    logits = np.random.default_rng(0).uniform(-10, 0, 10_000)
    params = dict(preset="llama.cpp", top_p=0.99, temperature=temperature, seed=0)
    fast, traced = process(logits, **params), process(logits, trace=True, **params)
    assert fast.entropy.tolist() == traced.entropy.tolist() == [0.0]
    assert fast.kept.tolist() == traced.kept.tolist()


def test_an_almost_fully_masked_large_row_with_top_p():
    logits = np.full(5000, -np.inf)
    logits[[7, 11]] = [0.0, -1.0]
    result = sample(logits, top_p=0.9, seed=0, return_probs=True)
    assert result.kept.tolist() == [2]
    assert result.probs[0, 7] > result.probs[0, 11] > 0


def test_a_window_whose_tail_bound_over_t_overflows():
    # |x| ~ 1e300 and T = 1e-8: the window's tail bound / T is past the range.
    logits = np.random.default_rng(3).normal(0, 1e300, 6000)
    result = process(logits, preset="hf", temperature=1e-8, top_k=97, seed=0)
    assert result.kept.tolist() == [97] and result.entropy.tolist() == [0.0]


def test_a_row_a_penalty_empties_is_refused_without_a_warning_on_the_way():
    with pytest.raises(AllMaskedRowError, match="row 0"):
        sample([-1e308], repetition_penalty=2.0, context=[0], top_p=0.9, seed=0)
