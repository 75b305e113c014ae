"""Widen the cells' and generation cells' raw counts to BIGINT.

A cell's counts grow with rows x samples x tokens: past 2**31 - 1 draws, INTEGER (int4 on
PostgreSQL) overflows. SQLite stores any integer in up to 8 bytes already; batch mode
recreates its tables so the declared types match the models (`alembic check`).

Downgrading narrows them back: on PostgreSQL it fails if a stored count no longer fits int4.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: the models' RAW_COUNTS and GENERATION_STATS may change in later revisions.
COUNTS = {
    "cells": ("n_rows", "draws_per_row", "n_tokens", "distinct_tokens", "unique_1", "unique_2",
              "unique_3", "unique_4", "total_1", "total_2", "total_3", "total_4", "hapax",
              "repeat_count"),
    "generation_cells": ("n_continuations", "n_tokens"),
}


def _retype(old: type[sa.types.TypeEngine], new: type[sa.types.TypeEngine]) -> None:
    for table, columns in COUNTS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=old(), type_=new(),
                                      existing_nullable=False)


def upgrade() -> None:
    """Apply this revision."""
    _retype(sa.Integer, sa.BigInteger)


def downgrade() -> None:
    """Revert this revision."""
    _retype(sa.BigInteger, sa.Integer)
