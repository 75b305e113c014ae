"""The next-token loop: seeds, stops, finish reasons, penalties, logprobs, streaming deltas."""

import pytest

from service.generation.choice import first_stop, held_back
from service.generation.loop import GenerationRequest, generate, run, start, step_seed
from service.lm.registry import load_model
from tests.generation.fakes import CycleLM

GREEDY = {"temperature": 0.0}


def _texts(choices):
    return [c.text for c in choices]


def test_greedy_follows_the_model():
    choices = generate(CycleLM(), GenerationRequest([1], max_tokens=5, params=GREEDY), seed=0)
    assert choices[0].text == "bcabc" and choices[0].tokens == [2, 3, 1, 2, 3]
    assert choices[0].finish_reason == "length"


def test_a_stop_string_cuts_the_text_before_it():
    request = GenerationRequest([1], max_tokens=10, stop_strings=["ab"], params=GREEDY)
    (choice,) = generate(CycleLM(), request, seed=0)
    assert choice.text == "bc" and choice.finish_reason == "stop"
    assert choice.tokens == [2, 3, 1, 2]  # generation ran until the stop string was complete


def test_the_earliest_of_several_stop_strings_wins():
    request = GenerationRequest([1], max_tokens=10, stop_strings=["ab", "ca"], params=GREEDY)
    (choice,) = generate(CycleLM(), request, seed=0)
    assert choice.text == "b" and choice.finish_reason == "stop"


def test_a_stop_token_is_not_part_of_the_output():
    request = GenerationRequest([1], max_tokens=10, stop_ids=[1], params=GREEDY)
    (choice,) = generate(CycleLM(), request, seed=0)
    assert choice.text == "bc" and choice.tokens == [2, 3] and choice.finish_reason == "stop"


def test_eos_stops_unless_ignored():
    (choice,) = generate(CycleLM(eos_last=True), GenerationRequest([1], 10, params=GREEDY), 0)
    assert (choice.text, choice.finish_reason) == ("bc", "stop")
    request = GenerationRequest([1], 4, params=GREEDY, ignore_eos=True)
    (choice,) = generate(CycleLM(eos_last=True), request, 0)
    assert choice.tokens == [2, 3, 0, 1] and choice.finish_reason == "length"


def test_stop_at_the_last_allowed_token_is_stop_not_length():
    request = GenerationRequest([1], max_tokens=2, stop_strings=["c"], params=GREEDY)
    (choice,) = generate(CycleLM(), request, seed=0)
    assert (choice.text, choice.finish_reason) == ("b", "stop")


def test_penalties_count_generated_tokens_and_the_prompt_only_when_asked():
    # Presence + frequency 2 take 4 off a seen token: a favoured b (3) drops below an unseen d (0).
    params = {"temperature": 0.0, "presence_penalty": 2.0, "frequency_penalty": 2.0}
    (plain,) = generate(CycleLM(), GenerationRequest([1], 4, params=GREEDY), 0)
    assert plain.tokens == [2, 3, 1, 2]
    (penalised,) = generate(CycleLM(), GenerationRequest([1], 4, params=params), 0)
    assert penalised.tokens == [2, 3, 1, 4]  # b was generated, d never was
    # After b the model favours c; c in the prompt is penalised only with penalize_prompt.
    assert generate(CycleLM(), GenerationRequest([3, 2], 1, params=params), 0)[0].tokens == [3]
    counted = GenerationRequest([3, 2], 1, params=params, penalize_prompt=True)
    assert generate(CycleLM(), counted, 0)[0].tokens == [1]


def test_same_seed_same_text_and_choices_are_independent():
    model = load_model("ngram-pydoc")
    request = GenerationRequest(model.encode("The for statement"), max_tokens=24, n=4,
                                params={"temperature": 1.0, "top_p": 0.95})
    first, again = generate(model, request, 11), generate(model, request, 11)
    assert _texts(first) == _texts(again)
    assert len(set(_texts(first))) > 1
    assert _texts(generate(model, request, 12)) != _texts(first)
    solo = GenerationRequest(request.prompt_ids, max_tokens=24, n=1, params=request.params)
    assert _texts(generate(model, solo, 11)) == _texts(first)[:1]


def test_step_seeds_differ_per_choice_and_step_and_fit_the_core():
    seeds = {step_seed(5, i, s) for i in range(4) for s in range(50)}
    assert len(seeds) == 200 and all(0 <= x < 2**63 for x in seeds)


def test_logprobs_report_the_chosen_token_and_top_alternatives():
    request = GenerationRequest([1], max_tokens=2, params=GREEDY, logprobs=2)
    (choice,) = generate(CycleLM(), request, 0)
    assert choice.logprobs == [0.0, 0.0]  # greedy: q is one-hot
    assert choice.top_logprobs[0][0] == (2, 0.0)
    sampled = GenerationRequest([1], max_tokens=1, params={"temperature": 1.0}, logprobs=4)
    (choice,) = generate(CycleLM(), sampled, 0)
    tops = choice.top_logprobs[0]
    assert tops[0][0] == 2 and len(tops) == 4
    assert choice.logprobs[0] == dict(tops)[choice.tokens[0]]


@pytest.mark.parametrize("stops", [[], ["ca"], ["bcab", "x"]])
def test_streamed_deltas_add_up_to_the_final_text(stops):
    request = GenerationRequest([1], max_tokens=9, n=2, stop_strings=stops,
                                params={"temperature": 0.8})
    model = CycleLM()
    choices = start(model, request)
    pieces = {0: "", 1: ""}
    for event in run(model, request, 3, choices):
        pieces[event.index] += event.text
        for stop in stops:
            assert stop not in pieces[event.index]
    assert pieces == {c.index: c.text for c in choices}
    assert _texts(choices) == _texts(generate(model, request, 3))


def test_multibyte_characters_are_never_streamed_in_halves():
    model = load_model("ngram-pydoc")
    ids = model.encode("Grüße")  # ü and ß are byte tokens in this vocabulary
    assert len(ids) > 2
    request = GenerationRequest(ids, max_tokens=30, params={"temperature": 1.5}, n=3)
    choices = start(model, request)
    for event in run(model, request, 2, choices):
        assert "\ufffd" not in event.text or event.finish_reason


def test_held_back_and_first_stop_helpers():
    assert held_back("hello wo", ["world"]) == 2
    assert held_back("abc\ufffd", []) == 1
    assert held_back("abc", ["x"]) == 0
    assert first_stop("a STOP b END", ["END", "STOP"]) == 2
    assert first_stop("abc", ["d"]) == -1
