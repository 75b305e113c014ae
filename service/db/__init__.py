"""The data layer shared by the service (reads) and the runner (writes)."""

from __future__ import annotations

import threading
from typing import TypeVar

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.db.engine import make_engine, resolve_url
from service.db.migrate import upgrade
from service.db.models import Base, Cell, Run

__all__ = ["Base", "Cell", "Run", "find_by_id", "get_session", "init_app", "make_engine",
           "open_database"]

EXTENSION = "logitlab_db"
# Integer primary keys are 64-bit signed; SQLite cannot even bind a larger integer.
MAX_ID = 2**63 - 1
Row = TypeVar("Row", bound=Base)
_OPEN_LOCK = threading.Lock()


def open_database(url: str | None = None) -> tuple[Engine, sessionmaker[Session]]:
    """Engine plus session factory for `url`, with the schema upgraded to head."""
    engine = make_engine(url)
    upgrade(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)


def init_app(app: Flask) -> None:
    """Give each request its own session; the database is opened (and upgraded) on first use."""
    # Lazy, so that building an app (as most tests do) never creates ./logitlab.db.
    app.extensions[EXTENSION] = {"url": resolve_url(app.config.get("DATABASE_URL"))}

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def _sessions() -> sessionmaker[Session]:
    state = current_app.extensions[EXTENSION]
    with _OPEN_LOCK:
        if "sessions" not in state:
            state["engine"], state["sessions"] = open_database(state["url"])
    return state["sessions"]


def get_session() -> Session:
    """The current request's session, created on first use."""
    if "db_session" not in g:
        g.db_session = _sessions()()
    return g.db_session


def find_by_id(session: Session, model: type[Row], row_id: int) -> Row | None:
    """The `model` row with this id, or None (also for ids no 64-bit key can hold)."""
    return session.get(model, row_id) if 0 <= row_id <= MAX_ID else None
