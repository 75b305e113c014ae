"""Engine factory: any SQLAlchemy URL; SQLite gets WAL, a busy timeout and foreign keys."""

from __future__ import annotations

import os

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool

DEFAULT_URL = "sqlite:///logitlab.db"
URL_ENV = "LOGITLAB_DATABASE_URL"
BUSY_TIMEOUT_MS = 30_000


def resolve_url(url: str | None = None) -> str:
    """The explicit URL, else $LOGITLAB_DATABASE_URL, else ./logitlab.db."""
    return url or os.environ.get(URL_ENV) or DEFAULT_URL


def _is_memory_sqlite(url: str) -> bool:
    return url.startswith("sqlite") and (
        ":memory:" in url or url.rstrip("/") in {"sqlite:", "sqlite"}
    )


def make_engine(url: str | None = None) -> Engine:
    """Create an engine; SQLite connections are configured on every connect."""
    url = resolve_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    memory = _is_memory_sqlite(url)
    # One shared connection keeps an in-memory database alive across sessions and threads.
    kwargs = {"poolclass": StaticPool} if memory else {}
    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        if not memory:
            # WAL lets the service read while a sweep writes; NORMAL sync stays durable across
            # a killed process (kill -9) and spares an fsync per one-cell transaction.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine
