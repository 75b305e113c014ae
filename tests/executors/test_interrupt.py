"""Ctrl-C (SIGINT to the whole process group) stops a parallel sweep: resumable, no orphans."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from runner.executors import LocalExecutor
from runner.grid import build_grid
from runner.storage import get_run, written_cells
from runner.sweep import SweepSpec, create, execute
from service.db import Cell, open_database

ROOT = Path(__file__).resolve().parents[2]
ENTRY = "import sys; from runner.cli import main; sys.exit(main())"
ARGS = ["--source", "zipf:V=20000,s=1.1,rows=16,seed=1", "--temperature", "0.3:1.5:30",
        "--top-p", "0.5:1:10", "--samples", "1000", "--memory-mb", "1"]
# A sitecustomize for the sweep's pool workers: once the mark file exists, each result they
# send back takes a Ctrl-C just after the pool's shared result-queue lock is acquired and
# before the block that releases it starts, the moment `with lock:` cannot cover. A stack
# dump of a sweep hung under load showed both workers blocked on that lock.
LOCK_HOOK = '''
import os, signal, sys

if "--multiprocessing-fork" in sys.argv:
    from multiprocessing import queues

    def put(self, obj):
        data = queues._ForkingPickler.dumps(obj)
        self._wlock.acquire()
        if os.path.exists(os.environ["LOGITLAB_TEST_CTRL_C_MARK"]):
            signal.raise_signal(signal.SIGINT)
        self._writer.send_bytes(data)
        self._wlock.release()

    queues.SimpleQueue.put = put
'''


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


@contextmanager
def _sweep(url: str, executor: str, env: dict | None = None):
    """A sweep in a session of its own, like a terminal's foreground job: Ctrl-C reaches all."""
    process = subprocess.Popen([sys.executable, "-c", ENTRY, "sweep", *ARGS, "--executor",
                                executor, "--db", url], cwd=ROOT, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        yield process
    finally:  # after the test's own checks: whatever of the group is left goes
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


def _stop(process, sessions, interrupt) -> bytes:
    """Wait for 3 stored cells, interrupt, and return stderr once the sweep has stopped."""
    deadline = time.monotonic() + 120
    while _cells(sessions) < 3:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no cell written in time"
        time.sleep(0.05)
    interrupt()
    return process.communicate(timeout=90)[1]


def _assert_interrupted(process, stderr: bytes, sessions) -> None:
    assert process.returncode == 130, stderr.decode()[-2000:]
    assert b"logitlab sweep --resume 1" in stderr
    assert get_run(sessions, 1).status == "interrupted" and 3 <= _cells(sessions) < 300
    deadline = time.monotonic() + 30  # nothing of the sweep's group is left running
    while _running_in_group(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _running_in_group(process.pid) == []


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_ctrl_c_interrupts_a_parallel_sweep(tmp_path, executor):
    url = f"sqlite:///{tmp_path / 'int.db'}"
    engine, sessions = open_database(url)
    with _sweep(url, executor) as process:
        stderr = _stop(process, sessions, lambda: os.killpg(process.pid, signal.SIGINT))
        _assert_interrupted(process, stderr, sessions)
    engine.dispose()


def test_ctrl_c_while_a_pool_worker_holds_the_result_queue_lock(tmp_path):
    url = f"sqlite:///{tmp_path / 'int.db'}"
    engine, sessions = open_database(url)
    hook, mark = tmp_path / "hook", tmp_path / "ctrl-c"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(LOCK_HOOK)
    path = os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "LOGITLAB_TEST_CTRL_C_MARK": str(mark)}

    def ctrl_c() -> None:  # the workers take theirs from the hook, at the worst moment
        mark.touch()
        os.kill(process.pid, signal.SIGINT)

    with _sweep(url, "processes", env) as process:
        stderr = _stop(process, sessions, ctrl_c)
        _assert_interrupted(process, stderr, sessions)
    engine.dispose()


class _CtrlCInFirstWrite(LocalExecutor):
    """The local executor, with a Ctrl-C as the first cell's transaction ends (in its commit)."""

    def __init__(self, sessions) -> None:
        self.sessions = sessions

    def map(self, job, chunks):
        # _execute opens no other transaction between starting the map and the first write.
        event.listen(self.sessions, "after_transaction_end", _raise_sigint, once=True)
        yield from super().map(job, chunks)


def _raise_sigint(*_args) -> None:
    signal.raise_signal(signal.SIGINT)


def test_ctrl_c_inside_a_cell_commit_interrupts_the_run(sessions):
    spec = SweepSpec("zipf:V=300,s=1.1,rows=2,seed=1", build_grid({"temperature": "0.5,1.0"}),
                     20, 0)
    run_id = create(sessions, spec)
    # Not a ResourceClosedError from the transaction's cleanup (which marks the run failed).
    with pytest.raises(KeyboardInterrupt):
        execute(sessions, run_id, executor=_CtrlCInFirstWrite(sessions))
    assert get_run(sessions, run_id).status == "running"  # the CLI marks it interrupted
    assert len(written_cells(sessions, run_id)) == 1  # the interrupted write is whole
