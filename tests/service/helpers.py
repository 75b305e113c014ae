"""Builders and assertions shared by the service tests, and the real server's helpers."""

import contextlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

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


# The real server: `logitlab serve` on a free loopback port, called over HTTP or raw sockets.

def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def logitlab_command() -> list[str]:
    """The installed `logitlab` console script."""
    script = Path(sys.executable).with_name("logitlab")
    found = str(script) if script.exists() else shutil.which("logitlab")
    assert found, "the logitlab console script is not installed (pip install -e .)"
    return [found]


def http_request(base, path, data=None, content_type=None, headers=None):
    """(status, headers, body) of one request; HTTP errors are answers, not exceptions."""
    request = urllib.request.Request(base + path, data=data, headers=dict(headers or {}))
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers), error.read()


def children(pid: int) -> list[int]:
    """The process ids of `pid`'s children (gunicorn's workers)."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


@contextlib.contextmanager
def serving(log: Path, *args: str, env: dict[str, str] | None = None, workers: int = 2):
    """Run `logitlab serve --workers N ARGS` with LOGITLAB_* from `env` only; yields
    (process, base URL, log path) once /healthz answers, and stops the server afterwards."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LOGITLAB_")}
    environ.pop("OPENBLAS_NUM_THREADS", None)  # serve must pin the threads itself
    environ.update(env or {})
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*logitlab_command(), "serve", "--port", str(port), "--workers", str(workers),
             *args],
            stdout=sink, stderr=subprocess.STDOUT, env=environ)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if http_request(base, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield process, base, log
    finally:
        if process.poll() is None:
            process.terminate()  # the arbiter stops its workers too; SIGKILL would orphan them
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def raw_exchange(base: str, head: bytes, body_parts: list[bytes]) -> bytes:
    """Send a hand-written request (then close our side) and return the whole reply."""
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        for part in body_parts:
            sock.sendall(part)
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


def problem_reply(reply: bytes, status: int) -> dict:
    """`reply` (raw HTTP) is a problem+json with `status`; returns the document."""
    head, body = reply.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 %d " % status), reply[:300]
    assert b"\r\nContent-Type: application/problem+json\r\n" in head
    document = json.loads(body)
    assert set(document) == PROBLEM_KEYS and document["status"] == status
    assert document["title"] and document["detail"] and b"Traceback" not in reply
    return document


def log_lines(log: Path) -> list[dict]:
    """The structured (JSON) lines of a server log."""
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
