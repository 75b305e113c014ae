"""`logitlab db`: database maintenance."""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url

from runner.cli.common import db_option, open_sessions
from service.db.engine import resolve_url


@click.group()
def db() -> None:
    """Database maintenance (Alembic migrations in migrations/)."""


@db.command()
@db_option
def upgrade(db_url: str | None) -> None:
    """Apply every migration up to head (safe to repeat)."""
    open_sessions(db_url)
    url = make_url(resolve_url(db_url)).render_as_string(hide_password=True)
    click.echo(f"database at head: {url}")
