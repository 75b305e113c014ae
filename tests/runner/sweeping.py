"""Run a sweep in-process and read its cells back, for the closed-form tests."""

from runner.grid import build_grid
from runner.storage import cell_rows
from runner.sweep import SweepSpec, create, execute


def run_sweep(sessions, source: str, samples: int = 50, seed: int = 0, preset: str = "vllm",
              **grid: str) -> list[dict]:
    """Create and execute a run; its cells in grid order."""
    run_id = create(sessions, SweepSpec(source, build_grid(grid), samples, seed, preset))
    execute(sessions, run_id)
    return cell_rows(sessions, run_id)
