"""Builders and assertions shared by the service tests."""

import io

import numpy as np

PROBLEM_KEYS = {"type", "title", "status", "detail", "errors"}


def assert_problem(response, status: int, field: str | None = None, contains: str = "") -> dict:
    """`response` is an RFC 9457 problem with `status`; `field` (if given) is in its errors."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], dict)
    assert "Traceback" not in response.get_data(as_text=True)
    if field is not None:
        assert field in body["errors"], body
        assert all(isinstance(m, str) for m in body["errors"][field])
    if contains:
        text = " ".join([body["detail"], *(m for ms in body["errors"].values() for m in ms)])
        assert contains in text, body
    return body


def npy_bytes(array: np.ndarray) -> bytes:
    """`array` saved as a .npy file."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=array.dtype.hasobject)
    return buffer.getvalue()


def logits(batch: int, vocab: int, seed: int = 0) -> np.ndarray:
    """Random float32 logits of shape (batch, vocab)."""
    return np.random.default_rng(seed).normal(0, 2, size=(batch, vocab)).astype(np.float32)


def assert_same_result(got: dict, expected: dict, rel: float = 1e-6) -> None:
    """Same draws and shapes; floats equal up to float32 rounding (float32 vs float64 input)."""
    assert set(got) == set(expected)
    for key in ("tokens", "kept", "seed"):
        assert got[key] == expected[key], key
    for key in ("logprobs", "entropy", "probs"):
        if key in got:
            np.testing.assert_allclose(np.asarray(got[key], dtype=float),
                                       np.asarray(expected[key], dtype=float), rtol=rel,
                                       atol=1e-7)
    if "top_logprobs" in got:
        assert [[e["token"] for e in row] for row in got["top_logprobs"]] == \
            [[e["token"] for e in row] for row in expected["top_logprobs"]]
    if "trace" in got:
        assert [[(e["stage"], e["kept"]) for e in row] for row in got["trace"]] == \
            [[(e["stage"], e["kept"]) for e in row] for row in expected["trace"]]
