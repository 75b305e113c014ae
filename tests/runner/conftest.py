"""Fixtures for the runner tests: a fresh SQLite database per test."""

import pytest

from service.db import open_database


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'lab.db'}"


@pytest.fixture
def sessions(db_url):
    engine, factory = open_database(db_url)
    yield factory
    engine.dispose()
