"""The data layer shared by the service (reads) and the runner (writes)."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from service.db.engine import make_engine, resolve_url
from service.db.migrate import upgrade
from service.db.models import Base, Cell, Run

__all__ = ["Base", "Cell", "Run", "get_session", "init_app", "make_engine", "open_database"]

EXTENSION = "logitlab_db"


def open_database(url: str | None = None) -> tuple[Engine, sessionmaker[Session]]:
    """Engine plus session factory for `url`, with the schema upgraded to head."""
    engine = make_engine(url)
    upgrade(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)


def init_app(app: Flask) -> None:
    """Open (and upgrade) the app's database and give each request its own session."""
    url = resolve_url(app.config.get("DATABASE_URL"))
    engine, factory = open_database(url)
    app.extensions[EXTENSION] = {"engine": engine, "sessions": factory}

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def get_session() -> Session:
    """The current request's session, created on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions[EXTENSION]["sessions"]()
    return g.db_session
