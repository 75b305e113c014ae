"""runner.bench.service_ab: two checkouts' /sample / /echo ratios from interleaved rounds."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runner.bench.service_ab", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_refuses_a_directory_that_is_not_a_checkout(tmp_path):
    result = _run(str(tmp_path))
    assert result.returncode == 2
    assert "is not a Logit Lab checkout" in result.stderr


def test_measures_both_checkouts_over_real_servers():
    # This checkout against itself: two servers, one short round each.
    result = _run(str(ROOT), "--rounds", "1", "--seconds", "0.5", "--clients", "2",
                  "--workers", "1")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| this")
            or line.startswith("| other")]
    assert len(rows) == 2
    for row in rows:
        cells = row.split("|")
        ratio, worker_ms = float(cells[2].split()[0]), float(cells[3])
        assert 0 < ratio < 1.5  # both servers answered every request (a failure raises)
        assert worker_ms > 0  # the workers' CPU time was read from /proc
