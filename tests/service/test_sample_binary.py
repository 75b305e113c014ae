"""POST /sample with application/octet-stream and application/x-npy bodies."""

import io
import struct

import numpy as np
import pytest

from service.sampling import sample
from tests.service.helpers import assert_problem, assert_same_result, logits, npy_bytes

OCTET, NPY = "application/octet-stream", "application/x-npy"


def post_raw(client, data, content_type, query="", headers=None):
    return client.post(f"/sample{query}", data=data, content_type=content_type,
                       headers=headers or {})


def test_octet_stream_with_vocab_query(client):
    array = logits(3, 64)
    response = post_raw(client, array.tobytes(), OCTET, "?vocab=64&seed=9&n=2&top_p=0.9")
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == sample(array, seed=9, n=2, top_p=0.9).to_dict()


@pytest.mark.parametrize("shape", ["64", "1,64", "1x64"])
def test_octet_stream_with_shape_header(client, shape):
    array = logits(1, 64, seed=2)
    response = post_raw(client, array.tobytes(), OCTET, "?seed=1",
                        headers={"X-Logits-Shape": shape})
    assert response.status_code == 200
    assert response.get_json() == sample(array, seed=1).to_dict()


def test_octet_stream_is_little_endian_float32(client):
    array = np.array([[0.0, 50.0, 0.0, -np.inf]], dtype="<f4")
    response = post_raw(client, array.tobytes(), OCTET, "?vocab=4&temperature=0")
    assert response.get_json()["tokens"] == [[1]]


def test_binary_and_json_agree(client):
    array = logits(2, 32, seed=3)
    query = "?seed=4&seed=5&temperature=0.7,1.3&logprobs=2&return_probs=true&trace=1"
    binary = post_raw(client, array.tobytes(), OCTET, query + "&vocab=32").get_json()
    npy = post_raw(client, npy_bytes(array), NPY, query).get_json()
    as_json = client.post("/sample", json={"logits": array.tolist(), "seed": [4, 5],
                                           "temperature": [0.7, 1.3], "logprobs": 2,
                                           "return_probs": True, "trace": True}).get_json()
    assert binary == npy  # both float32: identical
    assert_same_result(as_json, binary)  # JSON numbers are float64


@pytest.mark.parametrize("dtype", ["<f2", "<f4", "<f8", ">f4", ">f8"])
@pytest.mark.parametrize("ndim", [1, 2])
def test_npy_dtypes_and_ranks(client, dtype, ndim):
    array = logits(1, 16, seed=5)[0] if ndim == 1 else logits(2, 16, seed=5)
    array = array.astype(dtype)
    response = post_raw(client, npy_bytes(array), NPY, "?seed=3&n=2")
    assert response.status_code == 200, response.get_json()
    expected = sample(array.astype(array.dtype.newbyteorder("=")), seed=3, n=2).to_dict()
    assert response.get_json() == expected


def test_npy_fortran_order(client):
    array = np.asfortranarray(logits(3, 8, seed=6))
    response = post_raw(client, npy_bytes(array), NPY, "?seed=2")
    assert response.get_json() == sample(np.ascontiguousarray(array), seed=2).to_dict()


class _Boom:
    """Unpickling this would call `_Boom.boom`; the service must never do it."""

    fired = False

    @staticmethod
    def boom():
        _Boom.fired = True
        return 0.0

    def __reduce__(self):
        return (_Boom.boom, ())


def test_pickled_npy_is_rejected_unopened(client):
    array = np.array([_Boom(), 1.0], dtype=object)
    data = npy_bytes(array)
    assert b"boom" in data  # a real pickle that would call _Boom.boom when loaded
    _Boom.fired = False
    response = post_raw(client, data, NPY)
    assert_problem(response, 422, "logits", "pickle")
    assert _Boom.fired is False


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.arange(4, dtype=np.int32), "dtype"),
        (np.zeros(4, dtype=np.complex64), "dtype"),
        (np.zeros((2, 2, 2), dtype=np.float32), "shape"),
        (np.zeros((0,), dtype=np.float32), "shape"),
        (np.zeros(3, dtype=[("a", "<f4")]), "dtype"),
    ],
)
def test_npy_wrong_dtype_or_shape(client, array, message):
    assert_problem(post_raw(client, npy_bytes(array), NPY), 422, "logits", message)


@pytest.mark.parametrize(
    "data",
    [
        b"not an npy file at all",
        b"\x93NUMPY",
        b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'}   \n",
        b"\x93NUMPY\x09\x00\x10\x00garbage garbage\n",
        b"\x93NUMPY\x01\x00\xff\xff" + b"x" * 10,
    ],
)
def test_npy_garbage(client, data):
    assert_problem(post_raw(client, data, NPY), 422, "logits")


def test_npy_truncated_or_padded(client):
    data = npy_bytes(logits(1, 10)[0])
    assert_problem(post_raw(client, data[:-4], NPY), 422, "logits", "bytes")
    assert_problem(post_raw(client, data + b"\0\0\0\0", NPY), 422, "logits", "bytes")


def test_npy_nan_and_inf(client):
    array = np.array([[0.0, 1.0], [np.nan, 0.0]], dtype=np.float32)
    assert_problem(post_raw(client, npy_bytes(array), NPY), 422, "logits", "row 1")
    array = np.array([0.0, np.inf], dtype=np.float64)
    assert_problem(post_raw(client, npy_bytes(array), NPY), 422, "logits")


def test_octet_stream_errors(client):
    data = logits(2, 8).tobytes()
    assert_problem(post_raw(client, data, OCTET), 422, "vocab", "X-Logits-Shape")
    assert_problem(post_raw(client, data[:-1], OCTET, "?vocab=8"), 422, "logits", "float32")
    assert_problem(post_raw(client, data, OCTET, "?vocab=5"), 422, "logits", "vocab=5")
    assert_problem(post_raw(client, data, OCTET, headers={"X-Logits-Shape": "3,8"}), 422,
                   "logits", "needs 24")
    assert_problem(post_raw(client, data, OCTET, "?vocab=4", {"X-Logits-Shape": "2,8"}), 422,
                   "vocab")
    for bad in ["", "a,b", "0,16", "1,2,8", "-2,-8"]:
        response = post_raw(client, data, OCTET, headers={"X-Logits-Shape": bad})
        assert_problem(response, 422, "X-Logits-Shape")
    assert_problem(post_raw(client, data, OCTET, "?vocab=0"), 422, "vocab")
    assert_problem(post_raw(client, data, OCTET, "?vocab=x"), 422, "vocab")


def test_vocab_only_with_octet_stream(client):
    response = client.post("/sample?vocab=2", json={"logits": [0.0, 1.0]})
    assert_problem(response, 422, "vocab")


def test_all_masked_row_is_named(client):
    array = np.array([[0.0, 1.0], [-np.inf, -np.inf]], dtype=np.float32)
    response = post_raw(client, array.tobytes(), OCTET, "?vocab=2")
    assert_problem(response, 422, "logits", "row 1")


def test_binary_parameter_errors_come_from_the_query(client):
    data = logits(1, 8).tobytes()
    response = post_raw(client, data, OCTET, "?vocab=8&temperature=-1")
    assert_problem(response, 422, "temperature")
    response = post_raw(client, data, OCTET, "?vocab=8&temprature=1")
    assert_problem(response, 422, "temprature")
    response = post_raw(client, data, OCTET, "?vocab=8&logit_bias=%7Bnot-json")
    assert_problem(response, 422, "logit_bias")
    response = post_raw(client, data, OCTET, '?vocab=8&logit_bias={"3":100}&n=4&seed=1')
    assert response.get_json()["tokens"] == [[3] * 4]
    response = post_raw(client, data, OCTET, "?vocab=8&context=1,1,2&repetition_penalty=1.3")
    assert response.status_code == 200
    response = post_raw(client, data, OCTET, "?vocab=8&context=[1,9]&repetition_penalty=1.3")
    assert_problem(response, 422, "context")
    response = post_raw(client, data, OCTET, "?vocab=8&order=top_k,temperature&top_k=2&trace=1")
    assert [s["stage"] for s in response.get_json()["trace"][0]] == ["top_k", "temperature"]


def _npy_with_header(header: bytes) -> bytes:
    """A .npy v1.0 file with this header text and 8 bytes of data."""
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\0" * 8


# Found by fuzzing: numpy's header parser raises far more than ValueError on crafted headers.
UNREADABLE = "not a readable .npy file"
CRAFTED_HEADERS = [
    (b"{", UNREADABLE),  # tokenize.TokenError
    (b"{[]: 1}", UNREADABLE),  # TypeError: unhashable
    (b"-" * 5000 + b"1", UNREADABLE),  # RecursionError
    (b"  1\n 2", UNREADABLE),  # IndentationError
    (b"{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,), }", UNREADABLE),
    (b"{'descr': '<f4', 'fortran_order': False, 'shape': (True, 2), }", "non-negative integers"),
    (b"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", "non-negative integers"),
]


@pytest.mark.parametrize(("header", "message"), CRAFTED_HEADERS)
def test_npy_crafted_headers_are_422(client, header, message):
    assert_problem(post_raw(client, _npy_with_header(header), NPY), 422, "logits", message)


@pytest.mark.parametrize(("header", "message"), CRAFTED_HEADERS)
def test_npy_crafted_headers_are_422_in_multipart(client, header, message):
    data = {"logits": (io.BytesIO(_npy_with_header(header)), "l.npy", NPY)}
    response = client.post("/sample", data=data, content_type="multipart/form-data")
    assert_problem(response, 422, "logits", message)
