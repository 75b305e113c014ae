"""A Dask worker killed mid-sweep loses no chunk: its tasks run again, each is yielded once."""

import os
import signal

from runner.executors import RunJob
from runner.executors.dask import DaskExecutor
from tests.executors.conftest import start_cluster
from tests.executors.helpers import chunked, grid, local_results

# 12 chunks of 3 cells: while chunks remain, each worker has one assigned (running or next).
JOB = RunJob("zipf:V=20000,s=1.1,rows=32,seed=0", "prefix", "vllm", 9, 1000)
CHUNKS = chunked(grid("0.3:1.5:6", "0.5:1.0:6"), 3)


def test_killed_worker_tasks_are_retried_and_each_chunk_comes_back_once():
    with start_cluster() as cluster, DaskExecutor(cluster.scheduler_address) as executor:
        client = executor.client
        pids = client.run(os.getpid)
        seen, killed = [], None
        for chunk, results in executor.map(JOB, CHUNKS):
            seen.append((chunk, results))
            if killed is None and len(seen) == 2:
                busy = [w for w, keys in client.processing().items() if keys]
                assert busy, "no task in flight to lose"
                killed = pids[busy[0]]
                os.kill(killed, signal.SIGKILL)
        assert killed is not None
        client.wait_for_workers(2, timeout=120)  # the nanny replaced the killed process
        assert killed not in client.run(os.getpid).values()
    cells = [cell for chunk, _ in seen for cell in chunk]
    assert sorted(cells) == sorted(cell for chunk in CHUNKS for cell in chunk)
    assert len(cells) == len(set(cells))
    expected = local_results(JOB, CHUNKS)
    assert {cell: stats for chunk, results in seen
            for cell, stats in zip(chunk, results, strict=True)} == expected
