"""The real server at the edges of HTTP: chunked bodies, Expect, gunicorn's own refusals,
forwarded headers and clients too slow for a sync worker."""

import json
import socket

import numpy as np
import pytest

from tests.service.helpers import http_request, log_lines, problem_reply, raw_exchange, serving

pytestmark = pytest.mark.slow

LIMIT = 65536  # LOGITLAB_MAX_CONTENT_LENGTH of the server below
TIMEOUT = 15  # its --timeout: a worker boots (imports numpy, Flask) within it on a busy machine
OCTET = b"Content-Type: application/octet-stream\r\n"
RENDER = json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("edges") / "server.log"
    with serving(log, "--timeout", str(TIMEOUT),
                 env={"LOGITLAB_MAX_CONTENT_LENGTH": str(LIMIT)}) as running:
        yield running


def _head(path: str, *headers: bytes) -> bytes:
    return b"POST %s HTTP/1.1\r\nHost: x\r\n%s\r\n" % (path.encode(), b"".join(headers))


def _chunked(data: bytes, piece: int = 4096) -> list[bytes]:
    parts = [data[i:i + piece] for i in range(0, len(data), piece)]
    return [b"%x\r\n%s\r\n" % (len(part), part) for part in parts] + [b"0\r\n\r\n"]


def _status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def _reply_id(reply: bytes) -> str:
    head = reply.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    ids = [line.split(":", 1)[1].strip() for line in head.split("\r\n")
           if line.lower().startswith("x-request-id:")]
    assert len(ids) == 1, head
    return ids[0]


def _logged(log, request_id: str) -> dict:
    mine = [line for line in log_lines(log) if line["request_id"] == request_id]
    assert len(mine) == 1, mine
    assert mine[0]["latency_ms"] >= 0
    return mine[0]


@pytest.mark.parametrize(("path", "kind"), [("/sample?vocab=4", OCTET),
                                            ("/render", b"Content-Type: application/json\r\n")])
@pytest.mark.parametrize("framing", [b"zz\r\nabc\r\n0\r\n\r\n",  # a size that is not hex
                                     b"3\r\nabcX\r\n0\r\n\r\n"])  # no CRLF after the chunk
def test_malformed_chunk_framing_is_a_400(server, path, kind, framing):
    """Found by probing: gunicorn's chunk errors reached the app's 500 handler, a traceback in
    the log; on /sample and on the webargs endpoints alike."""
    _, base, log = server
    reply = raw_exchange(base, _head(path, kind, b"Transfer-Encoding: chunked\r\n"), [framing])
    assert "chunk" in problem_reply(reply, 400)["detail"]
    assert _logged(log, _reply_id(reply))["status"] == 400
    assert "Traceback" not in log.read_text()


def test_a_chunked_body_cut_short_is_a_400_that_says_so(server):
    _, base, _ = server
    reply = raw_exchange(base, _head("/sample?vocab=4", OCTET, b"Transfer-Encoding: chunked\r\n"),
                         [b"100\r\n" + b"\0" * 10])
    assert "last chunk" in problem_reply(reply, 400)["detail"]


@pytest.mark.parametrize(("path", "kind", "body"), [
    ("/sample?vocab=1000", OCTET, np.zeros(LIMIT // 4 + 1000, np.float32).tobytes()),
    ("/render", b"Content-Type: application/json\r\n",
     json.dumps({"messages": [{"role": "user", "content": "a" * LIMIT}]}).encode()),
])
def test_a_chunked_body_beyond_the_limit_is_a_413(server, path, kind, body):
    """Found by probing: werkzeug stops reading a body without a length at the limit, and the
    app went on with the first MAX_CONTENT_LENGTH bytes (a 422 about their shape, or a 400)."""
    _, base, _ = server
    reply = raw_exchange(base, _head(path, kind, b"Transfer-Encoding: chunked\r\n"),
                         _chunked(body))
    problem_reply(reply, 413)


def test_chunked_bodies_up_to_the_limit_are_read_whole(server):
    _, base, log = server
    logits = np.random.default_rng(3).normal(size=(4, LIMIT // 16)).astype(np.float32)
    head = _head(f"/sample?vocab={LIMIT // 16}&seed=1", OCTET, b"Transfer-Encoding: chunked\r\n")
    reply = raw_exchange(base, head, _chunked(logits.tobytes()))
    direct = http_request(base, f"/sample?vocab={LIMIT // 16}&seed=1", logits.tobytes(),
                          "application/octet-stream")
    assert reply.startswith(b"HTTP/1.1 200 "), reply[:300]
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1]) == json.loads(direct[2])
    assert _logged(log, _reply_id(reply))["bytes_in"] == LIMIT  # the bytes read, not 0
    rendered = raw_exchange(base, _head("/render", b"Content-Type: application/json\r\n",
                                        b"Transfer-Encoding: chunked\r\n"), _chunked(RENDER, 7))
    assert rendered.startswith(b"HTTP/1.1 200 "), rendered[:300]
    assert json.loads(rendered.split(b"\r\n\r\n", 1)[1])["text"]


def _first_reply(base: str, head: bytes) -> bytes:
    """The server's first answer to request headers alone, before any body byte is sent."""
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        return sock.recv(65536)


def test_expect_100_continue_is_refused_before_a_body_beyond_the_limit(server):
    """Found by probing: gunicorn invited the body with a 100 Continue, then the app's 413
    came and the client had already started sending (curl: megabytes of a 65 MiB upload)."""
    _, base, _ = server
    expect = b"Expect: 100-continue\r\n"
    too_big = raw_exchange(base, _head("/sample?vocab=4", OCTET, expect,
                                       b"Content-Length: %d\r\n" % (LIMIT + 1)), [])
    problem_reply(too_big, 413)
    fits = _first_reply(base, _head("/sample?vocab=4", OCTET, expect,
                                    b"Content-Length: 16\r\n"))
    assert fits == b"HTTP/1.1 100 Continue\r\n\r\n"


def test_a_script_name_header_is_not_trusted(server):
    """Found by probing: gunicorn trusts SCRIPT_NAME from loopback clients by default, and a
    path outside it was a 500 ("Configuration problem"); the app is always served at /."""
    _, base, _ = server
    head = _head("/render", b"Content-Type: application/json\r\n", b"SCRIPT_NAME: /elsewhere\r\n",
                 b"Content-Length: %d\r\n" % len(RENDER))
    reply = raw_exchange(base, head, [RENDER])
    assert reply.startswith(b"HTTP/1.1 200 "), reply[:300]


@pytest.mark.parametrize(("head", "status", "method"), [
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431, None),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, None),
    (b"POST /sample HTTP/1.1\r\nHost: x\r\nX-Request-ID: mine-1\r\nContent-Length: x\r\n\r\n",
     400, "POST"),
])
def test_requests_gunicorn_refuses_carry_a_request_id_and_a_log_line(server, head, status,
                                                                     method):
    """Found by probing: gunicorn's refusals had neither an X-Request-ID nor an access line."""
    _, base, log = server
    reply = raw_exchange(base, head, [])
    problem_reply(reply, status)
    request_id = _reply_id(reply)
    line = _logged(log, request_id)
    assert line["status"] == status and line["method"] == method
    if method:  # the request line was read: the client's own id is kept, as the app does
        assert request_id == "mine-1" and line["path"] == "/sample"


def test_a_client_slower_than_the_timeout_gets_a_408(server):
    """Found by probing: when the arbiter aborted a worker stuck on a slow client, the client
    got a 500 and the log a SystemExit traceback."""
    _, base, log = server
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT * 4) as sock:
        sock.sendall(b"POST /sample HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert str(TIMEOUT) in problem_reply(reply, 408)["detail"]
    assert _logged(log, _reply_id(reply))["status"] == 408
    assert "Traceback" not in log.read_text()
    assert http_request(base, "/healthz")[0] == 200


def test_a_worker_abort_is_a_408_while_reading_the_client_and_a_503_in_the_app():
    """Which side was too slow, from where gunicorn's abort handler interrupted the worker."""
    from gunicorn.http.unreader import IterUnreader

    from runner.cli.gunicorn_hooks import timeout_status

    def stalled():
        raise SystemExit(1)  # as if the abort came while gunicorn waited on the socket
        yield b""

    with pytest.raises(SystemExit) as reading:
        IterUnreader(stalled()).read()
    assert timeout_status(reading.value) == 408

    def computing():
        raise SystemExit(1)  # as if it came in the middle of the app's own work

    with pytest.raises(SystemExit) as working:
        computing()
    assert timeout_status(working.value) == 503
