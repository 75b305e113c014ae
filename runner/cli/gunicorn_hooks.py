"""gunicorn hooks of `logitlab serve`: what gunicorn answers itself looks like what the app does."""

import contextlib
import functools
import os
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

# Each worker is one process handling one request at a time: numpy/BLAS must not fan out.
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
# gunicorn's largest request line (its default is 4094): binary bodies carry their parameters
# in the query string, and a penalty context of ~1000 ids should fit.
REQUEST_LINE_LIMIT = 8190
_HINTS = {
    414: f"; the request line (method, path and query string) may hold {REQUEST_LINE_LIMIT} "
         "bytes: send long parameters such as context or logit_bias in a JSON body, or beside "
         "binary logits as the params part of a multipart/form-data body",
    431: "; a request may carry 100 headers of up to 8190 bytes each",
}

# The connection this sync worker (one request at a time) is on: when it was accepted, the
# request once gunicorn has parsed it, and whether the arbiter aborted the worker.
_current: dict[str, Any] = {"started": 0.0, "req": None, "aborted": False}


def pin_threads() -> None:
    """One numpy/BLAS thread per worker, even if already loaded."""
    for name in THREAD_VARS:
        os.environ[name] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return
    threadpool_limits(limits=1)


def write_problem(sock: Any, status: int, reason: str, message: str) -> None:
    """gunicorn's answer to a request it refuses before the app (a request line too long, a
    malformed header), as problem+json with a request id and an access line, like the app's."""
    from gunicorn import util

    from service.errors import PROBLEM_JSON, problem_document
    from service.logging import log_request, request_id_from

    req = _current["req"]
    sent = dict(req.headers) if req is not None else {}
    request_id = request_id_from(sent.get("X-REQUEST-ID"))
    started = _current["started"] or time.perf_counter()
    log_request(getattr(req, "method", None), getattr(req, "path", None), status,
                (time.perf_counter() - started) * 1000.0, request_id, 0)
    body = problem_document(status, (message or reason) + _HINTS.get(status, ""))
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM_JSON}"
            f"\r\nContent-Length: {len(body)}\r\nX-Request-ID: {request_id}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin-1") + body)


def timeout_status(error: BaseException) -> int:
    """408 if the worker was stopped while gunicorn read the client, 503 if in the app's work."""
    frame = error.__traceback__
    while frame is not None:
        if frame.tb_frame.f_globals.get("__name__", "").startswith("gunicorn.http."):
            return 408
        frame = frame.tb_next
    return 503


def _stopped_detail(status: int, timeout: int) -> str:
    if not _current["aborted"]:
        return "The server stopped before it answered."
    if status == 408:
        return f"The request did not arrive within the server's {timeout} s timeout."
    return f"The request took longer than the server's {timeout} s timeout."


def _handle_error(original: Callable[..., None], timeout: int, req: Any, client: Any,
                  addr: Any, exc: BaseException) -> None:
    """Worker.handle_error, but a worker stopped mid-request answers 408/503 in one line."""
    _current["req"] = req if req is not None else getattr(exc, "req", None)
    if not isinstance(exc, SystemExit):
        original(req, client, addr, exc)
        return
    # SystemExit comes from gunicorn's own signal handlers (SIGABRT past --timeout, SIGINT or
    # SIGQUIT): gunicorn would log it as a crash, with a traceback, and answer 500.
    status = timeout_status(exc) if _current["aborted"] else 503
    with contextlib.suppress(OSError):  # the client may be gone already
        write_problem(client, status, HTTPStatus(status).phrase, _stopped_detail(status, timeout))


def init_worker(worker: Any) -> None:
    """gunicorn post_worker_init hook: pinned threads, and problem+json for gunicorn's errors."""
    from gunicorn import util

    pin_threads()
    # gunicorn classifies a refused request and writes its page through util.write_error
    # (gunicorn.workers.base.Worker.handle_error); only its format changes here.
    util.write_error = write_problem
    handle = worker.handle

    def timed_handle(listener: Any, client: Any, addr: Any) -> None:
        _current.update(started=time.perf_counter(), req=None)
        handle(listener, client, addr)

    worker.handle = timed_handle
    worker.handle_error = functools.partial(_handle_error, worker.handle_error, worker.cfg.timeout)


def worker_abort(worker: Any) -> None:
    """gunicorn worker_abort hook: the arbiter stops a worker whose request passed --timeout."""
    _current["aborted"] = True


def no_early_continue(worker: Any, req: Any) -> None:
    """gunicorn pre_request hook: no 100 Continue invites a body the app refuses as too large,
    so its 413 is the first thing the client hears."""
    worker.log.debug("%s %s", req.method, req.path)  # gunicorn's own pre_request
    if not getattr(req, "_expected_100_continue", False):  # gunicorn sends it before the app
        return
    limit = worker.wsgi.config.get("MAX_CONTENT_LENGTH")
    lengths = [int(value) for name, value in req.headers if name == "CONTENT-LENGTH"]
    if limit is not None and lengths and lengths[0] > limit:
        req._expected_100_continue = False
