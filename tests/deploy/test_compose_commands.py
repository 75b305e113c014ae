"""The compose services' own commands, run here on loopback: they start, pass their
healthchecks, and a sweep on the compose Dask cluster is served back by the compose API."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from distributed import Client

from runner.cli.sweep import sweep
from tests.deploy.helpers import ROOT, command_words

BIN = Path(sys.executable).parent
SWEEP = ["--source", "zipf:V=3000,s=1.1,rows=8,seed=5", "--temperature", "0.5,1.0",
         "--top-p", "0.8,1.0", "--samples", "200", "--seed", "2"]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _localize(words: list[str], swaps: dict[str, str]) -> list[str]:
    """The command with host names, ports and interfaces swapped for loopback ones."""
    words = [swaps.get(word, word) for word in words]
    return [str(BIN / words[0]), *words[1:]]


def _healthy(service: dict, ports: dict[int, int], process: subprocess.Popen) -> None:
    """Run the service's own healthcheck (ports swapped) until it passes."""
    _python, script, url = service["healthcheck"]["test"][1:]
    script = str(ROOT / script.removeprefix("/app/"))
    for old, new in ports.items():
        url = url.replace(f":{old}/", f":{new}/")
    deadline = time.monotonic() + 90
    while subprocess.run([sys.executable, script, url, "--timeout", "2"],
                         capture_output=True).returncode != 0:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{url} never became healthy"
        time.sleep(0.5)


@pytest.fixture
def started():
    processes: list[subprocess.Popen] = []

    def start(words: list[str], **env: str) -> subprocess.Popen:
        process = subprocess.Popen(words, cwd=ROOT, env={**os.environ, **env},
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        processes.append(process)
        return process

    yield start
    for process in reversed(processes):
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def test_dask_and_api_services_work_together(services, started, tmp_path):
    env = {"DASK_CONFIG": str(ROOT / "deploy" / "dask")}  # as the image's ENV sets it
    db = f"sqlite:///{tmp_path / 'lab.db'}"
    ports = {8786: _port(), 8787: _port(), 8789: _port(), 8000: _port()}
    sched, api = ports[8786], ports[8000]
    swaps = {"0.0.0.0": "127.0.0.1", "8786": str(sched), "8000": str(api),
             "tcp://dask-scheduler:8786": f"tcp://127.0.0.1:{sched}",
             ":8787": f"127.0.0.1:{ports[8787]}", ":8789": f"127.0.0.1:{ports[8789]}"}
    scheduler = started(_localize(command_words(services["dask-scheduler"]), swaps), **env)
    _healthy(services["dask-scheduler"], ports, scheduler)
    worker_command = [*_localize(command_words(services["dask-worker"]), swaps),
                      "--host", "127.0.0.1"]
    worker = started(worker_command, **env)
    _healthy(services["dask-worker"], ports, worker)

    on_dask = CliRunner().invoke(sweep, [*SWEEP, "--executor", "dask", "--scheduler",
                                         f"tcp://127.0.0.1:{sched}", "--db", db])
    assert on_dask.exit_code == 0, on_dask.output
    local = CliRunner().invoke(sweep, [*SWEEP, "--db", f"sqlite:///{tmp_path / 'local.db'}"])
    assert on_dask.output == local.output  # same run id, same summary table
    with Client(f"tcp://127.0.0.1:{sched}") as client:  # deploy/dask/logitlab.yaml applied
        trim = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert list(trim.values()) == [None]

    server = started(_localize(command_words(services["api"]), swaps),
                     LOGITLAB_DATABASE_URL=db, LOGITLAB_LOG_LEVEL="WARNING")
    _healthy(services["api"], ports, server)
    with urllib.request.urlopen(f"http://127.0.0.1:{api}/runs/1/cells?limit=10") as answer:
        cells = json.load(answer)
    assert cells["total"] == 4
