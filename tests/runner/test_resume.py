"""kill -9 a real `logitlab sweep`, resume it, and compare with an uninterrupted run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from runner.cli.sweep import sweep
from runner.storage import cell_rows, get_run
from service.db import Cell, open_database

ROOT = Path(__file__).resolve().parents[2]
# One cell per chunk (--memory-mb 1), so cells land one by one while we watch.
ARGS = ["--source", "zipf:V=20000,s=1.1,rows=16,seed=1", "--temperature", "0.3:1.5:12",
        "--top-p", "0.5:1:10", "--samples", "1000", "--seed", "11", "--memory-mb", "1"]
ENTRY = "import sys; from runner.cli import main; sys.exit(main())"


def _start(db_url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", ENTRY, "sweep", *ARGS, "--db", db_url],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for_cells(sessions, minimum: int, process: subprocess.Popen) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        with sessions() as session:
            count = session.scalar(select(func.count()).select_from(Cell))
        if count >= minimum:
            return count
        time.sleep(0.01)
    raise AssertionError("the sweep wrote no cells in time")


def test_resume_after_kill_9_matches_an_uninterrupted_run(tmp_path):
    killed_url = f"sqlite:///{tmp_path / 'killed.db'}"
    _, sessions = open_database(killed_url)
    process = _start(killed_url)
    _wait_for_cells(sessions, 5, process)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)  # reap it and close its pipes
    assert process.returncode == -signal.SIGKILL
    before = {tuple(r.values()) for r in cell_rows(sessions, 1)}
    assert get_run(sessions, 1).status == "running" and 5 <= len(before) < 120

    resumed = CliRunner().invoke(sweep, ["--resume", "1", "--db", killed_url])
    assert resumed.exit_code == 0, resumed.output
    after = cell_rows(sessions, 1)
    assert len(after) == 120 and get_run(sessions, 1).status == "finished"
    assert before <= {tuple(r.values()) for r in after}  # earlier cells were not rewritten

    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    clean = CliRunner().invoke(sweep, [*ARGS, "--db", clean_url])
    assert clean.exit_code == 0, clean.output
    assert cell_rows(open_database(clean_url)[1], 1) == after


def test_ctrl_c_marks_the_run_interrupted(tmp_path):
    url = f"sqlite:///{tmp_path / 'int.db'}"
    _, sessions = open_database(url)
    process = _start(url)
    _wait_for_cells(sessions, 2, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert b"logitlab sweep --resume 1" in stderr
    assert get_run(sessions, 1).status == "interrupted"


def test_resume_refuses_a_source_that_changed_since_the_run_started(tmp_path):
    import numpy as np
    import pytest

    from runner.grid import build_grid
    from runner.sweep import SweepError, SweepSpec, create, execute
    from service.db import Run

    path = tmp_path / "logits.npy"
    rng = np.random.default_rng(0)
    original = rng.normal(0, 3, (2, 50))
    np.save(path, original)
    _, sessions = open_database(f"sqlite:///{tmp_path / 'lab.db'}")
    grid = build_grid({"temperature": "0.5,1.0", "top_p": "0.9,1.0"})
    run_id = create(sessions, SweepSpec(f"npy:{path}", grid, 20, 3))
    np.save(path, original + 1e-9)  # same shape, other logits
    with pytest.raises(SweepError, match="changed since the run started"):
        execute(sessions, run_id)
    np.save(path, original[:1])
    with pytest.raises(SweepError, match=r"now has shape \(1, 50\)"):
        execute(sessions, run_id)
    np.save(path, original)
    assert execute(sessions, run_id) == 4
    # A run recorded before revision 0005 has no digest: it resumes on the shape check alone.
    np.save(path, original + 1e-9)
    with sessions.begin() as session:
        session.get(Run, run_id).source_sha256 = None
        session.get(Run, run_id).status = "interrupted"
    assert execute(sessions, run_id) == 0  # every cell is stored already
