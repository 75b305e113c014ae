"""Counts past int4 and revision 0004 (BIGINT counts) on PostgreSQL, where INTEGER is int4."""

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DataError

from service.db import open_database
from service.db.migrate import alembic_config, check
from tests.runner.test_db import (  # noqa: F401 - collected here, on PostgreSQL
    BIG,
    COUNTS,
    add_run,
    bigint_columns,
    test_0004_downgrades_and_upgrades_keeping_cells_and_constraints,
    test_counts_above_int4_are_stored_exactly,
)


@pytest.fixture
def database(make_pg_database):
    """A fresh PostgreSQL database at head (these tests move its schema)."""
    engine, sessions = open_database(make_pg_database())
    yield engine, sessions
    engine.dispose()


def test_counts_are_int8_and_parameters_int4(database):
    engine, _ = database
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_name IN ('cells', 'generation_cells')")).all()
    types = {(table, column): kind for table, column, kind in rows}
    for table, columns in COUNTS.items():
        for column in columns:
            assert types[(table, column)] == "bigint", (table, column)
        assert types[(table, "top_k")] == "integer"


def test_downgrading_0004_refuses_a_count_past_int4(database):
    engine, sessions = database
    add_run(sessions, total_1=BIG)
    with pytest.raises(DataError, match="out of range"):
        command.downgrade(alembic_config(engine), "0003")
    # Transactional DDL: nothing was narrowed, the revision and the count are intact.
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() \
            == head
        assert connection.execute(text("SELECT total_1 FROM cells")).scalar() == BIG
    for table, columns in COUNTS.items():
        assert bigint_columns(engine, table) == columns
    check(engine)
