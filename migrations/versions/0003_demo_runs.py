"""Create demo_runs, generation_sweeps and generation_cells (the Software 2.0 demo's runs and
generation sweeps' settings and cells).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 20:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARAMETERS = ("temperature", "top_p", "top_k", "min_p", "repetition_penalty")


def _floats(*names: str, nullable: bool = False) -> list[sa.Column]:
    return [sa.Column(name, sa.Float(), nullable=nullable) for name in names]


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "demo_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("demo", sa.String(length=50), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("epochs", sa.Integer(), nullable=False),
        sa.Column("hidden", sa.Integer(), nullable=False),
        *_floats("learning_rate", "x", "mlp_prediction", "exact", "lstsq_slope",
                 "lstsq_intercept", "lstsq_prediction", "final_loss"),
        sa.Column("losses", sa.JSON(), nullable=False),
        sa.Column("code_version", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "generation_sweeps",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("prompts", sa.JSON(), nullable=False),
        sa.Column("max_tokens", sa.Integer(), nullable=False),
        sa.Column("stop", sa.JSON(), nullable=False),
        sa.Column("self_bleu", sa.Boolean(), nullable=False),
        sa.Column("conventions", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id"),
    )
    op.create_table(
        "generation_cells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=False),
        sa.Column("top_p", sa.Float(), nullable=False),
        sa.Column("top_k", sa.Integer(), nullable=False),
        sa.Column("min_p", sa.Float(), nullable=False),
        sa.Column("repetition_penalty", sa.Float(), nullable=False),
        *_floats("distinct_1", "distinct_2", "distinct_3", "distinct_4", "repetition_rate",
                 "mean_length"),
        *_floats("self_bleu", nullable=True),
        sa.Column("n_continuations", sa.Integer(), nullable=False),
        sa.Column("n_tokens", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", *PARAMETERS, name="uq_generation_cells_run_parameters"),
    )
    with op.batch_alter_table("generation_cells", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_generation_cells_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("generation_cells", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_generation_cells_run_id"))
    op.drop_table("generation_cells")
    op.drop_table("generation_sweeps")
    op.drop_table("demo_runs")
