"""Jobs and chunks shared by the executor tests, and the reference (local) results."""

from runner.executors import LocalExecutor, RunJob
from runner.grid import build_grid, grid_cells

PREFIX_JOB = RunJob("zipf:V=5000,s=1.1,rows=8,seed=3", "prefix", "vllm", 7, 300)
CORE_JOB = RunJob("gaussian:V=3000,rows=6,seed=2,context=4", "core", "hf", 5, 200)


def grid(temperature: str = "0.4:1.6:4", top_p: str = "0.6,0.9,1.0", **more: str) -> list:
    """Cells of a small grid, in grid order."""
    return grid_cells(build_grid({"temperature": temperature, "top_p": top_p, **more}))


def chunked(cells: list, size: int) -> list[list]:
    """Fixed slices of the grid, as the sweep engine cuts them."""
    return [cells[i : i + size] for i in range(0, len(cells), size)]


def results_by_cell(executor, job, chunks) -> dict:
    """{cell: stats} from one executor; fails if a cell comes back twice."""
    out: dict = {}
    for chunk, results in executor.map(job, chunks):
        assert len(chunk) == len(results)
        for cell, stats in zip(chunk, results, strict=True):
            assert cell not in out, f"{cell} yielded twice"
            out[cell] = stats
    return out


def local_results(job, chunks) -> dict:
    """The reference: the local executor's results."""
    return results_by_cell(LocalExecutor(), job, chunks)
