"""Sweeps as real `logitlab sweep` processes, and their reference results on SQLite."""

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from runner.cli.sweep import sweep
from runner.storage import cell_rows
from service.db import Cell, open_database

ROOT = Path(__file__).resolve().parents[2]
ENTRY = "import sys; from runner.cli import main; sys.exit(main())"
# One cell per chunk (--memory-mb 1): 80 cells land one transaction at a time, for seconds.
SWEEP = ["--source", "zipf:V=32000,s=1.1,rows=16,seed=4", "--temperature", "0.3:1.5:10",
         "--top-p", "0.5:1.0:8", "--samples", "1000", "--memory-mb", "1"]
CELLS = 80


def start(db_url: str, *args: str) -> subprocess.Popen:
    """`logitlab sweep ARGS --db URL` as a child process."""
    return subprocess.Popen([sys.executable, "-c", ENTRY, "sweep", *args, "--db", db_url],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def logitlab(*args: str) -> str:
    """stdout of `logitlab ARGS` in a child process, after checking it succeeded."""
    process = subprocess.Popen([sys.executable, "-c", ENTRY, *args], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return finish(process)


def finish(process: subprocess.Popen) -> str:
    """Wait for the sweep; its stdout, after checking it succeeded."""
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err.decode()[-3000:]
    return out.decode()


def run_id_of(output: str) -> int:
    """The id `logitlab sweep` printed first."""
    first = output.splitlines()[0]
    assert first.startswith("run id "), first
    return int(first.removeprefix("run id "))


def reference(tmp_path: Path, *args: str) -> list[dict]:
    """The cells of the same sweep, local executor, into a fresh SQLite file."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{tmp_path / 'reference.db'}"
    result = CliRunner().invoke(sweep, [*args, "--db", url])
    assert result.exit_code == 0, result.output
    engine, sessions = open_database(url)
    try:
        return cell_rows(sessions, 1)
    finally:
        engine.dispose()


def cell_count(sessions, run_id: int) -> int:
    """Rows stored for the run (duplicates would count twice)."""
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Cell).where(Cell.run_id == run_id))

