"""Alembic environment: target metadata from service.db.models; URL from config or env."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from service.db.engine import make_engine, resolve_url
from service.db.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("engine") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _url() -> str:
    """-x url=..., then sqlalchemy.url, then $LOGITLAB_DATABASE_URL, then the default."""
    return context.get_x_argument(as_dictionary=True).get("url") or resolve_url(
        config.get_main_option("sqlalchemy.url")
    )


def _configure(connection=None, url: str | None = None) -> None:
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode recreates tables
        compare_type=True,
        literal_binds=connection is None,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout without a database."""
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against the engine passed in config.attributes, or one built from the URL."""
    engine = config.attributes.get("engine")
    owned = engine is None
    if owned:
        engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
    finally:
        if owned:
            engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
