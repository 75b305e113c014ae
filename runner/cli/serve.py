"""`logitlab serve`: the REST service under gunicorn (sync workers, one BLAS thread each)."""

import os
import sys
from typing import Any

import click

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


def pin_threads(worker: Any = None) -> None:
    """gunicorn post_worker_init hook: one numpy/BLAS thread per worker, even if already loaded."""
    for name in THREAD_VARS:
        os.environ[name] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return
    threadpool_limits(limits=1)


def write_problem(sock: Any, status: int, reason: str, message: str) -> None:
    """gunicorn's answer to a request it refuses before the app (a request line too long, a
    malformed header), as problem+json like every other error; replaces its HTML page."""
    from gunicorn import util

    from service.errors import PROBLEM_JSON, problem_document

    detail = (message or reason) + _HINTS.get(status, "")
    body = problem_document(status, detail)
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM_JSON}"
            f"\r\nContent-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin-1") + body)


def init_worker(worker: Any = None) -> None:
    """gunicorn post_worker_init hook: pinned threads, and problem+json for gunicorn's errors."""
    from gunicorn import util

    pin_threads()
    # gunicorn classifies a refused request and writes its page through util.write_error
    # (gunicorn.workers.base.Worker.handle_error); only its format changes here.
    util.write_error = write_problem


def gunicorn_options(host: str, port: int, workers: int, timeout: int, log_level: str) -> dict:
    """The gunicorn settings `serve` uses."""
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        "timeout": timeout,
        "graceful_timeout": timeout,  # SIGTERM: stop accepting, finish in-flight requests
        "loglevel": log_level,
        "accesslog": None,  # the app writes one structured line per request
        "errorlog": "-",
        "post_worker_init": init_worker,
        "limit_request_line": REQUEST_LINE_LIMIT,
        "control_socket_disable": True,  # no shared ~/.gunicorn socket between servers
        "proc_name": "logitlab",
    }


def run_gunicorn(options: dict, app_config: dict | None = None) -> None:
    """Run the gunicorn arbiter in this process until it is stopped."""
    from gunicorn.app.base import BaseApplication

    class LogitLabServer(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:  # control_socket_* exist from gunicorn 25.1 on
                    self.cfg.set(key, value)

        def load(self) -> Any:
            from service import create_app

            return create_app(app_config)

    LogitLabServer().run()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Worker processes  [default: one per CPU core]")
@click.option("--timeout", default=60, show_default=True, type=click.IntRange(1),
              help="Seconds a request may take; also the SIGTERM drain time.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))
def serve(host: str, port: int, workers: int | None, timeout: int, log_level: str) -> None:
    """Serve the REST API (POST /sample, /docs, /openapi.json) with gunicorn."""
    from service import config

    try:
        config.load()  # fail here, not in every worker, on a bad LOGITLAB_* variable
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    if any(os.environ.get(name) != "1" for name in THREAD_VARS):
        for name in THREAD_VARS:
            os.environ[name] = "1"
        if "numpy" in sys.modules:  # BLAS already sized its pool: restart with the pins set
            os.execv(sys.executable, sys.orig_argv)
    os.environ.setdefault("LOGITLAB_LOG_LEVEL", log_level.upper())
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    count = workers or cores or 1
    run_gunicorn(gunicorn_options(host, port, count, timeout, log_level))
