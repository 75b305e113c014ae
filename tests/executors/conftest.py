"""Fixtures for the executor tests: a loopback Dask LocalCluster with 2 worker processes."""

import pytest
from distributed import LocalCluster

from runner.executors.dask import local_cluster


def start_cluster() -> LocalCluster:
    """2 single-threaded worker processes (each behind a nanny that restarts it) on loopback."""
    return local_cluster(2)


@pytest.fixture(scope="module")
def cluster():
    with start_cluster() as local_cluster:
        yield local_cluster
