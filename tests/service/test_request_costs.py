"""Requests within the body limit cost in proportion to their size: no step is quadratic in a
structure of the request, and no problem document grows with the number of errors.

Each test fails by orders of magnitude when its bug is back: the real server (short --timeout)
answers 503 instead of its 4xx or 200, a count of the work done grows with the square of the
input, or a problem document or a peak of memory grows with the number of invalid items.
"""

import io
import json
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest

from service.lm.base import Recompute
from service.openai_compat.logprobs import prompt_logprobs
from service.sampling import SamplingLimits, params
from service.sampling.adjust import Adjustments
from tests.service.helpers import assert_problem, http_request, serving

TIMEOUT = 25  # the server's --timeout (under http_request's 30 s): each request below takes
# 1-5 s, or minutes with its bug


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("costs") / "server.log"
    with serving(log, "--timeout", str(TIMEOUT), env={"LOGITLAB_MAX_TOKENS": "8192"}) as running:
        yield running


def _post(base, path, body):
    return http_request(base, path, json.dumps(body).encode(), "application/json")


@pytest.mark.slow
def test_an_order_listing_stages_200_000_times_is_a_quick_422(server):
    """`stages.count(name)` per name: 64 000 entries took 91 s, 200 000 about 15 minutes."""
    _, base, _ = server
    status, _, body = _post(base, "/sample", {"logits": [0.0, 1.0], "order": ["top_k"] * 200_000})
    assert status == 422, body[:300]
    assert list(json.loads(body)["errors"]) == ["order"]


@pytest.mark.slow
def test_a_stop_string_of_50_000_characters_costs_no_more_than_a_short_one(server):
    """Every token tried each length of each stop against the end of the text (O(text^2) per
    token): 16 choices x 1024 tokens with four 100 000-character stops took 31 s, and one
    choice of 8192 tokens with these 109 s (4.4 s now, as with a short stop). Never matching,
    the stops let the generation run to max_tokens."""
    _, base, _ = server
    status, _, body = _post(base, "/generate", {
        "prompt": "The", "max_tokens": 8192, "ignore_eos": True, "seed": 1,
        "stop": ["\x01" * 50_000, "e" * 50_000 + "\x01"]})
    assert status == 200, body[:300]
    answer = json.loads(body)
    assert answer["usage"]["completion_tokens"] == 8192
    assert answer["choices"][0]["finish_reason"] == "length"


def test_the_core_finds_a_stage_listed_twice_in_linear_time():
    """The library's and CLI's path (HTTP refuses an order of more than 9 stages before the
    core): each name was counted with stages.count, 64 000 names took 91 s."""
    code = ("from service.sampling.presets import resolve_order\n"
            "try:\n    resolve_order('vllm', ['top_k'] * 300_000)\n"
            "except ValueError as error:\n    print(error)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert "listed twice in order: top_k" in done.stdout


def _peak(client, path, data, content_type="application/json", **kwargs):
    """(response, peak traced memory in bytes) of one request."""
    tracemalloc.start()
    try:
        response = client.post(path, data=data, content_type=content_type, **kwargs)
        response.get_data()
        return response, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


ROW = [0.5, 1.5]
CHAT = {"model": "ngram-pydoc"}
LONG_LISTS = [  # (path, body, field, the limit named): refused before any item is read
    ("/sample", {"logits": ROW, "temperature": [-1] * 30_000}, "temperature", "MAX_BATCH"),
    ("/sample", {"logits": ROW, "seed": ["x"] * 30_000}, "seed", "MAX_BATCH"),
    ("/sample", {"logits": ROW, "logit_bias": [{"x": 1}] * 30_000}, "logit_bias", "MAX_BATCH"),
    ("/sample", {"logits": ROW, "context": [[1]] * 30_000}, "context", "MAX_BATCH"),
    ("/sample", {"logits": ROW, "order": ["warp"] * 30_000}, "order", "at most 9"),
    ("/render", {"messages": [{"role": "", "content": 1}] * 40_000}, "messages", "at most 32768"),
    ("/v1/chat/completions", {**CHAT, "messages": [{"role": "x", "content": 1}] * 40_000},
     "messages", "at most 32768"),
]


@pytest.mark.parametrize(("path", "body", "field", "limit"), LONG_LISTS,
                         ids=[f"{p}:{f}" for p, _, f, _ in LONG_LISTS])
def test_a_list_beyond_its_limit_is_refused_before_its_items_are_read(client, path, body, field,
                                                                      limit):
    """Every item was validated (2 to 35 us each: a 64 MiB body of them held a worker for 30
    to 120 s), and its message listed (a 1 MB body got a 12 MB answer) and kept in ~150 bytes
    of memory per byte of the body."""
    data = json.dumps(body).encode()
    response, peak = _peak(client, path, data)
    assert_problem(response, 422, field, contains=limit)
    assert len(response.get_data()) < 1_000
    assert peak < 30 * len(data)


INVALID_ITEMS = [  # (path, body, field, items after the first ten invalid ones)
    ("/sample", {"logits": ROW, "logit_bias": {str(i): 1e3 for i in range(30_000)}},
     "logit_bias", "29 990 more items"),
    ("/render", {"messages": [{"role": "", "content": 1}] * 10_000}, "messages",
     "9 990 more items"),
    ("/v1/chat/completions", {**CHAT, "messages": [{"role": "x", "content": 1}] * 10_000},
     "messages", "9 990 more items"),
    ("/render", {"messages": [{"role": "user", "content": "x",
                               **{f"k{i}": 1 for i in range(30_000)}}]},
     "messages", "29 990 more unknown fields"),
]


@pytest.mark.parametrize(("path", "body", "field", "more"), INVALID_ITEMS,
                         ids=[f"{p}:{f}:{i}" for i, (p, _, f, _) in enumerate(INVALID_ITEMS)])
def test_invalid_items_are_listed_up_to_ten_then_counted(client, path, body, field, more):
    data = json.dumps(body).encode()
    response, peak = _peak(client, path, data)
    document = assert_problem(response, 422, field)
    assert len(response.get_data()) < 4_000
    messages = document["errors"][field]
    assert len(messages) <= 21 and messages[-1].endswith(f"... and {more}" + (
        ", not checked" if more.endswith("items") else ""))
    assert peak < 30 * len(data)


def test_a_query_string_of_invalid_values_makes_a_small_problem_document(client):
    query = "&".join(["temperature=-1"] * 20_000 + [f"x{i}=1" for i in range(20_000)])
    response = client.post(f"/sample?{query}", data=b'{"logits": [0.5]}',
                           content_type="application/json")
    document = assert_problem(response, 422, "temperature", contains="LOGITLAB_MAX_BATCH")
    assert len(response.get_data()) < 4_000 and len(document["errors"]) == 20
    assert "(errors lists the first 20 of 20 001 fields)" in document["detail"]


def test_50_000_unknown_fields_are_counted_not_listed(client):
    body = {"messages": [{"role": "user", "content": "hi"}], **{f"k{i}": 0 for i in range(50_000)}}
    response = client.post("/render", json=body)
    document = assert_problem(response, 422)
    assert len(document["errors"]) == 10 and len(response.get_data()) < 4_000
    assert "(and 49 997 more)" in document["detail"]
    assert "(errors lists the first 10 of 50 000 fields)" in document["detail"]


def test_an_unknown_field_of_a_megabyte_is_named_in_a_kilobyte(client):
    name = "k" * 1_000_000
    response = client.post("/sample", json={"logits": ROW, name: 1})
    document = assert_problem(response, 422)
    assert len(response.get_data()) < 5_000
    (field,) = document["errors"]
    assert field.startswith("kkk") and field.endswith("(999 000 more characters)")


# A prompt is encoded only as far as the limit: a text of millions of characters was split
# into as many pieces and ids (~30 bytes per byte of the body) before the 422.
LONG = "é " * 1_500_000


def test_lm_next_refuses_a_text_beyond_the_context_limit(client):
    """/lm/next had no limit at all: 4 M characters answered 200 with 112 MB of token ids and
    strings, after 2.3 GB of memory."""
    response = client.post("/lm/next", json={"text": "é" * 40_000})
    assert_problem(response, 422, "text", contains="more than 32768 tokens")


@pytest.mark.parametrize(("path", "field"), [("/generate", "prompt"), ("/lm/next", "text"),
                                             ("/v1/completions", "prompt")])
def test_an_oversized_prompt_is_refused_before_it_is_encoded_whole(client, path, field):
    key = "text" if field == "text" else "prompt"
    body = {key: LONG, "model": "ngram-pydoc"}
    data = json.dumps(body, ensure_ascii=False).encode()
    response, peak = _peak(client, path, data)
    # The same body refused before the prompt is read (an unknown model) costs its parsing:
    # 61 MB here, and an encoding of the whole prompt 175 MB (/lm/next: 1.2 GB, and a 200).
    refused = json.dumps({**body, "model": "hf"}, ensure_ascii=False).encode()
    _, baseline = _peak(client, path, refused)
    assert peak < 1.5 * baseline
    assert_problem(response, 422, field, contains="LOGITLAB_MAX_CONTEXT")


def test_a_shared_logit_bias_and_context_are_read_once_for_every_row(monkeypatch):
    """A scalar logit_bias was validated once per row: B=128 rows, 65 536 keys took 10 s."""
    calls = []
    token_id = params._token_id
    monkeypatch.setattr(params, "_token_id", lambda *a: calls.append(1) or token_id(*a))
    limits = SamplingLimits(max_context=10_000)
    resolved = params.resolve_params(256, 4096, {
        "logit_bias": {str(i): 1.0 for i in range(4096)}, "context": list(range(4096)),
        "repetition_penalty": 1.2}, limits)
    assert len(calls) == 4096
    assert resolved.context[0] is resolved.context[255]


def _locate_seconds(edits: Adjustments, rows: np.ndarray) -> float:
    best = np.inf
    for _ in range(7):
        started = time.perf_counter()
        for _ in range(20):
            edits.locate(rows)
        best = min(best, time.perf_counter() - started)
    return best


def test_locating_a_chunks_edits_does_not_scan_every_edit():
    """Each chunk of rows searched all B x context edits: O(B^2 x context) per batch (240 rows
    with a 32 768-id context took 7 s, 2 048 rows 21 s)."""
    rng = np.random.default_rng(0)
    rows = np.sort(rng.integers(0, 4096, 2_000_000))
    values = {"penalties": rng.normal(size=rows.size)}
    edits = Adjustments(rows, rng.integers(0, 99, rows.size), values)
    for chunk in (np.array([7]), np.array([0, 5, 6, 4095]), np.arange(100, 164)):
        position, mine = edits.locate(chunk)
        expected = np.flatnonzero(np.isin(rows, chunk))
        np.testing.assert_array_equal(mine, expected)
        np.testing.assert_array_equal(chunk[position], rows[mine])
    few = Adjustments(rows[:2000], rows[:2000], {"penalties": np.zeros(2000)})
    chunk = np.array([0, 1])
    assert _locate_seconds(edits, chunk) < 50 * _locate_seconds(few, chunk)


class _Counted(list):
    """A list that counts the items its slices hand out."""

    handed = 0

    def __getitem__(self, index):
        item = super().__getitem__(index)
        if isinstance(index, slice):
            _Counted.handed += len(item)
        return item


class _Flat:
    """A model whose every next-token distribution is uniform over 4 tokens."""

    vocab_size, eos_id = 4, None

    def logits(self, contexts):
        self.longest = max(getattr(self, "longest", 0), *map(len, contexts))
        return np.zeros((len(contexts), 4))

    def token_bytes(self, ids):
        return [b"a" for _ in ids]


def test_scoring_a_prompt_reads_each_of_its_tokens_once():
    """echo + logprobs sliced ids[1:i] and copied the prompt into every context: O(P^2),
    7.4 s for a 32 000-token prompt (now 4.8 s, all of it the model's V-sized rows)."""
    ids = _Counted([1, 2, 3, 0] * 5_000)
    _Counted.handed = 0
    scored = prompt_logprobs(_Flat(), ids, 2, "a" * len(ids))
    assert len(scored["token_logprobs"]) == len(ids)
    assert _Counted.handed < 10 * len(ids)


def _recompute_seconds(prompt: list[int]) -> float:
    reader, tokens = Recompute(_Flat(), prompt), []
    started = time.perf_counter()
    for step in range(300):
        tokens.append(step % 4)
        reader.logits([0], [tokens])
    return time.perf_counter() - started


def test_recomputed_continuations_do_not_copy_the_prompt_at_every_step():
    long, short = [1] * 3_000_000, [1]
    assert _recompute_seconds(long) < 50 * max(_recompute_seconds(short), 1e-3)


def test_a_multipart_params_part_of_invalid_values_makes_a_small_problem_document(client):
    params_part = json.dumps({"temperature": [-1] * 50_000}).encode()
    response = client.post("/sample?vocab=2", content_type="multipart/form-data", data={
        "logits": (io.BytesIO(np.zeros(2, "<f4").tobytes()), "l", "application/octet-stream"),
        "params": (io.BytesIO(params_part), "p", "application/json")})
    document = assert_problem(response, 422, "temperature")
    assert document["errors"]["temperature"] == [
        "50 000 rows; a batch has at most 256 (LOGITLAB_MAX_BATCH)"]
