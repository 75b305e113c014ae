"""A malformed --scheduler address is a usage error before any run is recorded."""

import pytest
from click.testing import CliRunner

from runner import storage
from runner.cli.sweep import sweep


@pytest.mark.parametrize("address", ["garbage", "tcp://", "tcp://127.0.0.1"])
def test_a_malformed_scheduler_is_a_usage_error(db_url, sessions, address):
    result = CliRunner().invoke(sweep, ["--source", "zipf:V=50,rows=2", "--samples", "5",
                                        "--executor", "dask", "--scheduler", address,
                                        "--db", db_url])
    assert result.exit_code == 2, result.output
    assert f"--scheduler: {address!r} is not a Dask scheduler address" in result.output
    assert storage.get_run(sessions, 1) is None
