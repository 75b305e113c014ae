"""Request ids and one structured JSON log line per request, with its latency."""

import logging
import re
import sys
import time
import uuid

import orjson
from flask import Flask, Response, g, request

access_log = logging.getLogger("logitlab.access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class _MessageOnly(logging.Formatter):
    """Emit the record's message as is: the access lines are JSON already."""

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure(level: str) -> None:
    """Send the `logitlab` loggers to stderr once per process."""
    root = logging.getLogger("logitlab")
    root.setLevel(level.upper())
    if not any(getattr(h, "_logitlab", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_MessageOnly())
        handler._logitlab = True  # type: ignore[attr-defined]
        root.addHandler(handler)


def request_id_from(incoming: str | None) -> str:
    """The client's X-Request-ID when it is a plain token, else a fresh one."""
    return incoming if incoming and _VALID_ID.match(incoming) else uuid.uuid4().hex


def log_request(method: str | None, path: str | None, status: int, elapsed_ms: float,
                request_id: str, bytes_in: int) -> None:
    """The structured access line: one per request, the ones gunicorn refuses included."""
    if access_log.isEnabledFor(logging.INFO):
        line = {
            "event": "request",
            "method": method,
            "path": path,
            "status": status,
            "latency_ms": round(elapsed_ms, 3),
            "request_id": request_id,
            "bytes_in": bytes_in,
        }
        access_log.info(orjson.dumps(line).decode())


def _start() -> None:
    g.started = time.perf_counter()
    g.request_id = request_id_from(request.headers.get("X-Request-ID"))


def _finish(response: Response) -> Response:
    elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000.0
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers["X-Request-ID"] = request_id
    response.headers["Server-Timing"] = f"app;dur={elapsed_ms:.3f}"
    log_request(request.method, request.path, response.status_code, elapsed_ms, request_id,
                request.content_length or 0)
    return response


def init_app(app: Flask) -> None:
    """Attach the request id / timing hooks and the stderr handler."""
    configure(app.config.get("LOG_LEVEL", "INFO"))
    app.before_request(_start)
    app.after_request(_finish)
