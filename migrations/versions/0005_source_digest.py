"""Add runs.source_sha256: the SHA-256 of a token sweep's logits, so that a resume can refuse a
source that changed since the run started (an .npy file rewritten with the same shape).

Runs created before this revision have none, and resume as before (shape check only).

A plain ALTER TABLE, not batch mode: on SQLite, batch mode recreates the table, and dropping
the old `runs` with foreign keys on would cascade to every stored cell.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 07:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("runs", sa.Column("source_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Revert this revision (SQLite 3.35 and later drop a column in place)."""
    op.drop_column("runs", "source_sha256")
