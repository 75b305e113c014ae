"""The real thing: `logitlab serve` on a free loopback port, called over HTTP."""

import io
import json
import os
import signal
import socket
import time
from pathlib import Path

import numpy as np
import pytest

from tests.service.helpers import (
    assert_same_result,
    children,
    http_request,
    log_lines,
    problem_reply,
    raw_exchange,
    serving,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("server") / "server.log"
    with serving(log, "--timeout", "20") as running:
        yield running


def test_json_octet_stream_and_npy(server):
    _, base, log = server
    array = np.random.default_rng(1).normal(size=(2, 100)).astype(np.float32)
    query = "?seed=11&seed=12&n=3&logprobs=2"
    status, headers, body = http_request(
        base, "/sample", json.dumps({"logits": array.tolist(), "seed": [11, 12], "n": 3,
                                     "logprobs": 2}).encode(), "application/json",
        {"X-Request-ID": "server-test-1"})
    assert status == 200 and headers["X-Request-ID"] == "server-test-1"
    as_json = json.loads(body)
    status, _, body = http_request(base, f"/sample{query}&vocab=100", array.tobytes(),
                               "application/octet-stream")
    assert status == 200
    as_octet = json.loads(body)
    assert_same_result(as_json, as_octet)  # JSON numbers arrive as float64, raw as float32
    buffer = io.BytesIO()
    np.save(buffer, array)
    status, _, body = http_request(base, f"/sample{query}", buffer.getvalue(), "application/x-npy")
    assert status == 200 and json.loads(body) == as_octet
    assert [len(row) for row in as_json["tokens"]] == [3, 3]
    status, headers, body = http_request(base, "/sample", b"{", "application/json")
    assert status == 400 and headers["Content-Type"] == "application/problem+json"
    mine = [line for line in log_lines(log) if line["request_id"] == "server-test-1"]
    assert mine and mine[0]["status"] == 200 and mine[0]["latency_ms"] > 0


def test_chunked_short_and_oversized_bodies(server):
    """Bodies without a Content-Length are read to their end; a body shorter than its
    Content-Length is a 400 and one declared beyond the limit a 413, never a 500."""
    _, base, _ = server
    body = json.dumps({"logits": [0.0, 1.0, 2.0], "seed": 5}).encode()
    start = b"POST /sample HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    chunks = [b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:9], body[9:])] + [b"0\r\n\r\n"]
    chunked = raw_exchange(base, start + b"Transfer-Encoding: chunked\r\n\r\n", chunks)
    direct = http_request(base, "/sample", body, "application/json")
    assert chunked.startswith(b"HTTP/1.1 200"), chunked
    assert json.loads(chunked.split(b"\r\n\r\n", 1)[1]) == json.loads(direct[2])
    short = raw_exchange(base, start + b"Content-Length: %d\r\n\r\n" % (len(body) + 10), [body])
    assert short.startswith(b"HTTP/1.1 400"), short
    assert b"application/problem+json" in short and b"Traceback" not in short
    huge = raw_exchange(base, start + b"Content-Length: %d\r\n\r\n" % (65 * 2**20), [body])
    assert huge.startswith(b"HTTP/1.1 413"), huge
    assert b"application/problem+json" in huge


def test_requests_gunicorn_refuses_are_problem_json_too(server):
    """A request line or header beyond gunicorn's limits, or a malformed header, is refused
    before the app sees it: still problem+json, saying what to do about it."""
    _, base, _ = server
    long_query = "context=" + ",".join(["12345"] * 1600)  # ~9.6 KB
    too_long = raw_exchange(base, f"POST /sample?{long_query} HTTP/1.1\r\nHost: x\r\n"
                                   "Content-Length: 0\r\n\r\n".encode(), [])
    assert "JSON body" in problem_reply(too_long, 414)["detail"]
    big_header = raw_exchange(base, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
                                     + b"a" * 9000 + b"\r\n\r\n", [])
    problem_reply(big_header, 431)
    negative = raw_exchange(base, b"POST /sample HTTP/1.1\r\nHost: x\r\n"
                                   b"Content-Length: -5\r\n\r\n", [])
    assert "CONTENT-LENGTH" in problem_reply(negative, 400)["detail"].upper()


def test_a_thousand_context_ids_fit_in_the_query_string(server):
    """Beyond gunicorn's default 4094-byte request line, up to its largest (8190 bytes)."""
    _, base, _ = server
    logits = np.random.default_rng(4).normal(size=(1, 5000)).astype(np.float32)
    context = np.random.default_rng(5).integers(1000, 5000, 1100).tolist()  # 4 digits each
    query = f"seed=3&presence_penalty=1.5&context={','.join(map(str, context))}"
    assert 4094 < len(f"POST /sample?{query} HTTP/1.1") <= 8190
    status, _, body = http_request(base, f"/sample?{query}&vocab=5000", logits.tobytes(),
                               "application/octet-stream")
    assert status == 200, body
    status, _, as_json = http_request(base, "/sample", json.dumps({
        "logits": logits.tolist(), "seed": 3, "presence_penalty": 1.5,
        "context": context}).encode(), "application/json")
    assert status == 200
    assert_same_result(json.loads(as_json), json.loads(body))


def test_multipart_carries_a_context_no_query_string_could(server):
    _, base, _ = server
    logits = np.random.default_rng(6).normal(size=(1, 5000)).astype(np.float32)
    params = {"seed": 2, "repetition_penalty": 1.2,
              "context": np.random.default_rng(7).integers(0, 5000, 5000).tolist()}
    body = b"".join([
        b"--cut\r\nContent-Disposition: form-data; name=\"logits\"; filename=\"l.f32\"\r\n"
        b"Content-Type: application/octet-stream\r\n\r\n", logits.tobytes(),
        b"\r\n--cut\r\nContent-Disposition: form-data; name=\"params\"\r\n\r\n",
        json.dumps(params).encode(), b"\r\n--cut--\r\n"])
    status, _, as_parts = http_request(base, "/sample?vocab=5000", body,
                                   "multipart/form-data; boundary=cut")
    assert status == 200, as_parts
    status, _, as_json = http_request(base, "/sample", json.dumps(
        {"logits": logits.tolist(), **params}).encode(), "application/json")
    assert status == 200
    assert_same_result(json.loads(as_parts), json.loads(as_json))


def test_workers_are_pinned_to_one_thread(server):
    process, base, _ = server
    for _ in range(4):  # let every worker do some numpy work first
        http_request(base, "/sample", json.dumps({"logits": [0.0] * 5000}).encode(),
                 "application/json")
    workers = children(process.pid)
    assert len(workers) == 2
    for pid in workers:
        status = Path(f"/proc/{pid}/status").read_text()
        assert "Threads:\t1\n" in status, status


def test_dead_worker_is_replaced(server):
    process, base, _ = server
    before = children(process.pid)
    os.kill(before[0], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while True:
        after = children(process.pid)
        if len(after) == 2 and before[0] not in after:
            break
        assert time.monotonic() < deadline, after
        time.sleep(0.2)
    for _ in range(4):
        assert http_request(base, "/healthz")[0] == 200


def test_sigterm_drains_in_flight_requests(server):
    process, base, log = server
    port = int(base.rsplit(":", 1)[1])
    body = json.dumps({"logits": [0.0, 1.0, 2.0], "seed": 5}).encode()
    head = (f"POST /sample HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + body[:5])  # a worker is now mid-request, waiting for the rest
        time.sleep(1.5)
        process.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        sock.sendall(body[5:])
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200"), reply
    assert b'"tokens"' in reply
    assert process.wait(30) == 0, log.read_text()


def test_bad_configuration_stops_serve_before_any_worker(monkeypatch):
    from click.testing import CliRunner

    from runner.cli.serve import serve

    def no_exec(*args):
        raise AssertionError("serve must not restart itself with a bad configuration")

    monkeypatch.setattr(os, "execv", no_exec)
    monkeypatch.setenv("LOGITLAB_MAX_VOCAB", "lots")
    result = CliRunner().invoke(serve, ["--port", "1"])
    assert result.exit_code == 2
    assert "LOGITLAB_MAX_VOCAB" in result.output


def test_gunicorn_options():
    from runner.cli import gunicorn_hooks
    from runner.cli.serve import REQUEST_LINE_LIMIT, gunicorn_options

    options = gunicorn_options("::1", 8123, 3, 30, "info")
    assert options["bind"] == "[::1]:8123"
    assert options["worker_class"] == "sync" and options["workers"] == 3
    assert options["graceful_timeout"] == 30
    assert options["post_worker_init"] is gunicorn_hooks.init_worker
    assert options["worker_abort"] is gunicorn_hooks.worker_abort
    assert options["pre_request"] is gunicorn_hooks.no_early_continue
    assert options["limit_request_line"] == REQUEST_LINE_LIMIT
    assert options["forwarder_headers"] == ""
