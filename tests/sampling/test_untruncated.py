"""Untruncated rows of large vocabularies (written straight into the result, in the logits'
precision): batch invariance, tiny temperatures and the precision of their sums."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.sampling import process, sample
from service.sampling.plan import SMALL_VOCAB
from tests.sampling.test_properties import SETTINGS

V = SMALL_VOCAB + 904  # above SMALL_VOCAB: no truncating stage, so the untruncated writer


@st.composite
def batches(draw):
    """Three rows, one of them maybe with a far-away maximum, in one of the three dtypes."""
    dtype = draw(st.sampled_from([np.float16, np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rows = rng.normal(0, draw(st.floats(0.5, 8)), (3, V))
    top = {np.float16: 6e4, np.float32: 1e38, np.float64: 1e300}[dtype]
    for row in range(3):
        kind = draw(st.sampled_from(["plain", "high", "low", "masked", "offset"]))
        if kind == "high":
            rows[row, draw(st.integers(0, V - 1))] = draw(st.sampled_from([70.0, 1e3, top]))
        elif kind == "low":
            rows[row] -= draw(st.sampled_from([25.0, 1e3, 3e4]))
        elif kind == "masked":
            rows[row, rng.choice(V, V // 2, replace=False)] = -np.inf
        elif kind == "offset":
            rows[row] += 40.0
    temperature = draw(st.lists(st.sampled_from([1.0, 0.8, 1.7, 0.05]), min_size=3, max_size=3))
    return rows.astype(dtype), temperature


@SETTINGS
@given(batches())
def test_each_row_gives_the_same_bits_alone_or_batched(case):
    logits, temperature = case
    batch = sample(logits, temperature=temperature, n=50, seed=[1, 2, 3], return_probs=True)
    for row in range(3):
        alone = sample(logits[row], temperature=temperature[row], n=50, seed=row + 1,
                       return_probs=True)
        np.testing.assert_array_equal(alone.probs[0], batch.probs[row])
        np.testing.assert_array_equal(alone.tokens[0], batch.tokens[row])
        assert alone.entropy[0] == batch.entropy[row]
        assert alone.kept[0] == batch.kept[row]


@pytest.mark.parametrize("dtype, temperature", [
    (np.float16, 1e-5),     # 1 / T overflows float16
    (np.float32, 1e-39),    # ... float32
    (np.float64, 1e-310),   # ... and float64
])
def test_a_temperature_whose_inverse_overflows_gives_a_one_hot_never_nan(dtype, temperature):
    logits = np.zeros(V, dtype=dtype)
    logits[3] = 1.0
    logits[10] = -np.inf
    # No floating-point warning on the way either: pytest runs with filterwarnings = error.
    result = sample(logits, temperature=temperature, n=4, seed=0, return_probs=True)
    expected = np.zeros(V, dtype=np.float32)
    expected[3] = 1.0
    np.testing.assert_array_equal(result.probs[0], expected)
    assert result.tokens.tolist() == [[3] * 4]
    assert result.logprobs.tolist() == [[0.0] * 4]
    assert result.entropy.tolist() == [0.0]
    assert result.kept.tolist() == [V - 1]  # underflowed tokens stay kept; the masked one not


def test_a_flat_float32_row_sums_exactly():
    vocab = 131_072
    result = sample(np.full(vocab, -19.0, dtype=np.float32), seed=0, return_probs=True)
    assert result.entropy[0] == pytest.approx(np.log(vocab), abs=1e-12)
    assert result.probs.astype(np.float64).sum() == pytest.approx(1.0, abs=1e-7)


@pytest.mark.parametrize("shift", [0.0, 40.0, -15.0])
def test_float32_entropy_is_within_1e_5_of_the_float64_whole_row_computation(shift):
    # The traced call works on whole rows in float64: the reference for the same logits.
    rng = np.random.default_rng(5)
    logits = (rng.normal(0, 4, (2, 20_000)) + shift).astype(np.float32)
    fast = process(logits, seed=[1, 2])
    exact = process(logits, seed=[1, 2], trace=True)
    np.testing.assert_allclose(fast.entropy, exact.entropy, rtol=0, atol=1e-5)
