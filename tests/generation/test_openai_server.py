"""The official `openai` client against a real `logitlab serve` on a loopback port."""

import json
import urllib.request

import openai
import pytest

from service.lm.registry import load_model
from tests.service.helpers import serving

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("openai-server")
    with serving(root / "server.log", env={"LOGITLAB_CACHE_DIR": str(root)},
                 workers=1) as (_, base, _log):
        yield base


@pytest.fixture(scope="module")
def client(base_url):
    with openai.OpenAI(base_url=base_url + "/v1", api_key="unused", max_retries=0) as client:
        yield client


def _generate(base_url, body):
    request = urllib.request.Request(base_url + "/generate", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_models_list(client):
    assert [m.id for m in client.models.list()] == ["ngram-pydoc"]


def test_completions_match_generate_and_repeat_with_the_seed(client, base_url):
    assert load_model("ngram-pydoc").token_strings([261]) == [" the"]
    kwargs = {"model": "ngram-pydoc", "prompt": "The try statement", "max_tokens": 16,
              "temperature": 0.8, "top_p": 0.9, "n": 2, "seed": 5, "stop": ["\n\n"],
              "frequency_penalty": 0.5, "logit_bias": {"261": -100}, "logprobs": 2,
              "extra_body": {"top_k": 40, "min_p": 0.01, "repetition_penalty": 1.1}}
    first = client.completions.create(**kwargs)
    again = client.completions.create(**kwargs)
    assert [c.text for c in first.choices] == [c.text for c in again.choices]
    direct = _generate(base_url, {"prompt": "The try statement", "max_tokens": 16,
                                  "temperature": 0.8, "top_p": 0.9, "n": 2, "seed": 5,
                                  "stop": ["\n\n"], "frequency_penalty": 0.5,
                                  "logit_bias": {"261": -100}, "top_k": 40, "min_p": 0.01,
                                  "repetition_penalty": 1.1})
    assert [c.text for c in first.choices] == [c["text"] for c in direct["choices"]]
    assert [c.finish_reason for c in first.choices] == \
        [c["finish_reason"] for c in direct["choices"]]
    assert first.usage.completion_tokens == direct["usage"]["completion_tokens"]
    choice = first.choices[0]
    assert len(choice.logprobs.tokens) == len(choice.logprobs.token_logprobs)
    assert " the" not in choice.logprobs.tokens  # logit_bias -100 on " the"


def test_chat_completions_with_logprobs(client):
    response = client.chat.completions.create(
        model="ngram-pydoc", messages=[{"role": "system", "content": "You explain Python."},
                                       {"role": "user", "content": "What is a for loop?"}],
        max_tokens=12, seed=9, temperature=0.7, logprobs=True, top_logprobs=3)
    choice = response.choices[0]
    assert choice.message.role == "assistant" and choice.finish_reason in ("stop", "length")
    content = choice.logprobs.content
    assert 1 <= len(content) <= 12 and all(len(entry.top_logprobs) == 3 for entry in content)
    assert b"".join(bytes(entry.bytes) for entry in content).decode() == choice.message.content
    assert response.usage.prompt_tokens > 10


def test_streaming_equals_the_plain_answer(client):
    kwargs = {"model": "ngram-pydoc", "max_tokens": 20, "seed": 4, "n": 2,
              "messages": [{"role": "user", "content": "Explain the with statement."}]}
    plain = client.chat.completions.create(**kwargs)
    pieces, reasons = {0: "", 1: ""}, {}
    with client.chat.completions.create(**kwargs, stream=True) as stream:
        for chunk in stream:
            for choice in chunk.choices:
                pieces[choice.index] += choice.delta.content or ""
                if choice.finish_reason:
                    reasons[choice.index] = choice.finish_reason
    assert pieces == {c.index: c.message.content for c in plain.choices}
    assert reasons == {c.index: c.finish_reason for c in plain.choices}
    text = "".join(chunk.choices[0].text for chunk in client.completions.create(
        model="ngram-pydoc", prompt="A class", max_tokens=10, seed=2, stream=True))
    assert text == client.completions.create(model="ngram-pydoc", prompt="A class",
                                             max_tokens=10, seed=2).choices[0].text


def test_errors_reach_the_client_as_404_and_422(client):
    with pytest.raises(openai.NotFoundError) as missing:
        client.completions.create(model="gpt-4o", prompt="x")
    assert missing.value.status_code == 404 and "'gpt-4o'" in missing.value.body["detail"]
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o",
                                       messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.UnprocessableEntityError):
        client.completions.create(model="ngram-pydoc", prompt="x", max_tokens=100_000)
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="ngram-pydoc", top_logprobs=2,
                                       messages=[{"role": "user", "content": "x"}])


def test_streamed_usage_as_the_client_reads_it(client):
    kwargs = {"model": "ngram-pydoc", "max_tokens": 6, "seed": 3,
              "messages": [{"role": "user", "content": "What is a list?"}]}
    plain = client.chat.completions.create(**kwargs)
    chunks = list(client.chat.completions.create(
        **kwargs, stream=True, stream_options={"include_usage": True}))
    assert all(chunk.usage is None for chunk in chunks[:-1])
    assert chunks[-1].choices == [] and chunks[-1].usage == plain.usage
