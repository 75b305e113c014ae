"""Typed SQLAlchemy models: a sweep `Run` and its `Cell`s, one row per parameter combination."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# The knobs a sweep can vary; every cell stores a value for each (the default when not swept).
PARAMETERS = ("temperature", "top_p", "top_k", "min_p", "repetition_penalty")
# Exact statistics of the processed distribution q, averaged over source rows.
EXACT_STATS = (
    "entropy",
    "perplexity",
    "renyi2_entropy",
    "min_entropy",
    "kept_count",
    "kept_mass",
    "kl_to_original",
    "expected_distinct",
)
# Empirical statistics of the draws (ratios and per-row averages).
EMPIRICAL_STATS = (
    "distinct_1",
    "distinct_2",
    "distinct_3",
    "distinct_4",
    "plugin_entropy",
    "miller_madow_entropy",
    "good_turing_unseen",
    "repetition_rate",
)
# Raw integer counts summed over rows, from which other published variants can be derived.
# BIGINT columns: a cell's draws (rows x samples x tokens) can pass int4's 2**31 - 1.
RAW_COUNTS = (
    "n_rows",
    "draws_per_row",
    "n_tokens",
    "distinct_tokens",
    "unique_1",
    "unique_2",
    "unique_3",
    "unique_4",
    "total_1",
    "total_2",
    "total_3",
    "total_4",
    "hapax",
    "repeat_count",
)
METRICS = EXACT_STATS + EMPIRICAL_STATS + RAW_COUNTS


def utcnow() -> datetime:
    """Timezone-aware now, for timestamps."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base whose metadata the migrations track."""


class Run(Base):
    """One sweep: its source, full grid, seed, conventions and lifecycle."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="running")
    source: Mapped[str] = mapped_column(String(1000))
    grid: Mapped[dict[str, Any]] = mapped_column(JSON)
    samples: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    code_version: Mapped[str] = mapped_column(String(100))
    preset: Mapped[str] = mapped_column(String(20))
    stage_order: Mapped[list[str]] = mapped_column(JSON)
    top_p_rule: Mapped[str] = mapped_column(String(200))
    crn_scheme: Mapped[str] = mapped_column(String(200))
    # "prefix" (rows sorted once, shared prefix sums) or "core" (service.sampling batches).
    engine: Mapped[str] = mapped_column(String(20))
    n_rows: Mapped[int] = mapped_column(Integer)
    vocab_size: Mapped[int] = mapped_column(Integer)
    n_cells: Mapped[int] = mapped_column(Integer)
    # Cells per chunk, fixed at creation so that a resumed run computes identical batches.
    chunk_cells: Mapped[int] = mapped_column(Integer)
    # SHA-256 of a token sweep's logits, checked on resume (None: a generation sweep, or a
    # run created before revision 0005).
    source_sha256: Mapped[str | None] = mapped_column(String(64))

    cells: Mapped[list[Cell]] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True
    )


class CellKey:
    """Columns every kind of sweep cell shares: its run and its parameter values."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    temperature: Mapped[float] = mapped_column(Float)
    top_p: Mapped[float] = mapped_column(Float)
    top_k: Mapped[int] = mapped_column(Integer)
    min_p: Mapped[float] = mapped_column(Float)
    repetition_penalty: Mapped[float] = mapped_column(Float)


class Cell(CellKey, Base):
    """One parameter combination of a run with every statistic as a real column."""

    __tablename__ = "cells"
    __table_args__ = (UniqueConstraint("run_id", *PARAMETERS, name="uq_cells_run_parameters"),)

    # id, run_id, created_at and the parameter columns come from CellKey.

    entropy: Mapped[float] = mapped_column(Float)
    perplexity: Mapped[float] = mapped_column(Float)
    renyi2_entropy: Mapped[float] = mapped_column(Float)
    min_entropy: Mapped[float] = mapped_column(Float)
    kept_count: Mapped[float] = mapped_column(Float)
    kept_mass: Mapped[float] = mapped_column(Float)
    kl_to_original: Mapped[float] = mapped_column(Float)
    expected_distinct: Mapped[float] = mapped_column(Float)

    distinct_1: Mapped[float] = mapped_column(Float)
    distinct_2: Mapped[float] = mapped_column(Float)
    distinct_3: Mapped[float] = mapped_column(Float)
    distinct_4: Mapped[float] = mapped_column(Float)
    plugin_entropy: Mapped[float] = mapped_column(Float)
    miller_madow_entropy: Mapped[float] = mapped_column(Float)
    good_turing_unseen: Mapped[float] = mapped_column(Float)
    repetition_rate: Mapped[float] = mapped_column(Float)

    n_rows: Mapped[int] = mapped_column(BigInteger)
    draws_per_row: Mapped[int] = mapped_column(BigInteger)
    n_tokens: Mapped[int] = mapped_column(BigInteger)
    distinct_tokens: Mapped[int] = mapped_column(BigInteger)
    unique_1: Mapped[int] = mapped_column(BigInteger)
    unique_2: Mapped[int] = mapped_column(BigInteger)
    unique_3: Mapped[int] = mapped_column(BigInteger)
    unique_4: Mapped[int] = mapped_column(BigInteger)
    total_1: Mapped[int] = mapped_column(BigInteger)
    total_2: Mapped[int] = mapped_column(BigInteger)
    total_3: Mapped[int] = mapped_column(BigInteger)
    total_4: Mapped[int] = mapped_column(BigInteger)
    hapax: Mapped[int] = mapped_column(BigInteger)
    repeat_count: Mapped[int] = mapped_column(BigInteger)

    run: Mapped[Run] = relationship(back_populates="cells")


class LoadTest(Base):
    """One `logitlab loadtest` run: scenario, configuration, numbers, checks and versions."""

    __tablename__ = "loadtests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    scenario: Mapped[str] = mapped_column(String(50), index=True)
    host: Mapped[str] = mapped_column(String(500))
    self_hosted: Mapped[bool] = mapped_column(Boolean)
    users: Mapped[int] = mapped_column(Integer)
    spawn_rate: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[float] = mapped_column(Float)
    workers: Mapped[int | None] = mapped_column(Integer)
    # Pacing, request bound, baseline settings, thresholds and the machine's core count.
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    requests: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer)
    failure_ratio: Mapped[float] = mapped_column(Float)
    rps: Mapped[float] = mapped_column(Float)
    p50_ms: Mapped[float | None] = mapped_column(Float)
    p95_ms: Mapped[float | None] = mapped_column(Float)
    p99_ms: Mapped[float | None] = mapped_column(Float)
    avg_ms: Mapped[float | None] = mapped_column(Float)
    max_ms: Mapped[float | None] = mapped_column(Float)
    endpoints: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    failure_messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # The echo baseline measured in the same invocation, and rps / baseline rps.
    baseline: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    baseline_rps: Mapped[float | None] = mapped_column(Float)
    baseline_ratio: Mapped[float | None] = mapped_column(Float)
    # Per-worker RSS after warm-up and at the end (self-hosted runs), the largest growth in %.
    rss: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    rss_growth_pct: Mapped[float | None] = mapped_column(Float)
    # --kill-worker-at: the killed pid, whether it was replaced, the failed requests.
    fault: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    passed: Mapped[bool] = mapped_column(Boolean)
    problems: Mapped[list[str]] = mapped_column(JSON)
    code_version: Mapped[str] = mapped_column(String(100))
    locust_version: Mapped[str] = mapped_column(String(50))
    csv_dir: Mapped[str | None] = mapped_column(String(1000))


# Generation sweeps (runner/generation_sweep.py): a Run with engine "generation", what it
# generates from, and one row of generation-level statistics per parameter combination.
GENERATION_STATS = (
    "distinct_1",
    "distinct_2",
    "distinct_3",
    "distinct_4",
    "repetition_rate",
    "mean_length",
    "self_bleu",
    "n_continuations",
    "n_tokens",
)


class GenerationSweep(Base):
    """A generation sweep's prompts, length, stop strings and statistics' conventions."""

    __tablename__ = "generation_sweeps"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    prompts: Mapped[list[str]] = mapped_column(JSON)
    max_tokens: Mapped[int] = mapped_column(Integer)
    stop: Mapped[list[str]] = mapped_column(JSON)
    self_bleu: Mapped[bool] = mapped_column(Boolean)
    conventions: Mapped[dict[str, Any]] = mapped_column(JSON)


class GenerationCell(CellKey, Base):
    """One parameter combination of a generation sweep, statistics as real columns."""

    __tablename__ = "generation_cells"
    __table_args__ = (
        UniqueConstraint("run_id", *PARAMETERS, name="uq_generation_cells_run_parameters"),
    )

    # id, run_id, created_at and the parameter columns come from CellKey.

    distinct_1: Mapped[float] = mapped_column(Float)
    distinct_2: Mapped[float] = mapped_column(Float)
    distinct_3: Mapped[float] = mapped_column(Float)
    distinct_4: Mapped[float] = mapped_column(Float)
    repetition_rate: Mapped[float] = mapped_column(Float)
    mean_length: Mapped[float] = mapped_column(Float)
    self_bleu: Mapped[float | None] = mapped_column(Float)  # only when the sweep asked for it
    # Counts over prompts x samples x tokens: BIGINT, like Cell's raw counts.
    n_continuations: Mapped[int] = mapped_column(BigInteger)
    n_tokens: Mapped[int] = mapped_column(BigInteger)


class DemoRun(Base):
    """One run of the Software 2.0 demo: settings, the prediction, the exact line, the losses."""

    __tablename__ = "demo_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    demo: Mapped[str] = mapped_column(String(50))  # "linear"
    seed: Mapped[int] = mapped_column(BigInteger)
    epochs: Mapped[int] = mapped_column(Integer)
    hidden: Mapped[int] = mapped_column(Integer)
    learning_rate: Mapped[float] = mapped_column(Float)
    x: Mapped[float] = mapped_column(Float)
    mlp_prediction: Mapped[float] = mapped_column(Float)
    exact: Mapped[float] = mapped_column(Float)
    lstsq_slope: Mapped[float] = mapped_column(Float)
    lstsq_intercept: Mapped[float] = mapped_column(Float)
    lstsq_prediction: Mapped[float] = mapped_column(Float)
    final_loss: Mapped[float] = mapped_column(Float)
    losses: Mapped[list[list[float]]] = mapped_column(JSON)  # [epoch, MSE] checkpoints
    code_version: Mapped[str] = mapped_column(String(100))
