"""Every bad request gets a problem+json with the right status; nothing reaches a 500."""

import io
import json
import logging

import marshmallow as ma
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.service.helpers import assert_problem

ROW = [0.0, 1.0, 2.0]


def post_json(client, body):
    return client.post("/sample", data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("data", [b"{", b"{'logits': [1]}", b"[1, 2", b"\xff\xfe\x00", b"nul"])
def test_malformed_json_is_400(client, data):
    response = client.post("/sample", data=data, content_type="application/json")
    assert_problem(response, 400, contains="JSON")


def test_empty_body_is_400(client):
    assert_problem(client.post("/sample", content_type="application/json"), 400, contains="empty")


def test_body_too_large_is_413(make_app):
    client = make_app(MAX_CONTENT_LENGTH=1024).test_client()
    response = post_json(client, {"logits": [0.5] * 1000})
    assert_problem(response, 413)


@pytest.mark.parametrize(("size", "status"), [(1024, 200), (1028, 413)])
def test_chunked_bodies_are_read_whole_up_to_the_limit(make_app, size, status):
    """A body without a Content-Length is read before the view, whole, and refused past
    MAX_CONTENT_LENGTH (tests/service/test_server_edges.py: the same under gunicorn)."""
    client = make_app(MAX_CONTENT_LENGTH=1024).test_client()
    response = client.post("/sample?vocab=4", input_stream=io.BytesIO(b"\0" * size),
                           headers={"Transfer-Encoding": "chunked",
                                    "Content-Type": "application/octet-stream"})
    if status == 200:
        assert response.status_code == 200 and len(response.get_json()["tokens"]) == size // 16
    else:
        assert_problem(response, status)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "multipart/mixed; boundary=x", "application/xml"])
def test_unsupported_media_type_is_415(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/sample", data=b'{"logits": [1]}', headers=headers)
    body = assert_problem(response, 415, contains="application/json")
    assert "application/x-npy" in body["detail"] and "multipart/form-data" in body["detail"]


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({"logits": ROW, "temperature": -1}, "temperature", ""),
        ({"logits": ROW, "top_p": -0.5}, "top_p", ""),
        ({"logits": ROW, "top_p": 1.5}, "top_p", ""),
        ({"logits": ROW, "top_k": 2.5}, "top_k", ""),
        ({"logits": ROW, "min_p": "lots"}, "min_p", ""),
        ({"logits": ROW, "frequency_penalty": 3}, "frequency_penalty", ""),
        ({"logits": ROW, "repetition_penalty": 0}, "repetition_penalty", ""),
        ({"logits": ROW, "seed": -1}, "seed", ""),
        ({"logits": ROW, "seed": 2**63}, "seed", ""),
        ({"logits": ROW, "seed": 2**70}, "seed", ""),
        ({"logits": ROW, "n": 0}, "n", ""),
        ({"logits": ROW, "preset": "sglang"}, "preset", ""),
        ({"logits": ROW, "order": ["top_k", "top_k"]}, "order", "twice"),
        ({"logits": ROW, "order": ["warp"]}, "order", "at 0:"),
        ({"logits": ROW, "typical_p": 0.5}, "typical_p", "order"),
        ({"logits": ROW, "logit_bias": {"x": 1}}, "logit_bias", ""),
        ({"logits": ROW, "logit_bias": {"1": 101}}, "logit_bias", ""),
        ({"logits": ROW, "logit_bias": {"7": 1}}, "logit_bias", "vocabulary"),
        ({"logits": ROW, "context": [0, 5]}, "context", "vocabulary"),
        ({"logits": ROW, "context": [0, -1]}, "context", ""),
        ({"logits": ROW, "context": [0, "a"]}, "context", ""),
        ({"logits": ROW, "return_probs": "maybe"}, "return_probs", ""),
        ({"logits": ROW, "temperature": []}, "temperature", ""),
        ({"logits": ROW, "banana": 1}, "banana", "Unknown"),
        ({"temperature": 1}, "logits", "required"),
        ({"logits": []}, "logits", ""),
        ({"logits": [[]]}, "logits", "shape"),
        ({"logits": "0.5"}, "logits", ""),
        ({"logits": [1.0, "2"]}, "logits", "position 1"),
        ({"logits": [1.0, True]}, "logits", "boolean"),
        ({"logits": [[0.5, 1], [0, False]]}, "logits", "row 1, position 1: expected a number"),
        ({"logits": [0.0] * 100 + [True]}, "logits", "row 0, position 100: expected a number"),
        ({"logits": [[1.0] * 100, [0.0] * 99 + [True]]}, "logits",
         "row 1, position 99: expected a number"),
        ({"logits": [[1.0], 2.0]}, "logits", "row 1"),
        ({"logits": [[[1.0]]]}, "logits", "array"),
        ({"logits": [[1.0, 2.0], [1.0]]}, "logits", "ragged"),
        ({"logits": [None, None]}, "logits", "row 0"),
        ({"logits": [[0.0, 1.0], [None, None]]}, "logits", "row 1"),
        ({"logits": [[0.0], [1.0]], "temperature": [1, 1, 1]}, "temperature", "batch"),
        ({"logits": [[0.0], [1.0]], "seed": [1]}, "seed", "batch"),
        ({"logits": [[0.0], [1.0]], "logit_bias": [{}]}, "logit_bias", "batch"),
        ({"logits": [[0.0], [1.0]], "context": [[0], [0], [0]]}, "context", ""),
        ({"logits": [[1.0, 2.0], [3e307, 1.0]], "context": [[0], [1, 0]],
          "repetition_penalty": 0.01}, "repetition_penalty", "token 0 in row 1 overflow"),
    ],
)
def test_unprocessable_values_are_422(client, body, field, text):
    assert_problem(post_json(client, body), 422, field, text)


def test_body_must_be_an_object(client):
    assert_problem(post_json(client, [1, 2]), 422, "_schema")


def test_huge_logit_is_422(client):
    data = b'{"logits": [1, 1' + b"0" * 400 + b"]}"
    assert_problem(client.post("/sample", data=data, content_type="application/json"), 422,
                   "logits")


@pytest.mark.parametrize(
    ("settings_", "body", "field"),
    [
        ({"MAX_VOCAB": 4}, {"logits": [0.0] * 5}, "logits"),
        ({"MAX_BATCH": 2}, {"logits": [[0.0]] * 3}, "logits"),
        ({"MAX_N": 10}, {"logits": [0.0], "n": 11}, "n"),
        ({"MAX_CONTEXT": 3}, {"logits": [0.0], "context": [0, 0, 0, 0]}, "context"),
        ({"MAX_PROBS": 3}, {"logits": [0.0] * 4, "return_probs": True}, "return_probs"),
        ({"MAX_LOGPROBS": 2}, {"logits": [0.0], "logprobs": 3}, "logprobs"),
    ],
)
def test_limits_are_configurable_and_enforced(make_app, settings_, body, field):
    client = make_app(**settings_).test_client()
    problem = assert_problem(post_json(client, body), 422, field)
    limit = str(next(iter(settings_.values())))
    assert limit in " ".join(problem["errors"][field])
    ok = {key: value for key, value in body.items() if key == "logits"}
    ok["logits"] = ok["logits"][: 2]
    assert make_app(**settings_).test_client().post("/sample", json=ok).status_code == 200


def test_unknown_path_and_method(client):
    assert_problem(client.get("/nope"), 404)
    response = client.get("/sample")
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_unexpected_errors_are_generic_500s(app, caplog):
    @app.get("/explode")
    def explode():
        raise RuntimeError("secret internals")

    with caplog.at_level(logging.ERROR, logger="logitlab.errors"):
        response = app.test_client().get("/explode", headers={"X-Request-ID": "req-1"})
    body = assert_problem(response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert "req-1" in body["detail"]
    assert any("secret internals" in r.getMessage() or (r.exc_info and "secret internals" in
               str(r.exc_info[1])) for r in caplog.records)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)
param_names = st.sampled_from(["logits", "temperature", "top_k", "top_p", "min_p", "n", "seed",
                               "logit_bias", "context", "order", "preset", "logprobs",
                               "typical_p", "penalty_last_n", "xtc_probability"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(param_names, json_values, max_size=5)
       | st.fixed_dictionaries({"logits": st.lists(st.floats(allow_nan=False) | st.none(),
                                                    min_size=1, max_size=6)},
                               optional={"temperature": json_values, "top_k": json_values,
                                         "logit_bias": json_values, "context": json_values,
                                         "seed": json_values, "order": json_values}))
def test_arbitrary_json_never_fails_the_server(client, body):
    response = client.post("/sample", data=json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 400, 422), response.get_data(as_text=True)
    if response.status_code != 200:
        assert_problem(response, response.status_code)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300), kind=st.sampled_from(["application/octet-stream",
                                                          "application/x-npy",
                                                          "application/json"]),
       query=st.sampled_from(["", "?vocab=3", "?vocab=1", "?seed=1&vocab=2"]))
def test_arbitrary_bytes_never_fail_the_server(client, data, kind, query):
    response = client.post(f"/sample{query}", data=data, content_type=kind)
    assert response.status_code in (200, 400, 422), response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["penalty_last_n=123085055710951201092990285119488",
                                   "top_k=18446744073709551616"])
def test_integers_beyond_64_bits_are_422_in_the_query_and_the_body(client, query):
    """Found by schemathesis: numpy's int64 conversion raised OverflowError (a 500)."""
    field, value = query.split("=")
    in_query = client.post(f"/sample?{query}", data='{"logits": [1.0, 2.0]}',
                           content_type="application/json")
    assert_problem(in_query, 422, field, "2**63")
    in_body = client.post("/sample", data=f'{{"logits": [1.0, 2.0], "{field}": {value}}}',
                          content_type="application/json")
    assert_problem(in_body, 422, field, "2**63")


@pytest.mark.parametrize("data", [
    b'{"logits": [1, 2], "\\ud800": 1}',
    b'{"logits": [1, 2], "logit_bias": {"\\ud800": 1}}',
    b'{"logits": [1, 2], "preset": "\\udc00vllm"}',
    b'{"logits": [1, 2], "temperature": NaN, "\\ud800": 1}',  # the lenient parser's way in
    b'{"logits": [1, 2], "preset": "\xed\xa0\x80"}',
])
def test_a_lone_surrogate_in_the_body_is_400(client, data):
    """Found by fuzzing: the 422 naming the field crashed encoding the surrogate (a 500)."""
    response = client.post("/sample", data=data, content_type="application/json")
    assert_problem(response, 400, contains="surrogate")


def test_a_lone_surrogate_in_the_params_part_is_400(client):
    data = {"logits": (io.BytesIO(b"\0\0\0\0\0\0\x80\x3f"), "l.f32", "application/octet-stream"),
            "params": '{"\\ud800": 1}'}
    response = client.post("/sample?vocab=2", data=data, content_type="multipart/form-data")
    assert_problem(response, 400, contains="The params part is not valid JSON")


def test_problem_documents_survive_any_text(app):
    """A field name or message that is not valid Unicode is escaped, not a crash."""
    @app.get("/odd")
    def odd():
        raise ma.ValidationError({"\ud800": ["no \udfff here"]})

    body = assert_problem(app.test_client().get("/odd"), 422, "\\ud800", "no \\udfff here")
    assert body["detail"] == "\\ud800: no \\udfff here"
