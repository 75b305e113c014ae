"""Fixtures for the executor tests: a loopback Dask LocalCluster with 2 worker processes."""

import pytest
from distributed import LocalCluster


def start_cluster() -> LocalCluster:
    """2 single-threaded worker processes (each behind a nanny that restarts it) on loopback."""
    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                        dashboard_address="127.0.0.1:0")


@pytest.fixture(scope="module")
def cluster():
    with start_cluster() as local_cluster:
        yield local_cluster
