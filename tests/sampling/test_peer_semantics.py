"""Presets `vllm` and `llama.cpp` against the peers' own sampling rules, on hand-computed rows."""

# Every expected value below is derived by hand from the peer's source, read at:
#   vLLM  vllm/v1/sample/sampler.py                      3e342658b2e9c85a30a54d19e64e5ad77b8a26a6
#         vllm/v1/sample/ops/topk_topp_sampler.py        3babc05a035b42bb9d0ae51b83e102c85e3e5626
#         vllm/v1/sample/ops/penalties.py                3ff2de9c96353a55f7e7a818b9d0c63b9f1e7eeb
#         vllm/model_executor/layers/utils.py            00358600ed52e00c3c99b35e54aa916f900c4c15
#         vllm/_custom_ops.py apply_repetition_penalties_torch (index excerpt, commit not shown)
#         vllm/v1/sample/logits_processor/builtin.py     bf17660a2493b9cec475b6ba790a390afd317e8b
#         vllm/sampling_params.py                        00388f6573ccfcffad607b8c9ecdf341a4669ceb
#   llama.cpp src/llama-sampling.cpp                     e19fb5f1a30ce42690ad7093ddbd382ac287c9fd
#         common/sampling.cpp                            3b3f5fed31ab654c4ed858b98b70df1b9855a2aa
#         common/common.h                                de93b991682fa46acabb813641f7f6b884ad5dd0
#         common/common.cpp                              17fce9be15411587700cda558a626e9f53e54a0b
# The peers compute in float32; at an exact boundary (mass == top_p, p == min_p * p_max) their
# outcome can depend on rounding. These tests pin the rule in exact arithmetic, which is what
# docs/sampling.md promises ("Float precision at the top-p boundary").
#
# Where a preset deliberately differs from its peer (ties at the top-p boundary, llama.cpp's
# typical rule and late greedy, vLLM's prompt/output penalty split and clamps), docs/sampling.md
# ("Where the presets differ from their peers") says so; those rules are not pinned here.

import math

import numpy as np
import pytest

from service.sampling import AllMaskedRowError, InvalidParameterError, process

LN = math.log
PRESETS = ["vllm", "llama.cpp"]


def softmax(x) -> np.ndarray:
    """Softmax of hand-derived logits (-inf gives 0)."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max())
    return e / e.sum()


@pytest.fixture(params=[0, 6000], ids=["small_vocab", "large_vocab"])
def run(request):
    """Return a function giving q over the given tokens, run alone or padded to V = 6000 + n."""
    # Padding with masked tokens reaches the large-vocabulary path (V > 4096) as well as the
    # whole-row one: the peers' rules must hold on both, and masked tokens must change nothing.
    pad = request.param

    def go(logits, **params) -> np.ndarray:
        row = np.full(len(logits) + pad, -np.inf)
        row[: len(logits)] = logits
        q = process(row, seed=0, **params).dense()[0].astype(np.float64)
        assert not q[len(logits):].any()
        return q[: len(logits)]

    return go


def assert_q(q, expected):
    """q matches the hand-computed distribution (float32 output) and keeps the same tokens."""
    expected = np.asarray(expected, dtype=np.float64)
    np.testing.assert_allclose(q, expected, rtol=2e-6, atol=1e-7)
    assert np.flatnonzero(q).tolist() == np.flatnonzero(expected).tolist()


# --- Both presets: the rules vLLM and llama.cpp share ------------------------------------------


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("params", [{"top_k": 0}, {"top_k": 3}, {"top_k": 2}, {"top_p": 1.0},
                                    {"min_p": 0.0}])
def test_off_values_leave_the_finite_tokens_untouched(run, preset, params):
    """top_k 0 or >= the finite tokens, top_p 1 and min_p 0 change nothing."""
    # vLLM: top_k outside (0, V) is stored as V (gpu_input_batch), apply_top_k_only then keeps
    # x >= x_(V) = everything; top_p 1 masks cumsum <= 0 only. llama.cpp: top_k_impl returns for
    # k <= 0 and clamps k to the candidates; top_p returns for p >= 1; min_p returns for p <= 0.
    # The third token is masked, so top_k = 2 already covers every finite token.
    logits = [0.0, -1.0, -np.inf]
    assert_q(run(logits, preset=preset, **params), softmax(logits))


@pytest.mark.parametrize("preset", PRESETS)
def test_top_p_one_keeps_a_token_whose_mass_underflows(preset):
    """top_p = 1 is a no-op: a token 800 nats down is still kept (p = 0)."""
    # llama.cpp llama_sampler_top_p_apply: `if (ctx->p >= 1.0f) return;` before any cut.
    row = np.array([0.0, -800.0])
    assert process(row, preset=preset, top_p=1.0).kept.tolist() == [2]
    # Below 1 the prefix [token 0] already holds all the float mass: token 1 goes.
    assert process(row, preset=preset, top_p=0.99).kept.tolist() == [1]


@pytest.mark.parametrize("preset", PRESETS)
def test_top_p_stops_at_the_first_prefix_whose_mass_reaches_top_p(run, preset):
    """A prefix whose mass equals top_p exactly is the nucleus: the next token goes."""
    # llama.cpp top_p: `if (cum_sum >= ctx->p ...) { last_idx = i + 1; break; }`.
    # vLLM apply_top_k_top_p: ascending cumsum, `top_p_mask = probs_sum <= 1 - p`: the ascending
    # sums of tokens 4, 3, 2 are 1/16, 1/8, 1/4 <= 1 - 3/4, so they go.
    # p = 1/2, 1/4 | 1/8, 1/16, 1/16 with top_p = 3/4: keep 2, renormalised to 2/3, 1/3.
    # Reading `>` instead of `>=` would keep token 2 as well.
    logits = [LN(0.5), LN(0.25), LN(0.125), LN(0.0625), LN(0.0625)]
    assert_q(run(logits, preset=preset, top_p=0.75), [2 / 3, 1 / 3, 0, 0, 0])


@pytest.mark.parametrize("preset", PRESETS)
def test_min_p_keeps_a_token_exactly_at_the_threshold(run, preset):
    """p == min_p * p_max is kept (the comparison that removes is strict)."""
    # vLLM MinPLogitsProcessor.apply: invalid = probability_values < adjusted_min_p.
    # llama.cpp min_p: keep `logit >= max_logit + logf(p)`.
    # p = 4/7, 2/7, 1/7 with min_p = 1/2: token 1 sits at 1/2 * 4/7 exactly and stays.
    logits = [0.0, LN(0.5), LN(0.25)]
    assert_q(run(logits, preset=preset, min_p=0.5), [2 / 3, 1 / 3, 0])


@pytest.mark.parametrize("preset", PRESETS)
def test_min_p_one_keeps_every_token_tied_with_the_maximum(run, preset):
    """min_p = 1 keeps all tokens whose probability equals the maximum."""
    # Same comparisons as above with min_p * p_max = p_max: ties with the maximum pass.
    assert_q(run([2.0, 2.0, 1.0], preset=preset, min_p=1.0), [0.5, 0.5, 0])


@pytest.mark.parametrize("preset", PRESETS)
def test_repetition_penalty_divides_positive_and_multiplies_non_positive_logits_once(run, preset):
    """x / r for x > 0, x * r otherwise, once per token however often it repeats."""
    # vLLM apply_repetition_penalties_torch: scaling = where(logits > 0, 1 / penalties,
    # penalties) on tokens in prompt_mask | output_mask (a mask: count does not matter).
    # llama.cpp penalties_apply: `if (logit <= 0) logit *= penalty_repeat; else /=`.
    # Tokens 0 (three times), 1 and 2 repeat, r = 2: 2 -> 1, -2 -> -4, 0 -> 0; token 3 untouched.
    q = run([2.0, -2.0, 0.0, 1.0], preset=preset, context=[0, 0, 0, 1, 2],
            repetition_penalty=2.0)
    assert_q(q, softmax([1.0, -4.0, 0.0, 1.0]))


@pytest.mark.parametrize("preset", PRESETS)
def test_repetition_comes_before_frequency_and_presence(run, preset):
    """x = x / r first, then x -= count * f + presence."""
    # vLLM apply_penalties: repetition custom op, then `logits -= f * output_bin_counts`, then
    # `logits -= pr * output_mask`. llama.cpp penalties_apply: the same, in one loop.
    # Token 0 twice, x = 2, r = 2, f = 0.5, pr = 0.25: 2 / 2 - 2 * 0.5 - 0.25 = -0.25
    # (frequency first would give (2 - 1.25) / 2 = 0.375).
    q = run([2.0, 0.0], preset=preset, context=[0, 0], repetition_penalty=2.0,
            frequency_penalty=0.5, presence_penalty=0.25)
    assert_q(q, softmax([-0.25, 0.0]))


@pytest.mark.parametrize("preset", PRESETS)
def test_logit_bias_comes_before_penalties_and_temperature(run, preset):
    """Bias is added to the raw logit; the penalty and the temperature see the biased value."""
    # vLLM Sampler: non-argmax-invariant logits processors (LogitBiasLogitsProcessor) run in
    # apply_logits_processors before apply_penalties; temperature comes in sample() after.
    # llama.cpp common_sampler_init: the logit-bias sampler is pushed first, temperature last.
    # Token 0: (1 + 3) / r=2 / T=2 = 1; token 1: 1 / T = 0.5. Bias after the penalty: 1.75.
    q = run([1.0, 1.0], preset=preset, logit_bias={0: 3}, context=[0], repetition_penalty=2.0,
            temperature=2.0)
    assert_q(q, softmax([1.0, 0.5]))


@pytest.mark.parametrize("preset", PRESETS)
def test_masked_token_stays_masked_under_bias_and_penalties(run, preset):
    """-inf + bias and -inf * r stay -inf: the token keeps probability 0."""
    # vLLM: logits[slice] += bias and `logits *= scaling`; llama.cpp: `logit += lb.bias` and
    # `logit *= penalty_repeat` (-inf <= 0): IEEE keeps -inf in both.
    q = run([1.0, -np.inf, 0.0], preset=preset, logit_bias={1: 100}, context=[1],
            repetition_penalty=0.5)
    assert_q(q, softmax([1.0, -np.inf, 0.0]))


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("context, token", [(None, 2), ([2], 0)])
def test_temperature_zero_is_the_argmax_after_bias_and_penalties(run, preset, context, token):
    """Greedy picks the argmax of the biased and penalised logits."""
    # vLLM Sampler.forward: apply_logits_processors (bias, penalties) then greedy_sample =
    # argmax. llama.cpp: temp_impl(temp <= 0) keeps the max after the bias and penalty samplers.
    # [2, 1, 0] + {2: 3} = [2, 1, 3] -> token 2; with token 2 in context, r = 2: 3 / 2 = 1.5 -> 0.
    q = run([2.0, 1.0, 0.0], preset=preset, logit_bias={2: 3}, context=context,
            repetition_penalty=2.0, temperature=0.0)
    assert_q(q, np.eye(3)[token])


@pytest.mark.parametrize("preset", PRESETS)
def test_temperature_zero_breaks_ties_by_the_lowest_token_id(run, preset):
    """Among tied maxima greedy picks the first in token-id order."""
    # vLLM greedy_sample: torch argmax returns the first maximal index. llama.cpp temp_impl:
    # a later token replaces the max only if `logit > max_l` (strict), scanning in id order
    # when no earlier sampler has sorted the candidates (none is active here).
    assert_q(run([1.0, 3.0, 3.0, 0.0], preset=preset, temperature=0.0), [0, 1, 0, 0])


# --- vLLM ---------------------------------------------------------------------------------------


def test_vllm_top_k_keeps_every_token_tied_with_the_kth(run):
    """Top-k removes x < x_(k): every token tied with the k-th value stays."""
    # vLLM apply_top_k_only: `logits.masked_fill_(logits < top_k_mask, -inf)`, top_k_mask the
    # k-th largest value. [3, 2, 2, 1] with k = 2: x_(2) = 2, so tokens 0, 1, 2 stay.
    assert_q(run([3.0, 2.0, 2.0, 1.0], top_k=2), softmax([3.0, 2.0, 2.0, -np.inf]))


def test_vllm_top_p_applies_to_the_top_k_survivors_renormalised(run):
    """Top-p sees the distribution renormalised over the top-k survivors."""
    # vLLM apply_top_k_top_p: top-k masks logits_sort to -inf, then probs_sort =
    # logits_sort.softmax(): p = .4, .3, .2, .1, k = 2 -> 4/7, 3/7; 4/7 >= top_p = 0.5, so only
    # token 0 stays (top-p on the raw .4 would keep two).
    q = run([LN(4), LN(3), LN(2), LN(1)], top_k=2, top_p=0.5)
    assert_q(q, [1, 0, 0, 0])


def test_vllm_min_p_runs_after_temperature(run):
    """min_p compares probabilities after x / T."""
    # vLLM Sampler.sample: apply_temperature, then the argmax-invariant processors (min_p).
    # [0, -1] / T=2 = [0, -0.5]: ratio e^-0.5 = 0.61 >= 0.5 keeps token 1 (e^-1 = 0.37 would not).
    assert_q(run([0.0, -1.0], min_p=0.5, temperature=2.0), softmax([0.0, -0.5]))


def test_vllm_min_p_runs_before_top_p(run):
    """Top-p sees the distribution renormalised over the min_p survivors."""
    # vLLM Sampler.sample: min_p (a logits processor) then topk_topp_sampler. p = .4 .3 .2 .1,
    # min_p = 0.6 keeps p >= .24: tokens 0, 1 -> 4/7, 3/7; top_p = 0.5 then keeps token 0 only.
    assert_q(run([LN(4), LN(3), LN(2), LN(1)], min_p=0.6, top_p=0.5), [1, 0, 0, 0])


def test_vllm_penalties_count_the_whole_context_by_default(run):
    """No last-n window: a token seen 70 ids ago is still penalised."""
    # vLLM apply_penalties bins every output token (no window exists in SamplingParams).
    context = [2] * 6 + [1] * 64
    assert_q(run([0.0, 0.0, 0.0], context=context, presence_penalty=1.0),
             softmax([0.0, -1.0, -1.0]))


# --- llama.cpp ----------------------------------------------------------------------------------


def test_llama_cpp_top_k_keeps_exactly_k_tokens_despite_ties(run):
    """Top-k truncates the sorted candidates to k, whichever of the tied ones sort first."""
    # llama.cpp top_k_impl: partial sort, then `cur_p->size = k`. Which tied ids survive is up
    # to std::partial_sort, so only the count and the values are pinned.
    q = run([1.0, 1.0, 1.0, 0.0], preset="llama.cpp", top_k=2)
    assert np.count_nonzero(q) == 2
    np.testing.assert_allclose(q[q > 0], [0.5, 0.5], rtol=2e-6)
    assert q[3] == 0


def test_llama_cpp_top_p_runs_before_temperature(run):
    """Top-p uses the untempered probabilities (temperature is last in the chain)."""
    # common/common.h samplers: ... top_p, min_p, xtc, temperature. [0, -1]: p0 = 0.731 >= 0.7
    # keeps token 0 alone; tempered first (T = 3) p0 = 0.58 would keep both.
    assert_q(run([0.0, -1.0], preset="llama.cpp", top_p=0.7, temperature=3.0), [1, 0])


def test_llama_cpp_min_p_runs_before_temperature(run):
    """min_p uses the untempered logits."""
    # [0, -1] with min_p = 0.5: e^-1 = 0.37 < 0.5 removes token 1 before T = 2 would lift it.
    assert_q(run([0.0, -1.0], preset="llama.cpp", min_p=0.5, temperature=2.0), [1, 0])


def test_llama_cpp_top_p_runs_before_min_p(run):
    """min_p sees the top-p survivors; top-p sees the raw distribution."""
    # Chain order top_p, min_p. p = .4 .3 .2 .1, top_p = 0.5 keeps tokens 0, 1 (.4 < .5 <= .7);
    # min_p = 0.6 keeps p >= .24 of them: both. Renormalised 4/7, 3/7 (vLLM's order gives [1]).
    q = run([LN(4), LN(3), LN(2), LN(1)], preset="llama.cpp", min_p=0.6, top_p=0.5)
    assert_q(q, [4 / 7, 3 / 7, 0, 0])


def test_llama_cpp_penalties_count_only_the_last_64_ids_by_default(run):
    """penalty_last_n defaults to 64: ids older than that are not penalised."""
    # common/common.h: penalty_last_n = 64; penalties_accept keeps a ring buffer of that size.
    # Token 2 appears only in the first 6 of 70 ids, token 1 in the last 64.
    context = [2] * 6 + [1] * 64
    q = run([0.0, 0.0, 0.0], preset="llama.cpp", context=context, presence_penalty=1.0)
    assert_q(q, softmax([0.0, -1.0, 0.0]))


def test_llama_cpp_penalty_last_n_counts_the_most_recent_ids(run):
    """Counts come from the last N ids of the context, not the first N."""
    # Ring buffer of the 3 latest ids of [1, 1, 1, 2, 1]: [1, 2, 1] -> count(1) = 2, count(2) = 1.
    # Frequency 0.5: token 1 -= 1.0, token 2 -= 0.5 (the first three would give 1.5 and 0).
    q = run([0.0, 0.0, 0.0], preset="llama.cpp", context=[1, 1, 1, 2, 1], penalty_last_n=3,
            frequency_penalty=0.5)
    assert_q(q, softmax([0.0, -1.0, -0.5]))


def test_llama_cpp_penalty_last_n_zero_disables_penalties(run):
    """penalty_last_n = 0 turns every penalty off."""
    # llama.cpp penalties_apply: `if (ctx->penalty_last_n == 0 || ...) return;`.
    q = run([1.0, 0.0], preset="llama.cpp", context=[0], penalty_last_n=0,
            repetition_penalty=3.0)
    assert_q(q, softmax([1.0, 0.0]))


def test_llama_cpp_typical_keeps_tokens_until_the_mass_exceeds_typical_p(run):
    """Locally typical: sort by |-ln p - H|, keep up to the first cumulative mass > typical_p."""
    # llama.cpp typical_apply. p = .5 .3 .2: H = 1.0297; scores |0.693 - H| = .337,
    # |1.204 - H| = .174, |1.609 - H| = .580 -> order 1, 0, 2; cumulative .3, .8 > .5: keep 1, 0.
    q = run([LN(0.5), LN(0.3), LN(0.2)], preset="llama.cpp", typical_p=0.5)
    assert_q(q, [0.625, 0.375, 0])


def test_llama_cpp_top_n_sigma_uses_the_population_std_of_the_finite_logits(run):
    """Keep x >= max - n * std, std with ddof = 0 over the finite logits only."""
    # llama.cpp top_n_sigma_apply skips -INFINITY in the mean and `sqrt(acc / valid_count)`.
    # [0..4]: mean 2, std sqrt(2) = 1.414; n = 1.3: cut 4 - 1.838 = 2.16 keeps 3 and 4
    # (a sample std 1.581 would put the cut at 1.94 and keep 2 as well).
    q = run([0.0, 1.0, 2.0, 3.0, 4.0, -np.inf], preset="llama.cpp", top_n_sigma=1.3)
    assert_q(q, softmax([-np.inf, -np.inf, -np.inf, 3.0, 4.0, -np.inf]))


def test_llama_cpp_top_n_sigma_keeps_a_token_exactly_n_sigma_below_the_max(run):
    """Only x < max - n * std is removed."""
    # llama.cpp: `if (logit < max - n * std) logit = -INFINITY`. [0, 2]: std 1, n = 2: cut 0.
    assert_q(run([0.0, 2.0], preset="llama.cpp", top_n_sigma=2.0), softmax([0.0, 2.0]))


def test_llama_cpp_top_n_sigma_runs_before_top_k(run):
    """top_n_sigma's std is over the whole row, not over the top-k survivors."""
    # common/common.h samplers: top_n_sigma before top_k. Whole row: keep 3, 4 (see above), then
    # k = 2 keeps both. Top-k first would leave [3, 4] (std 0.5, cut 3.35) and keep 4 alone.
    q = run([0.0, 1.0, 2.0, 3.0, 4.0], preset="llama.cpp", top_n_sigma=1.3, top_k=2)
    assert_q(q, softmax([-np.inf, -np.inf, -np.inf, 3.0, 4.0]))


def test_llama_cpp_xtc_removes_all_but_the_least_likely_token_above_the_threshold(run):
    """XTC drops every token with p >= t except the last of them in sorted order."""
    # llama.cpp xtc_apply: pos_last = last sorted index with p >= threshold; if pos_last > 0 the
    # first pos_last tokens go. xtc_probability = 1: `chance > probability` never returns early.
    # p = .5 .3 .2, t = .25: tokens 0, 1 qualify, token 0 goes -> .6, .4.
    q = run([LN(0.5), LN(0.3), LN(0.2)], preset="llama.cpp", xtc_probability=1.0,
            xtc_threshold=0.25)
    assert_q(q, [0, 0.6, 0.4])


def test_llama_cpp_xtc_needs_two_tokens_above_the_threshold(run):
    """With a single token at or above t, XTC changes nothing."""
    # pos_last = 0 fails `pos_last > 0`. p = .5 .3 .2, t = .4: only token 0 qualifies.
    q = run([LN(0.5), LN(0.3), LN(0.2)], preset="llama.cpp", xtc_probability=1.0,
            xtc_threshold=0.4)
    assert_q(q, [0.5, 0.3, 0.2])


def test_llama_cpp_xtc_counts_tokens_exactly_at_the_threshold(run):
    """p == t qualifies (`>=`): four tokens of 1/4 with t = 1/4 leave one."""
    # Four ties at exactly 0.25 all pass `p >= threshold`: pos_last = 3, one token remains.
    # Which of the tied ids remains depends on the sort, so only the count is pinned.
    q = run([0.0, 0.0, 0.0, 0.0], preset="llama.cpp", xtc_probability=1.0, xtc_threshold=0.25)
    assert np.count_nonzero(q) == 1
    assert q.max() == 1.0


def test_llama_cpp_xtc_runs_before_temperature(run):
    """XTC's threshold applies to the untempered probabilities."""
    # p = .5 .3 .2, t = .32: only token 0 qualifies, so nothing happens. Tempered first (T = 5)
    # the row is .366 .330 .304 and tokens 0, 1 would qualify, removing token 0.
    logits = [LN(0.5), LN(0.3), LN(0.2)]
    q = run(logits, preset="llama.cpp", xtc_probability=1.0, xtc_threshold=0.32, temperature=5.0)
    assert_q(q, softmax(np.array(logits) / 5.0))


# --- The peers' "off" spellings, accepted under every preset ---------------------------------


@pytest.mark.parametrize("preset", ["vllm", "hf", "llama.cpp"])
def test_minus_one_spellings_of_off_are_accepted_per_row_and_under_any_preset(preset):
    """top_k -1 (vLLM), top_n_sigma -1 (llama.cpp's default) and penalty_last_n -1 (llama.cpp:
    the whole context) are off or whole, also per row and where the stage is not in the order."""
    logits = np.log([[0.5, 0.3, 0.2], [0.5, 0.3, 0.2]])
    plain = process(logits, preset=preset, top_k=[0, 2]).dense()
    minus = process(logits, preset=preset, top_k=[-1, 2], top_n_sigma=-1.0).dense()
    np.testing.assert_array_equal(minus, plain)
    context = [[2] * 70 + [1] * 64] * 2
    whole = process(logits, preset=preset, context=context, penalty_last_n=[-1, 64],
                    presence_penalty=1.0).dense()
    expected = process(logits, preset=preset, context=context, penalty_last_n=[1000, 64],
                       presence_penalty=1.0).dense()
    np.testing.assert_array_equal(whole, expected)
    with pytest.raises(InvalidParameterError, match="top_k"):
        process(logits, preset=preset, top_k=-2)
    with pytest.raises(InvalidParameterError, match="penalty_last_n"):
        process(logits, preset=preset, penalty_last_n=-2, context=context)


def test_top_p_zero_keeps_the_top_token_and_its_ties(run):
    """top_p = 0 (HF, llama.cpp and OpenAI accept it): the first token reaches it."""
    assert_q(run([2.0, 0.0, 2.0, 1.0], top_p=0.0), [0.5, 0, 0.5, 0])


@pytest.mark.parametrize("preset", ["vllm", "hf", "llama.cpp"])
def test_a_bias_of_minus_infinity_bans_the_token(run, preset):
    """llama.cpp adds any float bias, -INFINITY included (its own ignore_eos uses it)."""
    # llama-sampling.cpp logit_bias_apply: `logit += lb.bias`; common.cpp pushes {eog, -INFINITY}.
    q = run([1.0, 2.0, 0.0], preset=preset, logit_bias={1: -math.inf})
    assert_q(q, softmax([1.0, -np.inf, 0.0]))
    greedy = run([1.0, 2.0, 0.0], preset=preset, logit_bias={1: -math.inf}, temperature=0.0)
    assert_q(greedy, [1, 0, 0])


@pytest.mark.parametrize("vocab", [3, 6000])
def test_banning_every_token_names_the_bias(vocab):
    """A row that logit_bias empties is an error about logit_bias, not about the logits."""
    with pytest.raises(AllMaskedRowError, match=r"row 1 .*logit_bias") as caught:
        process(np.zeros((2, vocab)),
                logit_bias=[{0: -math.inf}, {i: -math.inf for i in range(vocab)}])
    assert caught.value.field == "logit_bias" and caught.value.row == 1
