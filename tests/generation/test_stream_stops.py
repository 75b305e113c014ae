"""Streamed deltas add up to the final text even when a stop string meets a multi-byte character."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.generation.choice import ChoiceState, held_back
from service.generation.stream import parse_sse
from service.lm.base import text_decoder
from service.lm.registry import load_model

# Characters whose UTF-8 takes 1 to 4 bytes; the n-gram vocabulary has " ", "a" and "\n" as
# pieces and the others only as byte tokens (id = byte + 1).
ALPHABET = ["a", " ", "\n", "é", "°", "€", "😀"]
STRAY = [0x82, 0xC2, 0xE2, 0xF0, 0xFF]  # bytes that cut or break a character
# Stops may hold U+FFFD too: it can match a cut character's placeholder.


def _byte_ids(data: bytes) -> list[int]:
    return [b + 1 for b in data]


@st.composite
def cases(draw):
    """Token ids of random text (pieces, a character's byte tokens, stray bytes) and stop
    strings, some of them taken from that text so that they do match."""
    model = load_model("ngram-pydoc")
    chars = draw(st.lists(st.sampled_from(ALPHABET), max_size=12))
    ids: list[int] = []
    for char in chars:
        kind = draw(st.sampled_from(["piece", "bytes", "stray"]))
        if kind == "stray":
            ids += _byte_ids(bytes([draw(st.sampled_from(STRAY))]))
        ids += model.encode(char) if kind == "piece" else _byte_ids(char.encode())
    text = "".join(chars)
    inside = st.integers(0, len(text)).flatmap(
        lambda i: st.integers(i + 1, i + 3).map(lambda j: text[i:j]))
    own = inside.filter(bool) if text else st.nothing()
    any_text = st.text(st.sampled_from([*ALPHABET, "\ufffd"]), min_size=1, max_size=3)
    stops = draw(st.lists(any_text | own, max_size=3))
    return ids, stops


@settings(max_examples=400, deadline=None)
@given(case=cases(), end=st.sampled_from(["length", "stop token"]))
def test_streamed_deltas_are_the_final_text_for_any_bytes_and_stops(case, end):
    tokens, stops = case
    model = load_model("ngram-pydoc")
    choice = ChoiceState(0, text_decoder(model), stops)
    limit = len(tokens) if end == "length" else len(tokens) + 1
    streamed = ""
    for token in tokens:
        streamed += choice.add(token, 0.0, [], limit)
        assert choice.text.startswith(streamed) or choice.finish_reason is None
        assert not any(stop in streamed for stop in stops)
        if choice.finish_reason:
            break
    if choice.finish_reason is None:
        streamed += choice.stop()
    assert streamed == choice.text


def test_a_space_before_a_pending_character_is_held_when_a_stop_could_start_there():
    assert held_back("hi e \ufffd", [" °"]) == 2  # " " + the cut character
    assert held_back("hi e \ufffd", ["x"]) == 1


def _streamed(client, path, body):
    """Concatenated text of a streamed answer's first choice."""
    response = client.post(path, json={**body, "stream": True})
    text = ""
    for name, data in parse_sse(response.get_data(as_text=True).splitlines()):
        if data == "[DONE]" or name == "done":
            continue
        event = json.loads(data)
        if "choices" not in event:
            text += event["text"]
        elif event["choices"]:
            choice = event["choices"][0]
            text += choice.get("text") or (choice.get("delta") or {}).get("content") or ""
    return text


BIASED = {"max_tokens": 30, "logit_bias": {"33": 6, "195": 6}, "stop": [" °"]}


@pytest.mark.parametrize("seed", [19, 91])
def test_streamed_generate_and_completions_equal_the_plain_text(client, seed):
    body = {**BIASED, "prompt": "The word", "seed": seed}
    plain = client.post("/generate", json=body).get_json()["choices"][0]["text"]
    assert _streamed(client, "/generate", body) == plain
    v1 = {**body, "model": "ngram-pydoc"}
    plain = client.post("/v1/completions", json=v1).get_json()["choices"][0]["text"]
    assert _streamed(client, "/v1/completions", v1) == plain


@pytest.mark.parametrize("seed", [19])
def test_streamed_chat_equals_the_plain_message(client, seed):
    body = {**BIASED, "model": "ngram-pydoc", "seed": seed,
            "messages": [{"role": "user", "content": "The word"}]}
    plain = client.post("/v1/chat/completions", json=body).get_json()
    assert _streamed(client, "/v1/chat/completions", body) == \
        plain["choices"][0]["message"]["content"]
