"""service.sample.fastjson: whatever simdjson takes, it reads exactly as orjson does."""

import contextlib
import json

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.sample import fastjson
from tests.service.helpers import http_request, serving

NUMBERS = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-2**70, 2**70)
# `null` and the stand-in fastjson writes for it (9e99), inside strings and keys too.
TEXT = st.text(max_size=6) | st.sampled_from(["null", "nullnull", "a null", "nul", "9e99"])
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT | st.just(9e99)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(TEXT, inner, max_size=3),
                           max_leaves=12)
# Logit entries: mostly numbers, often masked (null), sometimes the stand-in's value or what
# the orjson path must refuse or explain.
ENTRIES = (NUMBERS | st.none()
           | st.sampled_from([True, False, "1", "null", [], [1.0], {}, 9e99, 9e99]))
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
    # No boolean taken for 0 / 1, nothing but a null masked.
    assert all(type(value) in (int, float, type(None)) for value in values)
    assert logits.dtype == np.float64
    masked = np.array(expected, dtype=np.float64)  # a null is NaN here
    assert np.array_equal(logits, np.where(np.isnan(masked), -np.inf, masked))
    assert logits.shape == np.shape(expected)
    assert _canonical(fast) == _canonical(reference)


def _encodings(document) -> list[bytes]:
    """The document as json.dumps writes it (ASCII escapes, indents) and as orjson does."""
    out = [json.dumps(document).encode(), json.dumps(document, indent=1).encode()]
    with contextlib.suppress(TypeError):  # orjson refuses integers beyond 64 bits
        out.append(orjson.dumps(document))
    return out


@settings(max_examples=600, deadline=None)
@given(logits=LOGITS, others=st.dictionaries(TEXT, JSON_VALUES, max_size=4))
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
    b'{"logits": [1, true]}', b'{"logits": [null, "null"]}', b'{"logits": []}',
    b'{"logits": [[]]}', b'{"logits": [null, 1], "seed": null}', b'{"logits": [1, null, -null]}',
    b'{"logits": [null, 1], "null": 1}', b'{"logits": [null, 1], "preset": "null"}',
    b'{"logits": [null, 9e99]}', b'{"logits": [null, 90E98]}', b'{"logits": [null, 1], "x": 9e99}',
    b'{"logits": [null, 1], "x": "9e99"}', b'{"logits": [[null], [1]], "9e99": 1}',
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


def test_masked_logits_are_read_as_minus_infinity():
    one = fastjson.document(b'{"logits": [null, 2.5, null], "seed": 7, "x": ["9e9", 9e98]}')
    assert one["logits"].tolist() == [-np.inf, 2.5, -np.inf]
    assert one["seed"] == 7 and one["x"] == ["9e9", 9e98]
    two = fastjson.document(b'{"logits": [[1, null], [null, null]], "context": [[1]]}')
    assert two["logits"].tolist() == [[1.0, -np.inf], [-np.inf, -np.inf]]
    assert two["context"] == [[1]]


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


@pytest.mark.parametrize("logits", [
    [[None, 1.5, None, -2.0], [0.0, None, 3.0, 1.0]],
    [[1.0, 2.0], [None, None]],                     # an all-masked row: the same 422
])
def test_masked_logits_answer_the_same_either_way(client, logits):
    body = {"logits": logits, "seed": [4, 5], "logprobs": 2, "return_probs": True}
    fast_data = json.dumps(body)
    slow_data = json.dumps({**body, "preset": "vll\\u006d"}).replace("\\\\", "\\")
    assert fastjson.document(fast_data.encode()) is not None
    assert fastjson.document(slow_data.encode()) is None
    fast = client.post("/sample", data=fast_data, content_type="application/json")
    slow = client.post("/sample", data=slow_data, content_type="application/json")
    assert fast.status_code == slow.status_code
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


def test_many_short_rows_keep_their_order():
    document = fastjson.document(b'{"logits": [' + b"[0.5]," * 99_999 + b"[1]]}")
    assert document["logits"].shape == (100_000, 1)
    assert document["logits"][[0, -1], 0].tolist() == [0.5, 1.0]


def test_a_body_with_more_members_than_parameters_goes_to_orjson(client):
    # Each member is looked up by a scan of the object: 80 000 of them took 19 s here.
    members = b"".join(b'"k%d": 1, ' % i for i in range(100_000))
    data = b"{" + members + b'"logits": [1, 2]}'
    assert fastjson.document(data) is None
    assert fastjson.document(b'{"k": 1, "logits": [1, 2]}') is not None
    response = client.post("/sample", data=data, content_type="application/json")
    assert response.status_code == 422
    problem = response.get_json()
    assert set(problem["errors"]) <= {f"k{i}" for i in range(100_000)}
    assert len(problem["errors"]) == 20 and "of 100 000 fields" in problem["detail"]


def test_the_server_refuses_millions_of_rows_within_its_timeout(tmp_path):
    # simdjson finds the i-th element of an array by a scan: reading the rows by position made
    # this quadratic (160 000 rows took 26 s; these 4 000 000 would take hours, a 503 here).
    body = b'{"logits": [' + b"[0]," * 3_999_999 + b'[0]], "seed": 1}'  # 16 MB
    with serving(tmp_path / "server.log", "--timeout", "10", workers=1) as (_, base, _log):
        status, headers, reply = http_request(base, "/sample", body, "application/json")
    assert status == 422, reply[:300]
    assert headers["Content-Type"] == "application/problem+json"
    assert "batch 4000000 exceeds the limit" in json.loads(reply)["errors"]["logits"][0]


def test_a_body_with_more_arrays_than_a_request_holds_goes_to_orjson(client):
    # Each array beside the logits became a Python list, then was walked in Python, only for
    # the context to be refused: 4 000 000 context rows took 7 s here.
    data = b'{"logits": [[1, 2], [3, 4]], "context": [' + b"[1]," * 99_999 + b"[1]]}"
    assert fastjson.document(data) is None
    per_row = b'{"logits": [[1, 2], [3, 4]], "context": [[1], [0, 1]], "order": ["top_k"]}'
    assert fastjson.document(per_row)["context"] == [[1], [0, 1]]
    response = client.post("/sample", data=data, content_type="application/json")
    assert response.status_code == 422
    assert "100 000 rows" in response.get_json()["errors"]["context"][0]
