"""Store a load-test record, and read stored runs back."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.db import find_by_id
from service.db.models import LoadTest

# Keys of a record that are not columns (kept for printing only).
_COLUMNS = {column.key for column in LoadTest.__table__.columns} - {"id", "created_at"}


def save(sessions: sessionmaker[Session], record: dict) -> int:
    """Insert the record of one run; return its id."""
    with sessions.begin() as session:
        row = LoadTest(**{key: record[key] for key in _COLUMNS})
        session.add(row)
        session.flush()
        return row.id


def list_loadtests(sessions: sessionmaker[Session], scenario: str | None = None,
                   limit: int = 50) -> list[LoadTest]:
    """Stored runs, newest first (optionally one scenario's)."""
    query = select(LoadTest).order_by(LoadTest.id.desc()).limit(limit)
    if scenario:
        query = query.where(LoadTest.scenario == scenario)
    with sessions() as session:
        return list(session.scalars(query))


def get_loadtest(sessions: sessionmaker[Session], loadtest_id: int) -> LoadTest | None:
    """One stored run, or None (also for ids no 64-bit key can hold)."""
    with sessions() as session:
        return find_by_id(session, LoadTest, loadtest_id)
