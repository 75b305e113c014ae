"""The real server (`logitlab serve` over a tiny real sweep) and a headless Chromium driving it."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
SWEEPS = [
    ["--source", "zipf:V=500,s=1.1,rows=4,seed=0", "--temperature", "0.5,1.0",
     "--top-p", "0.5,1.0", "--samples", "50", "--seed", "1", "--name", "browser-test"],
    # top_k swept too: the run page shows one top_k slice of the grid at a time.
    ["--source", "zipf:V=300,s=1.0,rows=2,seed=1", "--temperature", "0.5,1.0",
     "--top-p", "0.9,1.0", "--top-k", "0,5", "--samples", "20", "--seed", "2",
     "--name", "swept-top-k"],
]
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                  "--window-size=1400,1100"]
INSTALL_HINT = "apt-get update && apt-get install -y chromium chromium-driver"


def _logitlab() -> str:
    script = Path(sys.executable).with_name("logitlab")
    found = str(script) if script.exists() else shutil.which("logitlab")
    assert found, "the logitlab console script is not installed (pip install -e .)"
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """Base URL of `logitlab serve` on a free loopback port, over a DB holding one real sweep."""
    folder = tmp_path_factory.mktemp("web")
    db = f"sqlite:///{folder / 'runs.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGITLAB_")}
    env["LOGITLAB_DATABASE_URL"] = db
    for sweep in SWEEPS:
        subprocess.run([_logitlab(), "sweep", *sweep, "--db", db], check=True, env=env,
                       stdout=subprocess.DEVNULL, timeout=120)
    process, base = start_server(env, folder / "server.log", workers=2)
    yield base
    stop_server(process)


def start_server(env: dict, log: Path, workers: int) -> tuple[subprocess.Popen, str]:
    """`logitlab serve` on a free loopback port, once /healthz answers; output goes to `log`."""
    port = _free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [_logitlab(), "serve", "--port", str(port), "--workers", str(workers)],
            stdout=sink, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not _healthy(base):
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    return process, base


def stop_server(process: subprocess.Popen) -> None:
    # A connection the browser opened ahead of time can hold a sync worker past SIGTERM.
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def _require(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"the browser tests need {name!r} on PATH; install it with: {INSTALL_HINT}",
                    pytrace=False)
    return path


@pytest.fixture(scope="session")
def browser():
    """A headless Debian Chromium driven by chromedriver (no driver download, no network)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _require("chromium")
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=_require("chromedriver")),
                              options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def screenshot(browser):
    """`screenshot(name)` saves the current page to artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        assert browser.save_screenshot(str(path)), f"could not save {path}"
        return path

    return save


# A run id beyond 2**53: JavaScript's Number would round it (to ...847000).
BIG_RUN_ID = 2**60 + 1
ODD_SWEEPS = {
    "big-id": ["--temperature", "0.5,1.0", "--top-p", "0.5,1.0"],
    "interrupted": ["--temperature", "0.5,1.0,1.5", "--top-p", "0.5,1.0"],
    "zero-cells": ["--temperature", "0.5,1.0", "--top-p", "0.5,1.0"],
}


@pytest.fixture(scope="session")
def odd_database(tmp_path_factory):
    """A folder and environment whose database holds runs the sweep CLI would not leave behind:
    one stored under the id BIG_RUN_ID, one interrupted (no cells at temperature 1.0), one
    failed before its first cell, and one load test."""
    import sqlite3

    folder = tmp_path_factory.mktemp("web-odd")
    path = folder / "runs.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGITLAB_")}
    env["LOGITLAB_DATABASE_URL"] = f"sqlite:///{path}"
    for name, knobs in ODD_SWEEPS.items():
        subprocess.run([_logitlab(), "sweep", "--source", "zipf:V=200,s=1.1,rows=2,seed=0",
                        *knobs, "--samples", "20", "--seed", "1", "--name", name],
                       check=True, env=env, stdout=subprocess.DEVNULL, timeout=120)
    with sqlite3.connect(path) as db:
        ids = dict(db.execute("SELECT name, id FROM runs"))
        db.execute("UPDATE runs SET id = ? WHERE id = ?", (BIG_RUN_ID, ids["big-id"]))
        db.execute("UPDATE cells SET run_id = ? WHERE run_id = ?", (BIG_RUN_ID, ids["big-id"]))
        db.execute("DELETE FROM cells WHERE run_id = ? AND temperature = 1.0",
                   (ids["interrupted"],))
        db.execute("UPDATE runs SET status = 'running' WHERE id = ?", (ids["interrupted"],))
        db.execute("DELETE FROM cells WHERE run_id = ?", (ids["zero-cells"],))
        db.execute("UPDATE runs SET status = 'failed' WHERE id = ?", (ids["zero-cells"],))
        db.execute(
            "INSERT INTO loadtests (id, created_at, scenario, host, self_hosted, users, spawn_rate,"
            " duration_s, config, requests, failures, failure_ratio, rps, endpoints,"
            " failure_messages, passed, problems, code_version, locust_version) VALUES (1,"
            " '2026-01-01 00:00:00', 'small-json', 'http://127.0.0.1:1', 1, 4, 4.0, 20.0, '{}',"
            " 100, 0, 0.0, 10.5, '{}', '{}', 1, '[]', '0.1', '2.47')")
    return folder, env


@pytest.fixture(scope="session")
def odd_server(odd_database):
    """`logitlab serve` over the odd runs."""
    folder, env = odd_database
    process, base = start_server(env, folder / "server.log", workers=1)
    yield base
    stop_server(process)
