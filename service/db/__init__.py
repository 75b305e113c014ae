"""The data layer shared by the service (reads) and the runner (writes)."""

from __future__ import annotations

import threading

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.db.engine import make_engine, resolve_url
from service.db.migrate import upgrade
from service.db.models import Base, Cell, Run

__all__ = ["Base", "Cell", "Run", "get_session", "init_app", "make_engine", "open_database"]

EXTENSION = "logitlab_db"
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
