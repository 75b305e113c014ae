"""`logitlab serve`: the REST service under gunicorn (sync workers, one BLAS thread each)."""

import os
import sys
from typing import Any

import click

from runner.cli.gunicorn_hooks import (
    REQUEST_LINE_LIMIT,
    THREAD_VARS,
    init_worker,
    no_early_continue,
    worker_abort,
)


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
        "worker_abort": worker_abort,
        "pre_request": no_early_continue,
        "limit_request_line": REQUEST_LINE_LIMIT,
        # The app is served at / only: a SCRIPT_NAME header (trusted from loopback by default)
        # naming another prefix made gunicorn answer 500.
        "forwarder_headers": "",
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
