"""Shared fixtures: `app` (create_app in testing mode), its test `client`, and a fresh SQLite
database per test (`db_url`, `sessions`)."""

import pytest

from service import create_app
from service.db import open_database


@pytest.fixture
def app():
    """A fresh app with test settings; override keys per test with `make_app`."""
    return create_app({"TESTING": True})


@pytest.fixture
def client(app):
    """Flask test client of `app`."""
    return app.test_client()


@pytest.fixture
def make_app():
    """Build an app with extra settings: `make_app(API_TOKEN="t")`."""

    def build(**settings):
        return create_app({"TESTING": True, **settings})

    return build


@pytest.fixture
def db_url(tmp_path):
    """A fresh SQLite database URL per test."""
    return f"sqlite:///{tmp_path / 'lab.db'}"


@pytest.fixture
def sessions(db_url):
    """A session factory over `db_url`, migrated to head."""
    engine, factory = open_database(db_url)
    yield factory
    engine.dispose()
