"""Preset "hf" against the real transformers logits processors, built as generate() builds them."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch  # the [hf] extra, installed by `make install`
import transformers
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from transformers import (
    MinPLogitsWarper,
    RepetitionPenaltyLogitsProcessor,
    SequenceBiasLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
    TypicalLogitsWarper,
)

from service.sampling import PRESETS, process
from tests.sampling import reference as ref

pytestmark = pytest.mark.slow  # importing torch and transformers takes seconds

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

EPS32 = float(np.finfo(np.float32).eps)
TINY32 = float(np.finfo(np.float32).tiny)
# Our probabilities are float64 results rounded once to float32 (2**-24 relative), plus
# float64 rounding far below that.
RTOL64 = 2.0**-23
# Our top-p boundary rule (docs/sampling.md, "Float precision at the top-p boundary"): a
# prefix within 1e-9 of top_p reaches it. Prefixes this close are where float64 rounding and
# that rule may decide differently; the hypothesis test stays away from them.
TOP_P_GUARD = 1e-8

STAGE_OF = {  # transformers' processor class -> our stage name
    SequenceBiasLogitsProcessor: "logit_bias",
    RepetitionPenaltyLogitsProcessor: "penalties",
    TemperatureLogitsWarper: "temperature",
    TopKLogitsWarper: "top_k",
    TopPLogitsWarper: "top_p",
    MinPLogitsWarper: "min_p",
    TypicalLogitsWarper: "typical_p",
}


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    # Two threads on two shared cores run these small tensor ops about twice as slowly.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def model():
    """A tiny GPT-2: only its generate() machinery (config defaults, processor list) is used."""
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_layer=1, n_head=1, n_embd=4, n_positions=8,
                                     vocab_size=8, bos_token_id=0, eos_token_id=0)
    return transformers.GPT2LMHeadModel(config)


def generate_kwargs(params: dict) -> dict:
    """Our parameters as generate() keyword arguments; greedy (T = 0) is do_sample=False."""
    greedy = params.get("temperature") == 0
    kwargs: dict = {"do_sample": not greedy}
    if not greedy:
        # generate() fills an unset top_k with 50; our off value is 0, so always pass it.
        kwargs["top_k"] = int(params.get("top_k", 0))
        for name in ("temperature", "top_p", "min_p", "typical_p"):
            if name in params:
                kwargs[name] = float(params[name])
    if "repetition_penalty" in params:
        kwargs["repetition_penalty"] = float(params["repetition_penalty"])
    if params.get("logit_bias"):
        kwargs["sequence_bias"] = [[[int(t)], float(b)] for t, b in params["logit_bias"].items()]
    return kwargs


def hf_processors(model, params: dict, context, batch: int):
    """The processor list generate() would use, and the input ids it would pass."""
    config, _ = model._prepare_generation_config(None, **generate_kwargs(params))
    ids = torch.tensor([list(context)] * batch, dtype=torch.long)
    processors = model._get_logits_processor(
        config, input_ids_seq_length=ids.shape[1], encoder_input_ids=ids,
        logits_processor=None, device="cpu",
        model_kwargs={"attention_mask": torch.ones_like(ids)})
    return processors, ids


class HFResult:
    """transformers' processed scores for a batch, with what its top-p stage saw and did."""

    def __init__(self, model, x: np.ndarray, params: dict, context, dtype):
        processors, ids = hf_processors(model, params, context, len(x))
        scores = torch.from_numpy(np.array(x, dtype=dtype))
        self.top_p_input = None
        self.split_ties = np.zeros(len(x), dtype=bool)
        for processor in processors:
            before = scores
            scores = processor(ids, scores.clone())  # `before` must survive the processor
            if isinstance(processor, TopPLogitsWarper):
                scores = self._keep_ties(before, scores)
        self.scores = scores.numpy()
        self.greedy = params.get("temperature") == 0
        # generate(): softmax and multinomial when sampling, argmax of the scores otherwise.
        if self.greedy:
            self.probs = np.zeros(self.scores.shape)
            self.probs[np.arange(len(x)), torch.argmax(scores, dim=-1).numpy()] = 1.0
        else:
            self.probs = torch.softmax(scores, dim=-1).numpy()

    def _keep_ties(self, before: torch.Tensor, after: torch.Tensor) -> torch.Tensor:
        """Put back tokens tied with top-p's last kept token, recording the rows it changed."""
        # transformers' top-p sorts with torch.sort, which is not stable: at the boundary it
        # keeps as many of a group of tied tokens as the mass needs, an arbitrary subset of
        # them. We keep the whole group (docs/sampling.md, "Ties").
        self.top_p_input = before.double().numpy()
        kept = torch.isfinite(after)
        last = torch.where(kept, before, torch.inf).amin(dim=-1, keepdim=True)
        tied = (before == last) & ~kept
        self.split_ties |= tied.any(dim=-1).numpy()
        return torch.where(tied, before, after)

    def kept(self, row: int) -> np.ndarray:
        if self.greedy:
            return np.flatnonzero(self.probs[row])
        return np.flatnonzero(np.isfinite(self.scores[row]))


def top_p_margin(entering: np.ndarray, top_p: float) -> float:
    """Distance of top_p from the mass of each sorted prefix that ends a group of tied values."""
    x = np.sort(entering[np.isfinite(entering)])[::-1]
    p = np.exp(x - x[0])
    cumulative = np.cumsum(p / p.sum())
    ends = np.append(x[1:] != x[:-1], True)
    return float(np.min(np.abs(cumulative[ends] - top_p)))


def float32_rtol(x: np.ndarray, params: dict) -> float:
    """Relative error bound of a float32 computation of the processed probabilities."""
    # Every float32 operation (bias, penalty, 1/T, the shift by the maximum) rounds to within
    # EPS32 / 2 of a value no larger than m, the largest magnitude the scores reach: each logit
    # difference is off by a few EPS32 * m, each probability by that relatively; exp, the
    # normaliser and the final rounding to float32 add a few EPS32.
    finite = np.abs(x[np.isfinite(x)].astype(np.float64))
    bias = max((abs(b) for b in (params.get("logit_bias") or {}).values()), default=0.0)
    r = params.get("repetition_penalty", 1.0)
    t = params.get("temperature", 1.0) or 1.0
    m = (finite.max(initial=0.0) + bias) * max(r, 1 / r) / t
    return EPS32 * (8 * m + 32)


def check_parity(model, x: np.ndarray, params: dict, context=(0,)) -> dict:
    """Assert that process() matches transformers on every row; returns what was seen."""
    # The chain run in float64 is transformers' semantics without float32 rounding: kept sets
    # must match it exactly. generate() runs it in float32; where that run keeps another set,
    # float32 rounding decided a boundary (counted; ours must still match float64).
    x = np.atleast_2d(x)
    ours = process(x, preset="hf", context=list(context), **params)
    exact = HFResult(model, x, params, context, np.float64)
    fp32 = HFResult(model, x, params, context, np.float32)
    rtol = RTOL64 if x.dtype == np.float64 else float32_rtol(x, params)
    rtol32 = float32_rtol(x, params)
    seen = {"rounding": 0, "split_ties": int(exact.split_ties.sum())}
    for row in range(len(x)):
        where = f"row {row} {params}"
        ids, q = ours.row(row)
        np.testing.assert_array_equal(ids, exact.kept(row), err_msg=where)
        np.testing.assert_allclose(q, exact.probs[row, ids], rtol=rtol, atol=TINY32,
                                   err_msg=where)
        p = exact.probs[row, ids]
        nats = -float(np.sum(p * np.log(np.where(p > 0, p, 1.0))))
        assert ours.entropy[row] == pytest.approx(nats, abs=rtol * (nats + 1) + 1e-12), where
        if not np.array_equal(fp32.kept(row), ids):
            seen["rounding"] += 1
            continue
        np.testing.assert_allclose(q, fp32.probs[row, ids], rtol=rtol32, atol=TINY32,
                                   err_msg=f"{where} (float32 chain)")
    return seen | {"exact": exact}


def test_generate_applies_our_hf_stages_in_our_order(model):
    """Every knob set at once: generate()'s processor list is preset "hf"'s order."""
    params = {"temperature": 0.7, "top_k": 40, "top_p": 0.9, "min_p": 0.05, "typical_p": 0.9,
              "repetition_penalty": 1.2, "logit_bias": {1: 2.0}}
    processors, _ = hf_processors(model, params, context=[1, 2, 3], batch=1)
    assert [STAGE_OF[type(p)] for p in processors] == list(PRESETS["hf"])
    greedy, _ = hf_processors(model, params | {"temperature": 0.0}, context=[1], batch=1)
    assert [STAGE_OF[type(p)] for p in greedy] == ["logit_bias", "penalties"]


def families(vocab: int, seed: int) -> np.ndarray:
    """Seeded rows: Zipf, Gaussian, peaked, masked, quantised ties, bfloat16, near one-hot."""
    rng = np.random.default_rng(seed)
    tied = np.round(rng.normal(0.0, 2.0, size=vocab) * 2.0) / 2.0
    # A bf16 model's logits, cast to float32 as generate() does: few distinct values.
    bf16 = torch.from_numpy(rng.normal(0.0, 3.0, size=vocab)).to(torch.bfloat16).double()
    one_hot = rng.normal(0.0, 1.0, size=vocab)
    one_hot[rng.integers(vocab)] = 40.0
    return np.stack([ref.zipf_logits(vocab, 1.1, rng), ref.gaussian_logits(vocab, rng),
                     ref.peaked_logits(vocab, rng), ref.masked_logits(vocab, rng), tied,
                     bf16.numpy(), one_hot])


BIAS = {3: 5.0, 7: -100.0, 11: 2.5}  # float32 values: transformers stores biases as float32
KNOBS = [
    {"temperature": 0.7},
    {"temperature": 1.8},
    {"temperature": 0.0},
    {"top_k": 1},
    {"top_k": 40},
    {"top_p": 0.9},
    {"top_p": 1e-3},  # min_tokens_to_keep = 1: the top token (and its ties) stays
    {"min_p": 1.0},
    {"typical_p": 1e-3},
    {"temperature": 1.3, "top_p": 0.5},
    {"min_p": 0.05},
    {"temperature": 1.5, "min_p": 0.2},  # min_p on the post-temperature distribution
    {"typical_p": 0.9},
    {"temperature": 0.8, "typical_p": 0.2},
    {"repetition_penalty": 1.3},
    {"repetition_penalty": 0.7},  # < 1 rewards repetition
    {"logit_bias": BIAS},
    {"temperature": 0.8, "top_k": 50, "top_p": 0.95},
    {"temperature": 0.7, "top_k": 40, "top_p": 0.9, "min_p": 0.05, "typical_p": 0.95,
     "repetition_penalty": 1.1, "logit_bias": BIAS},
    {"temperature": 0.0, "repetition_penalty": 1.5, "logit_bias": BIAS},
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("vocab", [1000, 32_000])  # whole rows; candidate windows
def test_seeded_families_match_transformers(model, vocab, dtype):
    """Each knob and realistic combinations over the seeded families, batched."""
    x = families(vocab, seed=vocab).astype(dtype)
    rng = np.random.default_rng(1)
    top = np.argsort(-x, axis=1)[:, :3].ravel()  # penalise tokens that matter
    context = [*rng.integers(0, vocab, 200).tolist(), *top.tolist()]
    split = 0
    for params in KNOBS:
        seen = check_parity(model, x, params, context)
        assert seen["rounding"] == 0, f"{params}: float32 rounding decided a boundary"
        split += seen["split_ties"]
    # Ties at the top-p boundary are common in quantised and bf16 rows: the rule matters.
    assert split > 0


@st.composite
def cases(draw):
    b = draw(st.integers(1, 3))
    v = draw(st.integers(1, 300))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    family = draw(st.sampled_from(["gaussian", "zipf", "ties", "peaked"]))
    scale = draw(st.sampled_from([0.0, 0.5, 2.0, 8.0]))
    if family == "zipf":
        x = np.stack([ref.zipf_logits(v, 0.5 + scale / 4, rng) for _ in range(b)])
    else:
        x = rng.normal(0.0, 1.0, size=(b, v)) * scale
        if family == "ties":
            x = np.round(x)
        if family == "peaked":
            x[np.arange(b), rng.integers(0, v, size=b)] += 10.0
    mask = rng.random((b, v)) < draw(st.sampled_from([0.0, 0.3, 0.9]))
    mask[np.arange(b), rng.integers(0, v, size=b)] = False  # every row keeps a finite token
    x[mask] = -np.inf
    knobs = {
        "temperature": st.one_of(st.just(0.0), st.floats(0.05, 4.0)),
        "top_k": st.integers(0, v + 2),
        "top_p": st.floats(1e-3, 1.0),
        "min_p": st.floats(0.0, 1.0),
        "typical_p": st.floats(1e-3, 1.0),
    }
    params = {name: draw(value) for name, value in knobs.items() if draw(st.booleans())}
    context = [0]
    if draw(st.booleans()):
        context = draw(st.lists(st.integers(0, v - 1), min_size=1, max_size=80))
        params["repetition_penalty"] = draw(st.floats(0.2, 3.0))
    if draw(st.booleans()):
        # Float32 values: transformers keeps its sequence biases in float32.
        biases = st.floats(-100, 100, width=32)
        params["logit_bias"] = draw(st.dictionaries(st.integers(0, v - 1), biases, max_size=5))
    return x.astype(dtype), params, context


@SETTINGS
@given(cases())
def test_matches_transformers_everywhere(model, case):
    x, params, context = case
    top_p = params.get("top_p", 1.0)
    if top_p < 1 and params.get("temperature") != 0:
        exact = HFResult(model, x, params, context, np.float64)
        rows = exact.top_p_input
        assume(all(top_p_margin(row, top_p) > TOP_P_GUARD for row in rows))
    check_parity(model, x, params, context)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_top_p_agrees_on_both_sides_of_an_exact_boundary(model, dtype):
    """[0.5, 0.3, 0.2]: the first two tokens hold exactly 0.8 of the mass."""
    x = np.log([0.5, 0.3, 0.2]).astype(dtype)
    for top_p, kept in ((0.8 - 1e-6, 2), (0.8 + 1e-6, 3), (0.5 - 1e-6, 1), (0.5 + 1e-6, 2)):
        check_parity(model, x, {"top_p": top_p})
        assert process(x, preset="hf", top_p=top_p).kept[0] == kept
    # At 0.8 itself rounding decides for transformers (with torch 2.13 its float32 run keeps
    # two tokens, its float64 run three). Ours is the exact-arithmetic answer, where
    # transformers' `cumsum <= 1 - top_p` removes the third token: a prefix within 1e-9 of
    # top_p reaches it (docs/sampling.md, "Float precision at the top-p boundary").
    assert process(x, preset="hf", top_p=0.8).kept[0] == 2


def test_a_tie_at_the_top_p_boundary_is_kept_whole(model):
    """transformers keeps as many of the tied tokens as the mass needs; we keep all of them."""
    x = np.array([2.0, 1.0, 1.0, 0.5, 0.0])
    processors, ids = hf_processors(model, {"top_p": 0.6}, [0], 1)
    scores = processors(ids, torch.from_numpy(x[None].copy()))[0].numpy()
    theirs = np.flatnonzero(np.isfinite(scores))
    assert len(theirs) == 2 and theirs[0] == 0 and theirs[1] in (1, 2)
    np.testing.assert_array_equal(process(x, preset="hf", top_p=0.6).row(0)[0], [0, 1, 2])
    # The tie-keeping comparison reproduces our set from theirs.
    seen = check_parity(model, x, {"top_p": 0.6})
    assert seen["split_ties"] == 1


def test_torch_sort_orders_ties_arbitrarily():
    """Why no id rule can reproduce transformers at a tie: its sort is not stable."""
    values = torch.from_numpy(np.round(np.random.default_rng(0).normal(size=1000) * 2))
    unstable = torch.sort(values, descending=False).indices
    assert not torch.equal(unstable, torch.sort(values, stable=True).indices)


def test_greedy_is_transformers_argmax_after_bias_and_penalty(model):
    """T = 0 is do_sample=False: argmax (first among ties) after bias and repetition penalty."""
    x = np.array([[1.0, 3.0, 3.0, 2.0, -np.inf], [1.0, 3.0, 2.5, 2.0, 0.0],
                  [-1.0, -3.0, -0.5, -2.0, -np.inf]])
    for params, context in (({}, [0]), ({"repetition_penalty": 2.0}, [1, 2]),
                            ({"repetition_penalty": 2.0}, [2]),
                            ({"logit_bias": {0: 5.0}, "top_p": 0.5}, [0])):
        seen = check_parity(model, x, {"temperature": 0.0} | params, context)
        assert seen["rounding"] == 0
        assert (process(x, preset="hf", temperature=0.0, context=context, **params).kept
                == 1).all()


def test_repetition_penalty_divides_positive_and_multiplies_negative_logits(model):
    """Penalised once per token however often it repeats; 0 and -inf stay where they are."""
    x = np.array([2.0, -2.0, 0.0, -np.inf, 1.0])
    context = [0, 0, 0, 1, 2, 3]
    for penalty in (1.5, 0.5):
        seen = check_parity(model, x, {"repetition_penalty": penalty}, context)
        q = process(x, preset="hf", repetition_penalty=penalty, context=context).row(0)[1]
        logits = np.array([2.0 / penalty, -2.0 * penalty, 0.0, 1.0])
        np.testing.assert_allclose(q, np.exp(logits) / np.exp(logits).sum(), rtol=RTOL64)
        assert seen["rounding"] == 0 and math.isinf(seen["exact"].scores[0, 3])
