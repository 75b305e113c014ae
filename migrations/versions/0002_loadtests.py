"""Create the loadtests table (one row per `logitlab loadtest` run).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 19:16:28.448273
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "loadtests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scenario", sa.String(length=50), nullable=False),
        sa.Column("host", sa.String(length=500), nullable=False),
        sa.Column("self_hosted", sa.Boolean(), nullable=False),
        sa.Column("users", sa.Integer(), nullable=False),
        sa.Column("spawn_rate", sa.Float(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("workers", sa.Integer(), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failure_ratio", sa.Float(), nullable=False),
        sa.Column("rps", sa.Float(), nullable=False),
        sa.Column("p50_ms", sa.Float(), nullable=True),
        sa.Column("p95_ms", sa.Float(), nullable=True),
        sa.Column("p99_ms", sa.Float(), nullable=True),
        sa.Column("avg_ms", sa.Float(), nullable=True),
        sa.Column("max_ms", sa.Float(), nullable=True),
        sa.Column("endpoints", sa.JSON(), nullable=False),
        sa.Column("failure_messages", sa.JSON(), nullable=False),
        sa.Column("baseline", sa.JSON(), nullable=True),
        sa.Column("baseline_rps", sa.Float(), nullable=True),
        sa.Column("baseline_ratio", sa.Float(), nullable=True),
        sa.Column("rss", sa.JSON(), nullable=True),
        sa.Column("rss_growth_pct", sa.Float(), nullable=True),
        sa.Column("fault", sa.JSON(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("code_version", sa.String(length=100), nullable=False),
        sa.Column("locust_version", sa.String(length=50), nullable=False),
        sa.Column("csv_dir", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("loadtests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loadtests_scenario"), ["scenario"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("loadtests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loadtests_scenario"))

    op.drop_table("loadtests")
