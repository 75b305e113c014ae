"""POST /generate, /render, /lm/next and /v1/* through the Flask test client."""

import json

import pytest

from service.generation.stream import parse_sse

PROMPT = {"prompt": "The for statement", "max_tokens": 12, "seed": 7, "n": 2,
          "temperature": 0.9, "top_p": 0.95}


def _events(response):
    return [(name, json.loads(data) if data != "[DONE]" else data)
            for name, data in parse_sse(response.get_data(as_text=True).splitlines())]


def test_generate_is_reproducible_and_reports_usage(client):
    first = client.post("/generate", json=PROMPT)
    assert first.status_code == 200
    body = first.get_json()
    assert body == client.post("/generate", json=PROMPT).get_json()
    assert body["seed"] == 7 and body["model"] == "ngram-pydoc"
    assert [c["index"] for c in body["choices"]] == [0, 1]
    for choice in body["choices"]:
        assert choice["finish_reason"] in ("stop", "length") and choice["logprobs"] is None
        assert len(choice["tokens"]) <= 12
    completion = sum(len(c["tokens"]) for c in body["choices"])
    assert body["usage"] == {"prompt_tokens": 3, "completion_tokens": completion,
                             "total_tokens": 3 + completion}


def test_without_a_seed_the_reported_seed_replays(client):
    body = client.post("/generate", json={"prompt": "A", "max_tokens": 8}).get_json()
    again = client.post("/generate", json={"prompt": "A", "max_tokens": 8,
                                           "seed": body["seed"]}).get_json()
    assert again["choices"] == body["choices"]


def test_stream_equals_the_non_streamed_result(client):
    plain = client.post("/generate", json={**PROMPT, "logprobs": 2}).get_json()
    response = client.post("/generate", json={**PROMPT, "logprobs": 2, "stream": True})
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    events = _events(response)
    texts, tokens, reasons = {0: "", 1: ""}, {0: [], 1: []}, {}
    for name, data in events[:-1]:
        texts[data["index"]] += data["text"]
        if name == "token":
            tokens[data["index"]].append(data["token"])
            assert len(data["top_logprobs"]) <= 2
        else:
            assert name == "finish"
            reasons[data["index"]] = data["finish_reason"]
    assert events[-1][0] == "done" and events[-1][1]["usage"] == plain["usage"]
    for choice in plain["choices"]:
        i = choice["index"]
        assert (texts[i], tokens[i], reasons[i]) == (choice["text"], choice["tokens"],
                                                     choice["finish_reason"])


def test_messages_are_rendered_with_the_template(client):
    body = client.post("/generate", json={
        "messages": [{"role": "user", "content": "What does break do?"}], "template": "llama-3",
        "system": "Answer briefly.", "max_tokens": 4, "seed": 1}).get_json()
    assert body["prompt"].startswith("<|begin_of_text|><|start_header_id|>system")
    assert body["prompt"].endswith("<|start_header_id|>assistant<|end_header_id|>\n\n")


def test_stop_strings_and_logprobs(client):
    body = client.post("/generate", json={**PROMPT, "stop": [" the", "\n"], "max_tokens": 64,
                                          "logprobs": 1}).get_json()
    for choice in body["choices"]:
        assert " the" not in choice["text"] and "\n" not in choice["text"]
        entries = choice["logprobs"]
        assert [e["token"] for e in entries] == choice["tokens"]
        assert all(len(e["top_logprobs"]) == 1 for e in entries)


@pytest.mark.parametrize("body, field", [
    ({"prompt": "x", "messages": [{"role": "user", "content": "y"}]}, "prompt"),
    ({}, "prompt"),
    ({"prompt": "x", "model": "gpt-9"}, "model"),
    ({"prompt": "x", "model": "ngram:/etc/passwd"}, "model"),
    ({"prompt": "x", "stop": ["a", "b", "c", "d", "e"]}, "stop"),
    ({"prompt": "x", "stop": [""]}, "stop"),
    ({"prompt": "x", "stop": [10**9]}, "stop"),
    ({"prompt": "x", "max_tokens": 0}, "max_tokens"),
    ({"prompt": "x", "max_tokens": 1025}, "max_tokens"),
    ({"prompt": "x", "n": 17}, "n"),
    ({"prompt": "x", "temperature": -1}, "temperature"),
    ({"prompt": "x", "typical_p": 0.5}, "typical_p"),
    ({"prompt": "x", "bogus": 1}, "bogus"),
    ({"messages": [{"role": "user", "content": "y"}], "template": "{{ ''.__class__ }}"},
     "template"),
    ({"messages": [{"role": "user", "content": "y"}], "template": "nope"}, "template"),
    ({"messages": [{"role": "assistant", "content": "y"}], "instructions": "i",
      "placement": "inline"}, "messages"),
])
def test_bad_input_is_a_problem_json_422(client, body, field):
    response = client.post("/generate", json=body)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_limits_are_configurable(make_app):
    client = make_app(MAX_TOKENS=4, MAX_GENERATE_N=2).test_client()
    assert client.post("/generate", json={"prompt": "x", "max_tokens": 5}).status_code == 422
    assert client.post("/generate", json={"prompt": "x", "n": 3}).status_code == 422
    assert client.post("/generate", json={"prompt": "x", "max_tokens": 4, "n": 2}).status_code \
        == 200


def test_render_endpoint(client):
    response = client.post("/render", json={
        "messages": [{"role": "user", "content": "Hi"}], "template": "chatml",
        "system": "S", "instructions": "I", "placement": "inline"})
    assert response.status_code == 200
    assert response.get_json()["text"] == (
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nCustom instructions:\nI\n\nHi"
        "<|im_end|>\n<|im_start|>assistant\n")
    escape = client.post("/render", json={"messages": [{"role": "user", "content": "x"}],
                                          "template": "{{ cycler.__init__.__globals__.os }}"})
    assert escape.status_code == 422 and "template" in escape.get_json()["errors"]


def test_lm_next_returns_the_full_logits_and_token_texts(client):
    body = client.post("/lm/next", json={"text": "The for statement", "top": 5}).get_json()
    assert body["tokens"] == ["The", " for", " statement"]
    assert len(body["logits"]) == body["vocab_size"]
    assert [t["logit"] for t in body["top"]] == sorted(body["logits"], reverse=True)[:5]
    vocab = client.get("/lm/ngram-pydoc/vocab").get_json()
    assert [vocab["tokens"][t["token"]] for t in body["top"]] == [t["text"] for t in body["top"]]
    chat = client.post("/lm/next", json={"messages": [{"role": "user", "content": "hi"}]})
    assert chat.get_json()["text"].startswith("<|im_start|>user")
    assert client.get("/lm/nope/vocab").status_code == 422


def test_v1_through_the_test_client(client):
    assert client.get("/v1/models").get_json()["data"][0]["id"] == "ngram-pydoc"
    body = client.post("/v1/completions", json={"model": "ngram-pydoc", "prompt": "The for",
                                                "max_tokens": 6, "seed": 3, "logprobs": 2,
                                                "top_k": 50, "user": "ignored"}).get_json()
    direct = client.post("/generate", json={"prompt": "The for", "max_tokens": 6, "seed": 3,
                                            "top_k": 50}).get_json()
    assert body["object"] == "text_completion"
    assert body["choices"][0]["text"] == direct["choices"][0]["text"]
    assert len(body["choices"][0]["logprobs"]["tokens"]) == len(direct["choices"][0]["tokens"])
    chat = client.post("/v1/chat/completions", json={
        "model": "ngram-pydoc", "messages": [{"role": "developer", "content": "Be brief."},
                                             {"role": "user", "content": [
                                                 {"type": "text", "text": "hi"}]}],
        "max_completion_tokens": 5, "seed": 3, "stream": True,
        "stream_options": {"include_usage": True}})
    events = _events(chat)
    assert events[-1][1] == "[DONE]" and events[-2][1]["usage"]["completion_tokens"] <= 5
    assert events[0][1]["choices"][0]["delta"]["role"] == "assistant"
    bad = client.post("/v1/completions", json={"model": "ngram-pydoc", "prompt": ["a", "b"]})
    assert bad.status_code == 422
    echoed = client.post("/v1/completions", json={"model": "ngram-pydoc", "prompt": "The for",
                                                  "max_tokens": 6, "seed": 3, "top_k": 50,
                                                  "echo": True}).get_json()
    assert echoed["choices"][0]["text"] == "The for" + direct["choices"][0]["text"]


@pytest.mark.parametrize(("path", "body"), [
    ("/generate", {"prompt": "x", "max_tokens": 1}),
    ("/v1/completions", {"model": "ngram-pydoc", "prompt": "x", "max_tokens": 1}),
    ("/v1/chat/completions", {"model": "ngram-pydoc", "max_tokens": 1,
                              "messages": [{"role": "user", "content": "x"}]}),
])
def test_both_success_content_types_are_documented(client, path, body):
    """schemathesis (ST105): a streamed 200 was text/event-stream, documented as JSON only."""
    spec = client.get("/openapi.json").get_json()
    documented = spec["paths"][path]["post"]["responses"]["200"]["content"]
    assert set(documented) == {"application/json", "text/event-stream"}
    event = documented["text/event-stream"]["schema"]["properties"].get("event")
    for stream in (False, True):
        response = client.post(path, json={**body, "stream": stream})
        assert response.status_code == 200 and response.mimetype in documented
        if stream and event:  # before OpenAPI 3.2 an event stream's schema is one event's
            assert {name for name, _ in _events(response)} <= set(event["enum"])


CHAT_X = [{"role": "user", "content": "x"}]


@pytest.mark.parametrize(("path", "data"), [
    ("/generate", b'{"prompt": "\\ud800"}'),
    ("/generate", b'{"prompt": "x", "\\ud800": 1}'),
    ("/generate", b'{"prompt": "x", "stop": ["\\udfff"]}'),
    ("/generate", b'{"prompt": "\xed\xa0\x80"}'),  # the surrogate as raw (invalid) UTF-8
    ("/lm/next", b'{"text": "\\ud800"}'),
    ("/v1/completions", b'{"model": "ngram-pydoc", "prompt": "\\ud800", "max_tokens": 2}'),
    ("/v1/chat/completions", b'{"model": "ngram-pydoc", "max_tokens": 2, '
                             b'"messages": [{"role": "user", "content": "\\ud800"}]}'),
    ("/render", b'{"messages": [{"role": "user", "content": "\\ud800"}]}'),
    ("/render", b'{"messages": [{"role": "user", "content": "x"}], "\\ud800": 1}'),
])
def test_a_lone_surrogate_in_a_json_body_is_400(client, path, data):
    """Found by fuzzing: Python's json lets "\\ud800" through, UTF-8 encoding then raised."""
    response = client.post(path, data=data, content_type="application/json")
    assert response.status_code == 400, response.get_data()
    assert response.mimetype == "application/problem+json"
    assert "not valid JSON" in response.get_json()["detail"]
    assert "surrogate" in response.get_json()["detail"]


def test_surrogate_pairs_and_python_only_json_still_parse(client):
    pair = client.post("/render", data=b'{"messages": [{"role": "user", "content": '
                                       b'"\\ud83d\\ude00"}], "template": "chatml"}',
                       content_type="application/json")
    assert pair.status_code == 200 and "\U0001F600" in pair.get_json()["text"]
    nan = client.post("/generate", data=b'{"prompt": "x", "temperature": NaN}',
                      content_type="application/json")
    assert nan.status_code == 422 and "temperature" in nan.get_json()["errors"]
    deep = client.post("/generate", data=b"[" * 100_000, content_type="application/json")
    assert deep.status_code == 400 and deep.mimetype == "application/problem+json"


@pytest.mark.parametrize(("path", "body"), [
    ("/render", {"messages": CHAT_X}),
    ("/generate", {"messages": CHAT_X, "max_tokens": 1}),
    ("/lm/next", {"messages": CHAT_X}),
    ("/v1/chat/completions", {"model": "ngram-pydoc", "messages": CHAT_X, "max_tokens": 1}),
])
def test_a_template_that_writes_a_lone_surrogate_is_422(client, path, body):
    """The body is clean: Jinja's own string escapes make the surrogate."""
    response = client.post(path, json={**body, "template": '{{ "\\ud800" }}'})
    assert response.status_code == 422, response.get_data()
    assert response.mimetype == "application/problem+json"
    assert "not valid Unicode" in " ".join(response.get_json()["errors"]["template"])
