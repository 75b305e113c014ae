"""/v1/completions logprobs: text_offset over byte tokens, echo of the prompt, duplicate texts."""

import json
import math
from typing import ClassVar

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from service.generation.stream import parse_sse
from service.lm.registry import load_model
from service.openai_compat.logprobs import TextOffsets, prompt_logprobs
from tests.generation.fakes import CycleLM

V1 = {"model": "ngram-pydoc"}


def _expected_offsets(pieces: list[bytes], start: int = 0) -> list[int]:
    """The index of the character that holds each token's first byte."""
    offsets, seen = [], b""
    for raw in pieces:
        offsets.append(start + len((seen + raw[:1]).decode("utf-8", "replace")) - 1)
        seen += raw
    return offsets


# Random bytes rarely make a character: add a cut €, its rest, and whole 2-4 byte characters.
PIECES = st.binary(min_size=1, max_size=3) | st.sampled_from([b"\xe2", b"\x82\xac",
                                                              "é€😀".encode()])


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=10), st.integers(0, 5))
@example([b"\xed", b"\xa0"], 0)  # CPython's decoder holds ED A0 (never a character) as pending
def test_text_offsets_point_at_the_character_of_each_tokens_first_byte(pieces, start):
    offsets = TextOffsets(start)
    assert [offsets.next(raw) for raw in pieces] == _expected_offsets(pieces, start)


def test_a_token_without_bytes_gets_the_count_of_finished_characters_before_it():
    offsets = TextOffsets()
    assert [offsets.next(raw) for raw in (b"ab", b"", b"\xe2", b"", b"\x82\xac", b"")] == \
        [0, 2, 2, 2, 2, 3]


def _stream(client, body):
    response = client.post("/v1/completions", json={**body, "stream": True})
    return [json.loads(data)["choices"][0]
            for _, data in parse_sse(response.get_data(as_text=True).splitlines())
            if data != "[DONE]"]


def test_text_offset_counts_characters_of_the_text_not_escaped_token_strings(client):
    body = {**V1, "prompt": "The", "max_tokens": 3, "seed": 1, "logprobs": 1,
            "logit_bias": {"227": 100}}  # the byte 0xE2 three times: three U+FFFD
    choice = client.post("/v1/completions", json=body).get_json()["choices"][0]
    assert choice["text"] == "\ufffd" * 3
    assert choice["logprobs"]["tokens"] == ["\\xe2"] * 3
    assert choice["logprobs"]["text_offset"] == [0, 1, 2]


def test_text_offsets_of_mixed_tokens_match_the_text_plain_and_streamed(client):
    body = {**V1, "prompt": "The word", "max_tokens": 30, "seed": 0, "logprobs": 1,
            "logit_bias": {"227": 10, "131": 10, "173": 10, "196": 10}}  # bytes of € and Ã
    choice = client.post("/v1/completions", json=body).get_json()["choices"][0]
    plain = {k: v for k, v in body.items() if k not in ("model", "logprobs")}
    ids = client.post("/generate", json=plain).get_json()["choices"][0]["tokens"]
    pieces = load_model("ngram-pydoc").token_bytes(ids)
    assert any(len(p) == 1 and p[0] >= 0x80 for p in pieces)  # byte tokens do occur
    offsets = choice["logprobs"]["text_offset"]
    assert offsets == _expected_offsets(pieces)
    assert b"".join(pieces).decode("utf-8", "replace") == choice["text"]
    streamed = [c["logprobs"]["text_offset"][0] for c in _stream(client, body) if c["logprobs"]]
    assert streamed == offsets


def _log_softmax(row):
    row = np.asarray([-math.inf if x is None else x for x in row], dtype=float)
    return row - (row.max() + np.log(np.exp(row - row.max()).sum()))


def test_echo_with_logprobs_covers_the_prompt_tokens(client):
    prompt = "The for statement"
    body = {**V1, "prompt": prompt, "max_tokens": 4, "seed": 1, "logprobs": 2}
    plain = client.post("/v1/completions", json=body).get_json()["choices"][0]
    echoed = client.post("/v1/completions", json={**body, "echo": True}).get_json()
    choice = echoed["choices"][0]
    assert choice["text"] == prompt + plain["text"]
    logprobs, ours = choice["logprobs"], plain["logprobs"]
    assert logprobs["tokens"] == ["The", " for", " statement", *ours["tokens"]]
    assert logprobs["text_offset"] == [0, 3, 7, *(len(prompt) + o for o in ours["text_offset"])]
    assert logprobs["token_logprobs"][0] is None and logprobs["top_logprobs"][0] is None
    assert logprobs["token_logprobs"][3:] == ours["token_logprobs"]
    assert logprobs["top_logprobs"][3:] == ours["top_logprobs"]
    # The prompt's tokens have the model's own (unprocessed) logprobs, as POST /lm/next gives.
    following = client.post("/lm/next", json={"text": "The for"}).get_json()
    raw = _log_softmax(following["logits"])
    statement = load_model("ngram-pydoc").encode(" statement")[0]
    assert math.isclose(logprobs["token_logprobs"][2], raw[statement], abs_tol=1e-9)
    top = logprobs["top_logprobs"][2]
    assert len(top) == 2 and math.isclose(max(top.values()), raw.max(), abs_tol=1e-9)


class BosLM(CycleLM):
    """CycleLM whose token 4 is a BOS read before the prompt, written <s>."""

    vocab: ClassVar[list[str]] = ["", "a", "b", "c", "<s>"]


def test_prompt_logprobs_are_the_models_own_and_a_bos_gets_offset_0():
    model = BosLM()
    logprobs = prompt_logprobs(model, [4, 1, 2, 2], 2, "abb")
    assert logprobs["tokens"] == ["<s>", "a", "b", "b"]
    assert logprobs["text_offset"] == [0, 0, 1, 2]
    after_a = _log_softmax(model.logits([[4, 1]])[0])  # b is the favourite after a
    assert logprobs["token_logprobs"][0] is None and logprobs["top_logprobs"][0] is None
    assert math.isclose(logprobs["token_logprobs"][2], after_a[2])
    assert list(logprobs["top_logprobs"][2]) == ["b", "a"]  # a, c and <s> tie: lowest id first
    assert logprobs["token_logprobs"][3] < logprobs["token_logprobs"][2]  # c follows b


def _first_by_text(model, pairs):
    out = {}
    for token, logprob in pairs:
        text = model.token_bytes([token])[0].decode("utf-8", "backslashreplace")
        out.setdefault(text, logprob)
    return out


def test_tokens_with_the_same_text_are_listed_once_with_the_likelier_logprob(client):
    model = load_model("ngram-pydoc")
    assert model.token_bytes([277]) == model.token_bytes([33]) == [b" "]
    # OpenAI's largest logprobs is 5: a small bias lifts the byte token " " (33) into the top 5
    # beside the piece " " (277) that is drawn at step 4.
    plain = {"prompt": "The value of b", "max_tokens": 8, "seed": 0, "logprobs": 5,
             "logit_bias": {"33": 2}}
    body = {**V1, **plain}
    logprobs = client.post("/v1/completions", json=body).get_json()["choices"][0]["logprobs"]
    entries = client.post("/generate", json=plain).get_json()["choices"][0]["logprobs"]
    expected = [_first_by_text(model, [(a["token"], a["logprob"]) for a in e["top_logprobs"]])
                for e in entries]
    assert logprobs["top_logprobs"] == expected
    assert logprobs["tokens"][4] == " " and len(expected[4]) < 5
    assert logprobs["top_logprobs"][4][" "] == logprobs["token_logprobs"][4]
    streamed = [c["logprobs"]["top_logprobs"][0] for c in _stream(client, body) if c["logprobs"]]
    assert streamed == expected


@pytest.mark.parametrize("stream", [False, True])
def test_max_tokens_0_with_echo_scores_the_prompt_alone(client, stream):
    # OpenAI's legacy way to score a text (lm-evaluation-harness's loglikelihood requests).
    prompt = "The for statement"
    body = {**V1, "prompt": prompt, "max_tokens": 4, "seed": 1, "logprobs": 2, "echo": True}
    longer = client.post("/v1/completions", json=body).get_json()["choices"][0]["logprobs"]
    if stream:
        response = client.post("/v1/completions", json={**body, "max_tokens": 0,
                                                         "echo": False, "stream": True})
        events = [json.loads(data) for _, data in parse_sse(
            response.get_data(as_text=True).splitlines()) if data != "[DONE]"]
        assert [(e["choices"][0]["text"], e["choices"][0]["finish_reason"])
                for e in events] == [("", "length")]
        return
    scored = client.post("/v1/completions", json={**body, "max_tokens": 0}).get_json()
    choice = scored["choices"][0]
    assert choice["text"] == prompt and choice["finish_reason"] == "length"
    assert choice["logprobs"]["tokens"] == ["The", " for", " statement"]
    for key in ("token_logprobs", "top_logprobs", "text_offset"):
        assert choice["logprobs"][key] == longer[key][:3]
    assert scored["usage"]["completion_tokens"] == 0 and scored["usage"]["prompt_tokens"] == 3
    unechoed = client.post("/v1/completions", json={**body, "max_tokens": 0, "echo": False})
    assert unechoed.get_json()["choices"][0]["text"] == ""
