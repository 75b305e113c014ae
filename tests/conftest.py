"""Shared fixtures: `app` (create_app in testing mode) and its test `client`."""

import pytest

from service import create_app


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
