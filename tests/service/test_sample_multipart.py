"""POST /sample with multipart/form-data: binary logits plus JSON parameters of any length."""

import io
import json

import numpy as np
import pytest

from service.sampling import sample
from tests.service.helpers import assert_problem, logits, npy_bytes

OCTET, NPY, MULTIPART = "application/octet-stream", "application/x-npy", "multipart/form-data"


def post_parts(client, parts: dict, query: str = "", headers=None):
    """`parts`: name -> bytes (a file part, typed octet-stream), (bytes, type) or str (a field)."""
    data = {}
    for name, value in parts.items():
        if isinstance(value, str):
            data[name] = value
        else:
            payload, kind = value if isinstance(value, tuple) else (value, OCTET)
            data[name] = (io.BytesIO(payload), f"{name}.bin", kind)
    return client.post(f"/sample{query}", data=data, content_type=MULTIPART,
                       headers=headers or {})


def test_a_context_too_long_for_any_query_string(client):
    """5000 ids with each of two rows: about 50 KB of parameters beside raw float32 logits."""
    array = logits(2, 6000, seed=1)
    context = np.random.default_rng(2).integers(0, 6000, (2, 5000)).tolist()
    params = {"seed": [3, 4], "n": 2, "context": context, "repetition_penalty": 1.3,
              "top_p": 0.9, "logprobs": 3}
    response = post_parts(client, {"logits": array.tobytes(), "params": json.dumps(params)},
                          "?vocab=6000")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == sample(array, **params).to_dict()


def test_npy_logits_params_as_a_file_and_in_the_query_string(client):
    array = logits(1, 50, seed=5).astype(np.float16)
    response = post_parts(client, {"logits": (npy_bytes(array), NPY),
                                   "params": (b'{"min_p": 0.1, "seed": 8}', "application/json")},
                          "?n=4")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == sample(array, min_p=0.1, seed=8, n=4).to_dict()


def test_logits_alone_with_the_shape_in_a_header(client):
    array = logits(3, 16, seed=6)
    response = post_parts(client, {"logits": array.tobytes()}, "?seed=1",
                          headers={"X-Logits-Shape": "3,16"})
    assert response.status_code == 200
    assert response.get_json() == sample(array, seed=1).to_dict()


@pytest.mark.parametrize("parts, query, status, field, contains", [
    ({"params": '{"seed": 1}'}, "?vocab=4", 422, "logits", "missing"),
    ({"logits": "[1, 2, 3]"}, "", 422, "logits", "a text field"),
    ({"logits": (b"\0" * 16, "text/plain")}, "?vocab=4", 422, "logits", "octet-stream"),
    ({"logits": b""}, "?vocab=4", 422, "logits", "empty"),
    ({"logits": b"\0" * 16}, "", 422, "vocab", "vocab"),
    ({"logits": (npy_bytes(np.zeros(4, np.float32)), NPY)}, "?vocab=4", 422, "vocab", "octet"),
    ({"logits": b"\0" * 16, "extra": "1"}, "?vocab=4", 422, "extra", "Unknown part"),
    ({"logits": b"\0" * 16, "params": "[1]"}, "?vocab=4", 422, "params", "JSON object"),
    ({"logits": b"\0" * 16, "params": '{"temperature": -1}'}, "?vocab=4", 422, "temperature",
     ""),
    ({"logits": b"\0" * 16, "params": '{"logits": [1]}'}, "?vocab=4", 422, "logits",
     "Unknown"),
    ({"logits": b"\0" * 16, "params": '{"seed": 1}'}, "?vocab=4&seed=2", 422, "seed", "both"),
])
def test_parts_that_are_wrong_say_which(client, parts, query, status, field, contains):
    assert_problem(post_parts(client, parts, query), status, field, contains)


def test_unreadable_multipart_bodies_are_a_400(client):
    for content_type, body in [(MULTIPART, b"--x\r\n"),  # no boundary parameter
                               (f"{MULTIPART}; boundary=x", b"\xff" * 40),
                               (f"{MULTIPART}; boundary=x", b"--x\r\nContent-Dis")]:
        response = client.post("/sample", data=body, content_type=content_type)
        assert_problem(response, 400, contains="multipart body cannot be read")
    params = client.post("/sample?vocab=4", data={
        "logits": (io.BytesIO(b"\0" * 16), "l", OCTET), "params": "{"}, content_type=MULTIPART)
    assert_problem(params, 400, contains="The params part is not valid JSON")


def test_a_part_given_twice_is_refused(client):
    body = (b"--b\r\nContent-Disposition: form-data; name=\"logits\"; filename=\"a\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n" + b"\0" * 8 + b"\r\n") * 2
    response = client.post("/sample?vocab=2", data=body + b"--b--\r\n",
                           content_type=f"{MULTIPART}; boundary=b")
    assert_problem(response, 422, "logits", "more than once")
