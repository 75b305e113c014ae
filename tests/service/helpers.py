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
