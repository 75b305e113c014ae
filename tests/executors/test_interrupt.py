"""Ctrl-C (SIGINT to the whole process group) stops a parallel sweep: resumable, no orphans."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from runner.storage import get_run
from service.db import Cell, open_database

ROOT = Path(__file__).resolve().parents[2]
ENTRY = "import sys; from runner.cli import main; sys.exit(main())"
ARGS = ["--source", "zipf:V=20000,s=1.1,rows=16,seed=1", "--temperature", "0.3:1.5:30",
        "--top-p", "0.5:1:10", "--samples", "1000", "--memory-mb", "1"]


def _cells(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Cell))


def _running_in_group(group: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    live = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":  # fields: state, ppid, pgrp, ...
            live.append(int(entry.name))
    return live


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_ctrl_c_interrupts_a_parallel_sweep(tmp_path, executor):
    url = f"sqlite:///{tmp_path / 'int.db'}"
    engine, sessions = open_database(url)
    # A session of its own, like a terminal's foreground job: Ctrl-C reaches every worker.
    process = subprocess.Popen([sys.executable, "-c", ENTRY, "sweep", *ARGS, "--executor",
                                executor, "--db", url], cwd=ROOT, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while _cells(sessions) < 3:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no cell written in time"
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, stderr.decode()[-2000:]
    assert b"logitlab sweep --resume 1" in stderr
    assert get_run(sessions, 1).status == "interrupted" and 3 <= _cells(sessions) < 300
    deadline = time.monotonic() + 30  # nothing of the sweep's group is left running
    while _running_in_group(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _running_in_group(process.pid) == []
    engine.dispose()
