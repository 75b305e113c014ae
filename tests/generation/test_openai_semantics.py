"""/v1/* against OpenAI's documented semantics: 404 models, stream usage, ranges, chat length."""

import json

import pytest

from service.generate.prepare import build
from service.generation.stream import parse_sse
from tests.generation.fakes import CycleLM

CHAT = {"model": "ngram-pydoc", "messages": [{"role": "user", "content": "hi"}]}
TEXT = {"model": "ngram-pydoc", "prompt": "The for"}
THE = {"261": 100}  # " the" every step: no stop string, no end of text, only a length limit


def _chunks(response):
    assert response.status_code == 200, response.get_json()
    return [json.loads(data) for _, data in parse_sse(response.get_data(as_text=True).splitlines())
            if data != "[DONE]"]


@pytest.mark.parametrize("path", ["/v1/completions", "/v1/chat/completions"])
def test_an_unknown_model_is_a_404_problem_naming_it_and_the_served_ones(client, path):
    body = {**(CHAT if "chat" in path else TEXT), "model": "gpt-4o", "max_tokens": 1}
    response = client.post(path, json=body)
    assert response.status_code == 404, response.get_json()
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 404 and problem["title"] == "Not Found"
    assert "'gpt-4o'" in problem["detail"] and "ngram-pydoc" in problem["detail"]
    assert list(problem["errors"]) == ["model"]
    documented = client.get("/openapi.json").get_json()["paths"][path]["post"]["responses"]
    assert "404" in documented


def test_a_model_path_that_cannot_be_loaded_is_a_404_too(make_app, tmp_path):
    client = make_app(ALLOW_MODEL_PATHS=True).test_client()
    missing = f"ngram:{tmp_path / 'missing.npz'}"
    response = client.post("/v1/completions", json={**TEXT, "model": missing, "max_tokens": 1})
    assert response.status_code == 404 and missing in response.get_json()["detail"]


def test_generate_keeps_its_422_for_an_unknown_model(client):
    response = client.post("/generate", json={"prompt": "x", "model": "gpt-4o"})
    assert response.status_code == 422 and "model" in response.get_json()["errors"]


@pytest.mark.parametrize(("path", "body"), [("/v1/completions", TEXT),
                                            ("/v1/chat/completions", CHAT)])
def test_with_include_usage_every_chunk_has_usage_null_and_the_last_one_the_usage(
        client, path, body):
    body = {**body, "max_tokens": 5, "n": 2, "seed": 1, "stream": True,
            "stream_options": {"include_usage": True}}
    chunks = _chunks(client.post(path, json=body))
    *streamed, last = chunks
    assert streamed and all(chunk["usage"] is None and chunk["choices"] for chunk in streamed)
    assert last["choices"] == []
    plain = client.post(path, json={**body, "stream": False}).get_json()
    assert last["usage"] == plain["usage"]


@pytest.mark.parametrize("options", [None, {}, {"include_usage": False}])
@pytest.mark.parametrize(("path", "body"), [("/v1/completions", TEXT),
                                            ("/v1/chat/completions", CHAT)])
def test_without_include_usage_no_chunk_has_a_usage_key(client, path, body, options):
    body = {**body, "max_tokens": 5, "seed": 1, "stream": True, "stream_options": options}
    chunks = _chunks(client.post(path, json=body))
    assert chunks and all("usage" not in chunk and chunk["choices"] for chunk in chunks)


@pytest.mark.parametrize("logprobs", [None, False])
def test_top_logprobs_without_logprobs_true_is_refused(client, logprobs):
    body = {**CHAT, "max_tokens": 1, "top_logprobs": 2}
    if logprobs is not None:
        body["logprobs"] = logprobs
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["errors"]) == ["top_logprobs"]
    assert "logprobs" in response.get_json()["detail"]


def test_top_logprobs_null_needs_no_logprobs(client):
    body = {**CHAT, "max_tokens": 1, "top_logprobs": None}
    assert client.post("/v1/chat/completions", json=body).status_code == 200


OUT_OF_RANGE = [
    ("chat", "top_logprobs", 21), ("chat", "top_logprobs", -1),
    ("text", "logprobs", 6), ("text", "logprobs", -1),
    ("chat", "temperature", 2.01), ("text", "temperature", 2.5), ("text", "temperature", -0.1),
    ("chat", "top_p", 1.01), ("text", "top_p", -0.5),
    ("chat", "presence_penalty", 2.1), ("text", "presence_penalty", -2.1),
    ("chat", "frequency_penalty", -2.1), ("text", "frequency_penalty", 2.1),
    ("chat", "n", 129), ("text", "n", 129), ("chat", "n", 0),
]


@pytest.mark.parametrize(("kind", "field", "value"), OUT_OF_RANGE)
def test_values_outside_openais_ranges_are_a_422_naming_the_field(make_app, kind, field, value):
    client = make_app(MAX_GENERATE_N=200).test_client()  # n's range, not the server's limit
    path, body = ("/v1/chat/completions", CHAT) if kind == "chat" else ("/v1/completions", TEXT)
    body = {**body, "max_tokens": 1, field: value}
    if field == "top_logprobs":
        body["logprobs"] = True
    response = client.post(path, json=body)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert list(response.get_json()["errors"]) == [field]


EDGES = [
    ("chat", {"logprobs": True, "top_logprobs": 20}), ("chat", {"logprobs": True,
                                                                "top_logprobs": 0}),
    ("text", {"logprobs": 5}), ("text", {"logprobs": 0}),
    ("chat", {"temperature": 2}), ("text", {"temperature": 0}),
    ("chat", {"top_p": 1}), ("text", {"presence_penalty": -2, "frequency_penalty": 2}),
    ("chat", {"presence_penalty": 2, "frequency_penalty": -2}),
    # Logit Lab's own knobs keep their own ranges.
    ("chat", {"top_k": 100_000, "min_p": 1, "repetition_penalty": 50}),
]


@pytest.mark.parametrize(("kind", "extra"), EDGES)
def test_the_ends_of_the_ranges_and_our_own_knobs_are_accepted(client, kind, extra):
    path, body = ("/v1/chat/completions", CHAT) if kind == "chat" else ("/v1/completions", TEXT)
    response = client.post(path, json={**body, "max_tokens": 1, **extra})
    assert response.status_code == 200, response.get_json()


def test_generate_keeps_its_own_temperature_range(client):
    response = client.post("/generate", json={"prompt": "x", "max_tokens": 1, "temperature": 5})
    assert response.status_code == 200, response.get_json()


def _chat(client, **extra):
    body = {**CHAT, "seed": 1, "logit_bias": THE, **extra}
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_chat_without_max_tokens_runs_to_the_servers_max_tokens(make_app):
    client = make_app(MAX_TOKENS=40).test_client()
    answer = _chat(client)
    assert answer["usage"]["completion_tokens"] == 40
    assert answer["choices"][0]["finish_reason"] == "length"
    assert _chat(client, max_completion_tokens=20)["usage"]["completion_tokens"] == 20
    assert _chat(client, max_tokens=None)["usage"]["completion_tokens"] == 40
    streamed = _chunks(client.post("/v1/chat/completions", json={
        **CHAT, "seed": 1, "logit_bias": THE, "stream": True,
        "stream_options": {"include_usage": True}}))
    assert streamed[-1]["usage"]["completion_tokens"] == 40


def test_chat_without_max_tokens_stops_at_the_context_limit(make_app):
    prompt = _chat(make_app().test_client(), max_tokens=1)["usage"]["prompt_tokens"]
    client = make_app(MAX_CONTEXT=prompt + 7).test_client()
    assert _chat(client)["usage"]["completion_tokens"] == 7
    full = make_app(MAX_CONTEXT=prompt).test_client().post("/v1/chat/completions", json=CHAT)
    assert full.status_code == 422 and list(full.get_json()["errors"]) == ["messages"]


def test_legacy_completions_keep_the_default_of_16(make_app):
    client = make_app(MAX_TOKENS=40).test_client()
    answer = client.post("/v1/completions", json={**TEXT, "logit_bias": THE}).get_json()
    assert answer["usage"]["completion_tokens"] == 16


def test_the_default_length_stops_where_the_model_can_read_no_further():
    lm = CycleLM()
    lm.max_context = 10  # positions: the last step reads the prompt and 10 - 4 tokens
    args = {"prompt": "abca", "max_tokens": None, "n": 1}
    assert build(args, lm, 10_000, cap=1_000).request.max_tokens == 7
    assert build(args, lm, 8, cap=1_000).request.max_tokens == 4
    assert build(args, lm, 10_000, cap=5).request.max_tokens == 5


def test_the_schema_documents_chats_default_length(client):
    spec = client.get("/openapi.json").get_json()
    body = spec["paths"]["/v1/chat/completions"]["post"]["requestBody"]["content"]
    schema = body["application/json"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    for field in ("max_tokens", "max_completion_tokens"):
        assert "context" in schema["properties"][field]["description"]


@pytest.mark.parametrize(("path", "body"), [("/v1/completions", TEXT),
                                            ("/v1/chat/completions", CHAT)])
def test_null_knobs_mean_their_defaults_as_on_openai(client, path, body):
    body = {**body, "max_tokens": 6, "seed": 3}
    nulls = {"temperature": None, "top_p": None, "presence_penalty": None,
             "frequency_penalty": None, "top_k": None, "min_p": None}
    with_nulls = client.post(path, json={**body, **nulls})
    assert with_nulls.status_code == 200, with_nulls.get_json()
    plain = client.post(path, json=body).get_json()
    assert with_nulls.get_json()["choices"] == plain["choices"]
