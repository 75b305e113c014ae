"""Invalid input is rejected with the documented error class, field and message."""

from __future__ import annotations

import re

import numpy as np
import pytest

from service.sampling import (
    AllMaskedRowError,
    InvalidLogitsError,
    InvalidParameterError,
    SamplingError,
    sample,
)

V = 50


def logits(b: int = 3) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(b, V))


def names(message: str, *numbers: int) -> bool:
    return all(re.search(rf"(?<!\d){n}(?!\d)", message) for n in numbers)


def test_error_hierarchy():
    for cls in (InvalidLogitsError, AllMaskedRowError, InvalidParameterError):
        assert issubclass(cls, SamplingError)
    assert issubclass(SamplingError, ValueError)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_pos_inf_names_row_and_position(bad):
    x = logits(4)
    x[2, 37] = bad
    x[3, 5] = bad  # a later offender: the first one is reported
    with pytest.raises(InvalidLogitsError) as info:
        sample(x, seed=0)
    assert info.value.field == "logits"
    assert names(str(info.value), 2, 37), str(info.value)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_nan_in_single_row_input(dtype):
    x = logits(1)[0].astype(dtype)
    x[41] = np.nan
    with pytest.raises(InvalidLogitsError) as info:
        sample(x, seed=0)
    assert names(str(info.value), 41), str(info.value)


def test_negative_inf_is_a_mask_not_an_error():
    x = logits(1)
    x[0, :10] = -np.inf
    res = sample(x, n=200, seed=0).to_dict()
    assert min(res["tokens"][0]) >= 10


def test_all_masked_row_names_the_row():
    x = logits(4)
    x[2] = -np.inf
    with pytest.raises(AllMaskedRowError) as info:
        sample(x, seed=0)
    assert names(str(info.value), 2), str(info.value)
    with pytest.raises(AllMaskedRowError):  # greedy does not hide it either
        sample(x, seed=0, temperature=0.0)
    with pytest.raises(AllMaskedRowError):  # a bias cannot unmask a token
        sample(x, seed=0, logit_bias={3: 100.0})


@pytest.mark.parametrize("params", [
    {"temperature": 0.5, "top_k": 1}, {"temperature": 0.5, "top_k": 3, "top_p": 0.9},
    {"min_p": 0.5, "top_p": 0.5}, {"temperature": 0.0}, {"preset": "hf", "typical_p": 0.5},
])
def test_a_row_emptied_by_a_penalty_is_all_masked_on_every_path(params):
    # A repetition penalty can push the only finite logit, -1e308, past the float64 range.
    x = np.full((3, 60), -np.inf)
    x[0, 0] = -1e308
    x[1:] = np.arange(60.0)
    context = [[0], [1], [2]]
    for batch in (x[:1], x):  # alone, and beside rows that keep tokens
        with pytest.raises(AllMaskedRowError) as info:
            sample(batch, seed=0, repetition_penalty=2.0, context=context[:len(batch)],
                   **params)
        assert names(str(info.value), 0), str(info.value)


@pytest.mark.parametrize("params", [{}, {"temperature": 1e-8, "top_p": 0.5}, {"temperature": 0.0},
                                    {"preset": "llama.cpp", "top_n_sigma": 1.0}])
@pytest.mark.parametrize("vocab", [60, 5000])  # whole rows, and candidate windows
def test_a_penalty_that_overflows_a_logit_is_refused_never_nan(params, vocab):
    # 3e307 / 0.01 is past the float64 range: +inf, whose softmax would be NaN.
    x = np.tile(np.linspace(-3.0, 3.0, vocab), (3, 1))
    x[1, [5, 9]] = 3e307
    for batch, row, context in ((x[1:2], 0, [[9, 5]]), (x, 1, [[0], [9, 5], [1]])):
        with pytest.raises(InvalidParameterError) as info:
            sample(batch, seed=0, repetition_penalty=0.01, context=context, **params)
        assert info.value.field == "repetition_penalty"
        assert f"token 5 in row {row} overflow" in str(info.value)
    kept = sample(x, seed=0, repetition_penalty=0.5, context=[[0], [9, 5], [1]], **params)
    assert np.isfinite(kept.logprobs).all() and np.isfinite(kept.entropy).all()


@pytest.mark.parametrize("x", [np.zeros((2, 3, 4)), np.zeros((2, 5), dtype=np.complex128)])
def test_bad_shape_or_dtype(x):
    with pytest.raises(InvalidLogitsError) as info:
        sample(x, seed=0)
    assert info.value.field == "logits"


BAD_PARAMS = [
    ("temperature", {"temperature": -0.1}),
    ("top_p", {"top_p": -0.1}),
    ("top_p", {"top_p": 1.01}),
    ("min_p", {"min_p": 1.5}),
    ("min_p", {"min_p": -0.1}),
    ("top_k", {"top_k": -2}),
    ("repetition_penalty", {"repetition_penalty": 0.0}),
    ("repetition_penalty", {"repetition_penalty": -1.0}),
    ("frequency_penalty", {"frequency_penalty": 2.5}),
    ("presence_penalty", {"presence_penalty": -2.01}),
    ("logit_bias", {"logit_bias": {3: 100.5}}),
    ("logit_bias", {"logit_bias": {3: -101.0}}),
    ("n", {"n": 0}),
    ("n", {"n": 10001}),
    ("context", {"context": [1, 2, V]}),
    ("context", {"context": [1, -1]}),
    ("temperature", {"temperature": [1.0, 0.5]}),
    ("top_k", {"top_k": [1, 2, 3, 4]}),
    ("seed", {"seed": [1, 2]}),
    ("seed", {"seed": -1}),
    ("seed", {"seed": 2**63}),
    ("logit_bias", {"logit_bias": [{}, {}]}),
    ("context", {"context": [[1], [2]]}),
    ("preset", {"preset": "sglang"}),
    ("order", {"order": ["temperature", "top_q"]}),
    ("order", {"order": ["temperature", "top_k", "temperature"]}),
    ("typical_p", {"typical_p": 0.9}),
    ("typical_p", {"typical_p": 0.9, "preset": "vllm"}),
    ("top_n_sigma", {"top_n_sigma": 1.0, "preset": "hf"}),
    ("top_n_sigma", {"top_n_sigma": float("inf"), "preset": "llama.cpp"}),
    ("xtc_probability", {"xtc_probability": 1.5, "preset": "llama.cpp"}),
    ("top_p", {"top_p": 0.9, "order": ["temperature", "top_k"]}),
    ("temperature", {"temperature": "hot"}),
    ("top_k", {"top_k": 2.5}),
    ("n", {"n": 2.5}),
    ("seed", {"seed": "abc"}),
]


@pytest.mark.parametrize(("field", "params"), BAD_PARAMS, ids=[str(p) for _, p in BAD_PARAMS])
def test_out_of_range_parameter(field, params):
    with pytest.raises(InvalidParameterError) as info:
        sample(logits(3), **params)
    assert isinstance(info.value, SamplingError) and isinstance(info.value, ValueError)
    assert info.value.field == field, f"{params}: field {info.value.field!r}"


@pytest.mark.parametrize(
    "params",
    [
        {"temperature": 0.0},
        {"top_p": 1.0, "min_p": 1.0, "top_k": V + 10},
        {"repetition_penalty": 3.0, "frequency_penalty": -2.0, "presence_penalty": 2.0},
        {"logit_bias": {0: 100.0, 1: -100.0}},
        {"context": [0, V - 1]},
        {"n": 10000},
        {"seed": 2**63 - 1},
        {"typical_p": 0.5, "preset": "hf"},
        {"typical_p": 0.5, "order": ["typical_p"]},
    ],
)
def test_boundary_values_are_accepted(params):
    d = sample(logits(3), **params).to_dict()
    assert len(d["tokens"]) == 3


@pytest.mark.parametrize("name, value, text", [
    ("top_k", 2**64, r"top_k must be in \[-2\*\*63, 2\*\*63\)"),
    ("penalty_last_n", 10**400, r"penalty_last_n must be in \[-2\*\*63, 2\*\*63\)"),
    ("penalty_last_n", [3, 2**63], r"row 1"),
    ("top_k", 1e19, r"top_k must be in"),
    ("temperature", 10**400, r"temperature must be a finite number"),
])
def test_integers_beyond_int64_and_floats_beyond_float64_are_refused(name, value, text):
    with pytest.raises(InvalidParameterError, match=text) as info:
        sample(logits(2), **{name: value}, context=[1, 2])
    assert info.value.field == name
