"""local, processes and dask compute the same statistics, bit for bit, for the same chunks."""

import os
import time

import pytest
from distributed import LocalCluster

from runner.executors import EXECUTORS, ExecutorError, LocalExecutor, make_executor
from runner.executors import dask as dask_executor
from runner.executors.dask import DaskExecutor
from runner.executors.job import _prepared
from runner.executors.processes import ProcessExecutor
from tests.executors.helpers import (
    CORE_JOB,
    PREFIX_JOB,
    chunked,
    grid,
    local_results,
    results_by_cell,
)


def _chunk_calls() -> int:
    """How many chunks this worker process has computed (its job cache's lookups)."""
    info = _prepared.cache_info()
    return info.hits + info.misses


CASES = [
    (PREFIX_JOB, chunked(grid(top_k="0,50"), 5)),
    (CORE_JOB, chunked(grid(repetition_penalty="1.0,1.3"), 3)),
]


def test_local_yields_chunks_in_grid_order():
    job, chunks = CASES[0]
    assert [chunk for chunk, _ in LocalExecutor().map(job, chunks)] == chunks


@pytest.mark.parametrize(("job", "chunks"), CASES, ids=["prefix", "core"])
def test_processes_equal_local(job, chunks):
    with ProcessExecutor(workers=2) as executor:
        got = results_by_cell(executor, job, chunks)
    assert got == local_results(job, chunks)
    assert len(got) == sum(map(len, chunks))


@pytest.mark.parametrize(("job", "chunks"), CASES, ids=["prefix", "core"])
def test_dask_equals_local(cluster, job, chunks):
    with DaskExecutor(cluster.scheduler_address) as executor:
        before = executor.client.run(_chunk_calls)
        got = results_by_cell(executor, job, chunks)
        after = executor.client.run(_chunk_calls)
    # Both worker processes computed chunks: the tasks really were spread out.
    assert len(after) == 2 and all(after[w] > before[w] for w in after)
    assert got == local_results(job, chunks)


def test_dask_client_survives_two_maps(cluster):
    job, chunks = CASES[0]
    with DaskExecutor(cluster.scheduler_address) as executor:
        first = results_by_cell(executor, job, chunks)
        second = results_by_cell(executor, job, chunks[:2])
    assert {cell: first[cell] for cell in second} == second


def test_registry():
    assert EXECUTORS == ("local", "processes", "dask")
    assert isinstance(make_executor(), LocalExecutor)
    with make_executor("processes", workers=1) as executor:
        assert isinstance(executor, ProcessExecutor) and executor.workers == 1
    with pytest.raises(ExecutorError, match="unknown executor 'threads'"):
        make_executor("threads")
    with pytest.raises(ExecutorError, match="--scheduler is for --executor dask"):
        make_executor("processes", scheduler="tcp://127.0.0.1:8786")


def test_unreachable_scheduler_is_a_clear_error():
    started = time.monotonic()
    with pytest.raises(ExecutorError, match=r"cannot reach Dask scheduler tcp://127\.0\.0\.1:9"):
        DaskExecutor("tcp://127.0.0.1:9", timeout="2s")
    assert time.monotonic() - started < 30


def test_a_scheduler_without_workers_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(dask_executor, "WORKER_WAIT", 1)
    with LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address="127.0.0.1:0") as empty, \
            DaskExecutor(empty.scheduler_address) as executor:
        job, chunks = CASES[0]
        no_worker = r"no Dask worker joined tcp://127\.0\.0\.1:\d+ within 1 s"
        with pytest.raises(ExecutorError, match=no_worker):
            list(executor.map(job, chunks))


def test_workers_keep_glibc_adaptive_malloc(cluster):
    # Dask's default MALLOC_TRIM_THRESHOLD_ made every numpy temporary a fresh mmap.
    with DaskExecutor(cluster.scheduler_address) as executor:
        env = executor.client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"),
                                           os.environ.get("OMP_NUM_THREADS")))
    assert list(env.values()) == [(None, "1")] * 2
