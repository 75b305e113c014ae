"""PostgreSQL tests: a fresh database per session on a real server, or deselected with a notice.

They run when LOGITLAB_TEST_POSTGRES_URL is an admin URL of a server (e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/postgres); .ci/run starts the local server and sets
it. Without it they are deselected (one line in the summary), except under CI, where that is an
error; with it set and the server down they fail, naming the server.
"""

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from service.db import open_database

URL_ENV = "LOGITLAB_TEST_POSTGRES_URL"
HERE = Path(__file__).resolve().parent
EXAMPLE = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
_deselected: list = []


def pytest_collection_modifyitems(config, items):
    if os.environ.get(URL_ENV):
        return
    pg = [item for item in items if HERE in Path(str(item.path)).parents]
    if not pg:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI: {len(pg)} PostgreSQL tests would not run: set {URL_ENV}")
    items[:] = [item for item in items if item not in pg]
    config.hook.pytest_deselected(items=pg)
    _deselected.extend(pg)


def pytest_terminal_summary(terminalreporter):
    if _deselected:
        terminalreporter.write_line(
            f"tests/pg: {len(_deselected)} PostgreSQL tests deselected; set {URL_ENV}={EXAMPLE} "
            "to run them")


def _admin_url() -> URL:
    url = make_url(os.environ[URL_ENV])
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")  # psycopg 3, the `postgres` extra
    return url


@pytest.fixture(scope="session")
def make_pg_database():
    """Create empty databases `logitlab_test_<random>` on the server; drop them at the end."""
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        pytest.fail(f"{URL_ENV}: cannot connect to PostgreSQL at "
                    f"{_admin_url().render_as_string(hide_password=True)}: {error}", pytrace=False)
    created: list[str] = []

    def make() -> str:
        name = f"logitlab_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return _admin_url().set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as connection:
        for name in created:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_url(make_pg_database) -> str:
    """One migrated database shared by the session's PostgreSQL tests."""
    url = make_pg_database()
    engine, _ = open_database(url)
    engine.dispose()
    return url


@pytest.fixture
def pg_sessions(pg_url):
    engine, sessions = open_database(pg_url)
    yield sessions
    engine.dispose()
