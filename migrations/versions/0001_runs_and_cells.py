"""Create the runs and cells tables.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-27 18:30:57.943706
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("grid", sa.JSON(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("code_version", sa.String(length=100), nullable=False),
        sa.Column("preset", sa.String(length=20), nullable=False),
        sa.Column("stage_order", sa.JSON(), nullable=False),
        sa.Column("top_p_rule", sa.String(length=200), nullable=False),
        sa.Column("crn_scheme", sa.String(length=200), nullable=False),
        sa.Column("engine", sa.String(length=20), nullable=False),
        sa.Column("n_rows", sa.Integer(), nullable=False),
        sa.Column("vocab_size", sa.Integer(), nullable=False),
        sa.Column("n_cells", sa.Integer(), nullable=False),
        sa.Column("chunk_cells", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "cells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=False),
        sa.Column("top_p", sa.Float(), nullable=False),
        sa.Column("top_k", sa.Integer(), nullable=False),
        sa.Column("min_p", sa.Float(), nullable=False),
        sa.Column("repetition_penalty", sa.Float(), nullable=False),
        sa.Column("entropy", sa.Float(), nullable=False),
        sa.Column("perplexity", sa.Float(), nullable=False),
        sa.Column("renyi2_entropy", sa.Float(), nullable=False),
        sa.Column("min_entropy", sa.Float(), nullable=False),
        sa.Column("kept_count", sa.Float(), nullable=False),
        sa.Column("kept_mass", sa.Float(), nullable=False),
        sa.Column("kl_to_original", sa.Float(), nullable=False),
        sa.Column("expected_distinct", sa.Float(), nullable=False),
        sa.Column("distinct_1", sa.Float(), nullable=False),
        sa.Column("distinct_2", sa.Float(), nullable=False),
        sa.Column("distinct_3", sa.Float(), nullable=False),
        sa.Column("distinct_4", sa.Float(), nullable=False),
        sa.Column("plugin_entropy", sa.Float(), nullable=False),
        sa.Column("miller_madow_entropy", sa.Float(), nullable=False),
        sa.Column("good_turing_unseen", sa.Float(), nullable=False),
        sa.Column("repetition_rate", sa.Float(), nullable=False),
        sa.Column("n_rows", sa.Integer(), nullable=False),
        sa.Column("draws_per_row", sa.Integer(), nullable=False),
        sa.Column("n_tokens", sa.Integer(), nullable=False),
        sa.Column("distinct_tokens", sa.Integer(), nullable=False),
        sa.Column("unique_1", sa.Integer(), nullable=False),
        sa.Column("unique_2", sa.Integer(), nullable=False),
        sa.Column("unique_3", sa.Integer(), nullable=False),
        sa.Column("unique_4", sa.Integer(), nullable=False),
        sa.Column("total_1", sa.Integer(), nullable=False),
        sa.Column("total_2", sa.Integer(), nullable=False),
        sa.Column("total_3", sa.Integer(), nullable=False),
        sa.Column("total_4", sa.Integer(), nullable=False),
        sa.Column("hapax", sa.Integer(), nullable=False),
        sa.Column("repeat_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "run_id",
            "temperature",
            "top_p",
            "top_k",
            "min_p",
            "repetition_penalty",
            name="uq_cells_run_parameters",
        ),
    )
    with op.batch_alter_table("cells", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cells_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("cells", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cells_run_id"))

    op.drop_table("cells")
    op.drop_table("runs")
