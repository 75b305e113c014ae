"""A cell's statistics do not depend on its batch, so parallel executors may re-cut chunks."""

import pytest

from runner.executors.base import TASKS_PER_WORKER, split
from runner.executors.job import RunJob, prepare
from tests.executors.helpers import chunked, grid

JOBS = {
    "prefix": (RunJob("zipf:V=6000,s=1.1,rows=8,seed=1", "prefix", "vllm", 3, 300),
               grid(top_k="0,20", min_p="0,0.05")),
    "core-hf": (RunJob("gaussian:V=2000,rows=5,seed=2,context=4", "core", "hf", 5, 200),
                grid(repetition_penalty="1.0,1.3")),
    "core-llama": (RunJob("zipf:V=2000,rows=5,seed=2,context=4", "core", "llama.cpp", 5, 200),
                   grid("0,0.7,1.5", min_p="0,0.1")),
}


@pytest.mark.parametrize("name", sorted(JOBS))
def test_statistics_do_not_depend_on_batch_composition(name):
    job, cells = JOBS[name]
    compute, uniforms = prepare(job)
    whole = compute(uniforms, cells)
    for size in (1, 3, 7):
        pieces = [stats for chunk in chunked(cells, size) for stats in compute(uniforms, chunk)]
        assert pieces == whole, f"chunks of {size}"


def test_split_keeps_grid_order_and_the_memory_bound():
    cells = list(range(100))
    chunks = chunked(cells, 30)
    # 100 cells over TASKS_PER_WORKER tasks per worker: 25, 13 and 4 cells per task.
    assert TASKS_PER_WORKER == 4
    for workers, size, count in ((1, 25, 4), (2, 13, 8), (8, 4, 25)):
        tasks = split(chunks, workers)
        assert [cell for task in tasks for cell in task] == cells
        assert [len(t) for t in tasks[:-1]] == [size] * (count - 1) and len(tasks) == count
    assert split(chunks, 0) == split(chunks, 1)
    assert split(chunked(cells, 1), 2) == chunked(cells, 1)  # never larger than a chunk
    assert split(chunked(cells, 100), 1) == chunked(cells, 25)
    assert split([], 2) == []
