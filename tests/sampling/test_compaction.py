"""Compacted whole rows: the same bits as rows kept at full width, alone or batched."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.sampling import process, sample
from service.sampling.errors import SamplingError
from service.sampling.state import NEG_INF, SELECT_STRIDE, State, kth_largest_of_row, spread_sums
from tests.sampling import reference as ref
from tests.sampling.test_properties import SETTINGS, cases

V = 3000  # below plan.SMALL_VOCAB: every row is worked whole

# Each case truncates hard first (so rows are compacted, batched ones too), then runs a stage
# whose result depends on sums over the row or on token order.
CASES = [
    {"temperature": 0.8, "top_k": 40, "top_p": 0.9},
    {"preset": "hf", "top_k": 50, "typical_p": 0.7, "temperature": 1.2},
    {"preset": "llama.cpp", "top_k": 60, "top_n_sigma": 1.0, "xtc_threshold": 0.05,
     "xtc_probability": 1.0},
    {"preset": "llama.cpp", "top_k": 30, "typical_p": 0.8, "min_p": 0.02},
    {"min_p": 0.2, "temperature": 0.0},
    {"top_p": 0.5, "logit_bias": {0: 30.0, 7: -5.0}, "repetition_penalty": 1.3,
     "context": [0, 1, 2, 2, 9]},
]


def logits(batch: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = np.stack([ref.gaussian_logits(V, rng, scale=2.0 + i) for i in range(batch)])
    rows[1 % batch] = ref.masked_logits(V, rng)
    return rows


def fields(result) -> dict:
    d = result.to_dict()
    return {key: d[key] for key in ("tokens", "logprobs", "kept", "entropy", "probs")}


@pytest.mark.parametrize("params", CASES)
@pytest.mark.parametrize("batch", [1, 4])
def test_compaction_changes_no_bit_of_any_result(params, batch, monkeypatch):
    x = logits(batch)
    seeds = list(range(batch))
    compacted = fields(sample(x, n=40, seed=seeds, return_probs=True, **params))
    monkeypatch.setattr(State, "compact", lambda self, last=False: None)
    whole = fields(sample(x, n=40, seed=seeds, return_probs=True, **params))
    assert compacted == whole


@pytest.mark.parametrize("params", CASES)
def test_a_compacted_row_gives_the_same_bits_alone_or_in_a_padded_batch(params):
    x = logits(4, seed=1)
    seeds = [11, 12, 13, 14]
    batch = fields(sample(x, n=40, seed=seeds, return_probs=True, **params))
    for b in range(4):
        alone = fields(sample(x[b], n=40, seed=seeds[b], return_probs=True, **params))
        for key, value in alone.items():
            assert value[0] == batch[key][b], (key, b)


def test_batches_are_compacted_with_padding_that_no_sum_reads():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 64))
    x[x < 1.2] = NEG_INF  # rows keep different numbers of tokens, all under a quarter
    x[0, :3] = NEG_INF
    state = State.dense(np.arange(3), x.copy())
    state._removed = True
    state.compact()
    kept = [np.flatnonzero(row > NEG_INF) for row in x]
    assert state.compacted and state.x.shape == (3, max(map(len, kept)))
    for row, ids in enumerate(kept):
        np.testing.assert_array_equal(state.ids[row, :len(ids)], ids)
        np.testing.assert_array_equal(state.x[row, :len(ids)], x[row, ids])
        assert (state.ids[row, len(ids):] == 64).all()
        assert (state.x[row, len(ids):] == NEG_INF).all()
    weights = np.exp(state.x)
    whole = np.exp(x)
    # Bit for bit the pairwise sums of the full-width rows, padding and all.
    assert spread_sums(weights, state.ids, 64).tolist() == whole.sum(axis=1).tolist()


def test_a_row_that_keeps_most_tokens_is_compacted_alone_but_not_in_a_batch():
    x = np.random.default_rng(3).normal(size=(2, 100))
    x[:, :40] = NEG_INF
    single = State.dense(np.arange(1), x[:1].copy())
    single._removed = True
    single.compact()
    assert single.compacted and single.x.shape == (1, 60)
    batch = State.dense(np.arange(2), x.copy())
    batch._removed = True
    batch.compact()
    assert not batch.compacted and batch.x.shape == (2, 100)
    np.testing.assert_array_equal(batch.finite_count(), [60, 60])


@pytest.mark.parametrize("batch", [1, 5])
def test_kth_largest_selects_what_a_full_sort_gives(batch):
    rng = np.random.default_rng(4)
    x = rng.integers(-20, 20, size=(batch, 500)).astype(np.float64)  # many ties
    x[:, ::7] = NEG_INF
    k = rng.integers(1, 400, size=batch)
    active = np.ones(batch, dtype=bool)
    found = State.dense(np.arange(batch), x.copy()).kth_largest(k, active)
    expected = np.sort(x, axis=1)[:, ::-1][np.arange(batch), k - 1]
    np.testing.assert_array_equal(found, expected)


def test_top_k_through_the_selection_matches_the_reference():
    x = logits(3, seed=5)
    for b in range(3):
        q, _ = ref.reference_process(x[b], top_k=25, temperature=0.7)
        result = process(x[b], top_k=25, temperature=0.7)
        np.testing.assert_allclose(result.dense()[0], q, rtol=1e-6, atol=1e-9)


def test_the_sampled_bound_selects_exactly_what_a_sort_gives():
    rng = np.random.default_rng(6)
    bounded = 0
    for trial in range(200):
        vocab = int(rng.integers(200, 5000))
        k = int(rng.integers(1, vocab // (4 * SELECT_STRIDE) + 2))
        row = rng.normal(size=vocab) * rng.uniform(0.5, 8)
        if trial % 3 == 0:
            row = np.round(row)  # heavy ties
        if trial % 4 == 0:
            row[rng.random(vocab) < 0.5] = NEG_INF
        if trial % 5 == 0:  # the largest values side by side: the stride sees few of them
            row = np.sort(row)
        expected = np.sort(row)[::-1][k - 1]
        if expected == NEG_INF:
            continue
        bounded += k * SELECT_STRIDE * 4 <= vocab
        assert kth_largest_of_row(row, k) == expected, (trial, vocab, k)
    assert bounded > 100  # the bounded path, not only the whole-row selection, was exercised


@SETTINGS
@given(cases())
def test_any_case_gives_the_same_bits_compacted_or_not(case):
    # Every shape, dtype, preset, mask, tie and per-row setting of the property tests.
    x, preset, params, n, seeds = case

    def result():
        return sample(x, n=n, seed=seeds, preset=preset, return_probs=True, logprobs=3,
                      **params).to_dict()

    compacted = result()
    with mock.patch.object(State, "compact", lambda self, last=False: None):
        whole = result()
    assert compacted == whole


@st.composite
def extreme_cases(draw):
    """Rows with float64's extremes, masks, and knobs at their edges."""
    b, v = draw(st.integers(1, 5)), draw(st.integers(1, 300))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.normal(0, draw(st.sampled_from([1.0, 100.0, 1e300])), size=(b, v))
    extremes = np.array([-1e308, 1e308, NEG_INF, 0.0, 1e-300, 3e307])
    picked = rng.random((b, v)) < draw(st.sampled_from([0.0, 0.1, 0.5, 0.95]))
    x[picked] = rng.choice(extremes, size=picked.sum())
    preset = draw(st.sampled_from(["vllm", "hf", "llama.cpp"]))
    params = {"preset": preset,
              "temperature": draw(st.sampled_from([0.0, 1e-300, 1e-8, 0.7, 1e300])),
              "top_k": draw(st.integers(0, v + 1)),
              "top_p": draw(st.sampled_from([1e-9, 0.5, 0.999999, 1.0])),
              "min_p": draw(st.sampled_from([0.0, 1e-12, 0.1, 1.0]))}
    if preset != "vllm":
        params["typical_p"] = draw(st.sampled_from([1e-6, 0.5, 1.0]))
    if preset == "llama.cpp":
        params |= {"top_n_sigma": draw(st.sampled_from([0.0, 1e-6, 100.0])),
                   "xtc_threshold": 0.1, "xtc_probability": draw(st.sampled_from([0.0, 1.0]))}
    if draw(st.booleans()):  # penalties large enough to overflow a logit of 1e308
        params |= {"context": rng.integers(0, v, size=10).tolist(),
                   "repetition_penalty": draw(st.sampled_from([0.01, 2.0, 100.0]))}
    return x, params, list(range(b))


@SETTINGS
@given(extreme_cases())
def test_extremes_give_the_same_results_or_errors_compacted_or_not(case):
    x, params, seeds = case

    def result():
        try:
            return sample(x, n=5, seed=seeds, return_probs=True, logprobs=2, **params).to_dict()
        except SamplingError as error:  # a refusal is a result too; anything else fails
            return f"{type(error).__name__}: {error}"

    # No errstate: an overflow warning at these extremes fails the test (filterwarnings).
    compacted = result()
    with mock.patch.object(State, "compact", lambda self, last=False: None):
        whole = result()
    assert repr(compacted) == repr(whole)


@SETTINGS
@given(extreme_cases())
def test_extremes_give_each_row_the_same_results_alone_or_batched(case):
    # One row takes scalar shortcuts (temperature on Python floats, compaction after the last
    # stage) that a batch does not: they must not change a single bit or error.
    x, params, seeds = case

    def result(logits, seed):
        try:
            return sample(logits, n=5, seed=seed, return_probs=True, logprobs=2,
                          **params).to_dict()
        except SamplingError as error:
            return type(error).__name__

    batch = result(x, seeds)
    alone = [result(x[b], seeds[b]) for b in range(len(x))]
    if isinstance(batch, str):
        assert batch in alone  # the batch refused because one of its rows does
        return
    for b, row in enumerate(alone):
        assert not isinstance(row, str), f"row {b} alone: {row}"
        assert repr({key: value[b] for key, value in batch.items()}) == repr(
            {key: value[0] for key, value in row.items()}), f"row {b}"


@SETTINGS
@given(extreme_cases())
def test_extremes_give_a_proper_distribution_or_a_refusal_never_nan(case):
    x, params, seeds = case
    try:
        result = sample(x, n=5, seed=seeds, return_probs=True, logprobs=2, **params)
    except SamplingError:
        return
    probs = np.asarray(result.probs, dtype=np.float64)
    assert np.isfinite(result.logprobs).all() and (result.logprobs <= 0).all()
    assert np.isfinite(result.entropy).all() and (result.entropy >= 0).all()
    assert np.isfinite(probs).all() and (probs >= 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
