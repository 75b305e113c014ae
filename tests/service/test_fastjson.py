"""service.sample.fastjson: whatever simdjson takes, it reads exactly as orjson does."""

import contextlib
import json

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.sample import fastjson

NUMBERS = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-2**70, 2**70)
SCALARS = st.none() | st.booleans() | NUMBERS | st.text(max_size=6)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                           max_leaves=12)
# Logit entries: mostly numbers, sometimes what the orjson path must refuse or explain.
ENTRIES = NUMBERS | st.sampled_from([None, True, False, "1", [], [1.0], {}])
ROWS = st.lists(ENTRIES, min_size=0, max_size=6)
LOGITS = ROWS | st.lists(ROWS, min_size=0, max_size=3) | JSON_VALUES


def _canonical(value):
    """JSON text that tells 1 from 1.0 and keeps key order."""
    return json.dumps(value, allow_nan=True)


def _assert_same_as_orjson(data: bytes) -> None:
    fast = fastjson.document(data)
    if fast is None:
        return
    reference = orjson.loads(data)
    assert list(fast) == list(reference)  # same keys, same order
    logits, expected = fast.pop("logits"), reference.pop("logits")
    values = [v for row in expected for v in row] if isinstance(expected[0], list) else expected
    assert all(type(value) in (int, float) for value in values)  # no boolean taken for 0 / 1
    assert logits.dtype == np.float64
    assert np.array_equal(logits, np.array(expected, dtype=np.float64))
    assert logits.shape == np.shape(expected)
    assert _canonical(fast) == _canonical(reference)


def _encodings(document) -> list[bytes]:
    """The document as json.dumps writes it (ASCII escapes, indents) and as orjson does."""
    out = [json.dumps(document).encode(), json.dumps(document, indent=1).encode()]
    with contextlib.suppress(TypeError):  # orjson refuses integers beyond 64 bits
        out.append(orjson.dumps(document))
    return out


@settings(max_examples=400, deadline=None)
@given(logits=LOGITS, others=st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=4))
def test_documents_it_takes_read_as_orjson_reads_them(logits, others):
    for data in _encodings({**others, "logits": logits}):
        try:
            orjson.loads(data)
        except orjson.JSONDecodeError:  # e.g. integers beyond 64 bits
            assert fastjson.document(data) is None
            continue
        _assert_same_as_orjson(data)


@settings(max_examples=300, deadline=None)
@given(prefix=st.binary(max_size=3), cut=st.integers(0, 60), junk=st.binary(max_size=4))
def test_damaged_bodies_are_left_to_orjson(prefix, cut, junk):
    valid = b'{"logits": [[1.5, -2], [0.25, 3e5]], "seed": 7, "temperature": [0.5, 1]}'
    data = prefix + valid[:cut] + junk + valid[cut:]
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        assert fastjson.document(data) is None
        return
    _assert_same_as_orjson(data)


@pytest.mark.parametrize("data", [
    b'{"logits": [1, [2]]}',                      # nested singleton: flattens to two numbers
    b'{"logits": [[1, [2]], [3, 4]]}',
    b'{"logits": [1, 2], "logits": [3, 4]}',     # orjson keeps the last, simdjson the first
    b'\xef\xbb\xbf{"logits": [1]}',              # orjson refuses a byte order mark
    b'{"logits": [1], "preset": "a\\u0041"}',      # escapes: left to orjson
    b'{"logits": [1, true]}', b'{"logits": [null, 1]}', b'{"logits": []}', b'{"logits": [[]]}',
    b'{"logits": [[1, 2], [3]]}', b'{"logits": [[1], 2]}', b'[1, 2]', b'{"seed": 1}',
    b'{"logits": [1, NaN]}', b'{"logits": [1, 99999999999999999999999]}',
])
def test_bodies_only_the_orjson_path_may_answer(data):
    assert fastjson.document(data) is None


def test_plain_bodies_take_the_fast_path():
    one = fastjson.document(b' {"seed": 3, "logits": [1, -2.5, 3e2], "context": [[0, 1]]}')
    assert list(one) == ["seed", "logits", "context"]
    assert one["logits"].tolist() == [1.0, -2.5, 300.0] and one["context"] == [[0, 1]]
    two = fastjson.document(b'{"logits": [[1, 2], [3, 4]], "temperature": [0.5, 1]}')
    assert two["logits"].shape == (2, 2) and two["temperature"] == [0.5, 1]


def test_the_endpoint_answers_the_same_either_way(client):
    """The same request with an escape in a string (orjson path) and without (fast path)."""
    row = np.random.default_rng(3).normal(0, 2, 300).round(3).tolist()
    fast = client.post("/sample", json={"logits": [row, row[::-1]], "seed": [4, 5],
                                        "top_p": 0.9, "preset": "vllm", "logprobs": 2})
    data = json.dumps({"logits": [row, row[::-1]], "seed": [4, 5], "top_p": 0.9,
                       "preset": "vll\\u006d", "logprobs": 2}).replace("\\\\", "\\")
    assert fastjson.document(data.encode()) is None
    slow = client.post("/sample", data=data, content_type="application/json")
    assert fast.status_code == slow.status_code == 200
    assert fast.get_json() == slow.get_json()


def test_a_value_of_the_last_body_kept_alive_does_not_block_the_next():
    held = fastjson._parse(b'{"a": [1, 2]}')["a"]  # a live proxy pins the thread's parser
    assert fastjson.document(b'{"logits": [1, 2]}')["logits"].tolist() == [1.0, 2.0]
    assert held.as_list() == [1, 2]


def test_large_bodies_get_their_own_parser(monkeypatch):
    monkeypatch.setattr(fastjson, "_REUSED_UP_TO", 16)
    shared = fastjson._local.__dict__.get("parser")
    body = b'{"logits": [[1.5, 2], [3, 4.25]], "seed": 9}'
    assert fastjson.document(body)["logits"].tolist() == [[1.5, 2.0], [3.0, 4.25]]
    assert fastjson._local.__dict__.get("parser") is shared


@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a": ', "}")])
@pytest.mark.parametrize("depth", [990, 1100])
def test_deep_nesting_beside_the_logits_is_a_4xx(client, opening, closing, depth):
    data = '{"logits": [1, 2], "context": ' + opening * depth + "1" + closing * depth + "}"
    response = client.post("/sample", data=data, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/problem+json"
