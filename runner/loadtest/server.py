"""Start and stop `logitlab serve` on a free loopback port; list its gunicorn workers."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from runner.cli.serve import THREAD_VARS

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


def free_port() -> int:
    """A TCP port that was free on the loopback interface a moment ago."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def logitlab_command() -> list[str]:
    """The `logitlab` console script beside this interpreter, else `python -m` style."""
    script = Path(sys.executable).with_name("logitlab")
    if script.exists():
        return [str(script)]
    found = shutil.which("logitlab")
    return [found] if found else [sys.executable, "-c", "from runner.cli import main; main()"]


def healthy(base_url: str, timeout: float = 2.0) -> bool:
    """True when GET /healthz answers 200."""
    try:
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def worker_pids(server_pid: int) -> list[int]:
    """The gunicorn workers: child processes of the arbiter (Linux /proc)."""
    try:
        text = Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text()
    except OSError:
        return []
    return sorted(int(pid) for pid in text.split())


class Server:
    """`logitlab serve` with /echo enabled, logging to a file, bound to 127.0.0.1."""

    def __init__(self, workers: int | None, log_path: Path, db_url: str | None = None,
                 timeout_s: int = 60) -> None:
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        env = {**os.environ, "LOGITLAB_ENABLE_ECHO": "1", "LOGITLAB_LOG_LEVEL": "WARNING",
               # serve pins one BLAS thread per worker; set here, it need not re-exec itself
               **dict.fromkeys(THREAD_VARS, "1")}
        if db_url:
            env["LOGITLAB_DATABASE_URL"] = db_url
        command = [*logitlab_command(), "serve", "--host", HOST, "--port", str(self.port),
                   "--timeout", str(timeout_s), "--log-level", "warning"]
        if workers:
            command += ["--workers", str(workers)]
        self.log_path = log_path
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            env=env, start_new_session=True)
        self.workers = workers

    @property
    def pid(self) -> int:
        """The gunicorn arbiter's process id."""
        return self.process.pid

    def wait_ready(self) -> None:
        """Block until /healthz answers and every worker is up; RuntimeError otherwise."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (healthy(self.base_url) and
                   (not self.workers or len(worker_pids(self.pid)) == self.workers)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"logitlab serve did not come up on {self.base_url}:\n{tail}")
            time.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM (in-flight requests drain), then SIGKILL after STOP_TIMEOUT_S."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def __enter__(self) -> Server:
        self.wait_ready()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
