"""Marshmallow schemas for runs, cells and the /runs query arguments."""

from __future__ import annotations

import marshmallow as ma

from service.db import MAX_ID
from service.db.models import PARAMETERS
from service.runs.kinds import (
    ALL_INTEGERS,
    ALL_METRICS,
    ALL_ORDERABLE,
    GENERATION,
    TOKEN,
    kinds_of,
)

MAX_LIMIT = 1000
# order_by names a cell column, optionally prefixed with "-" for descending; the schema takes
# the columns of every kind of cell, the view then only those of the run's kind.
ORDERABLE = ALL_ORDERABLE + tuple(f"-{name}" for name in ALL_ORDERABLE)
# Metrics plottable or filterable by range: every statistic and raw count of some kind of cell.
RANGE_METRICS = ALL_METRICS
ENGINE_NOTE = (f"Which statistics a cell has depends on its run's engine: a run with engine "
               f"\"generation\" has {', '.join(GENERATION.metrics)}; runs of the other "
               f"engines have the {TOKEN.name} statistics ({', '.join(TOKEN.metrics)}).")


class RunSchema(ma.Schema):
    """A sweep run: its provenance, grid, conventions and progress."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(allow_none=True)
    status = ma.fields.String(required=True, metadata={"example": "finished"})
    created_at = ma.fields.DateTime(required=True)
    finished_at = ma.fields.DateTime(allow_none=True)
    source = ma.fields.String(required=True)
    grid = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.Raw()))
    samples = ma.fields.Integer(required=True, metadata={
        "description": "draws per row per cell (generation runs: continuations per prompt)"})
    seed = ma.fields.Integer(required=True)
    code_version = ma.fields.String(required=True)
    preset = ma.fields.String(required=True)
    stage_order = ma.fields.List(ma.fields.String())
    top_p_rule = ma.fields.String(required=True)
    crn_scheme = ma.fields.String(required=True)
    engine = ma.fields.String(required=True, metadata={"example": "prefix"})
    n_rows = ma.fields.Integer(required=True)
    vocab_size = ma.fields.Integer(required=True)
    n_cells = ma.fields.Integer(required=True)
    chunk_cells = ma.fields.Integer(required=True)
    source_sha256 = ma.fields.String(allow_none=True, metadata={
        "description": "SHA-256 of a token sweep's logits, checked on resume (null for "
                       "generation runs and runs recorded before it was kept)"})
    cells_done = ma.fields.Integer(required=True)


def _cell_fields() -> dict[str, ma.fields.Field]:
    fields: dict[str, ma.fields.Field] = {"id": ma.fields.Integer(), "run_id": ma.fields.Integer()}
    for name in PARAMETERS:
        fields[name] = ma.fields.Integer() if name == "top_k" else ma.fields.Float()
    for name in ALL_METRICS:
        kind = ma.fields.Integer if name in ALL_INTEGERS else ma.fields.Float
        # Self-BLEU is null in generation runs swept without --self-bleu.
        fields[name] = kind(allow_none=name == "self_bleu", metadata={
            "description": f"present in {' and '.join(kinds_of(name))} cells"})
    return fields


class _CellBase(ma.Schema):
    """A cell: its parameters, then the statistics of its run's kind (docs/statistics.md)."""

    class Meta:
        """The OpenAPI description: every statistic is optional, present by the run's engine."""

        description = ("A cell: its parameters and the statistics of its run's kind. "
                       + ENGINE_NOTE)


CellSchema = _CellBase.from_dict(_cell_fields(), name="CellSchema")


class PageArgsSchema(ma.Schema):
    """limit/offset pagination."""

    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(1, MAX_LIMIT))
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(0, 2**31))


def _cells_query_fields() -> dict[str, ma.fields.Field]:
    fields: dict[str, ma.fields.Field] = {
        "order_by": ma.fields.String(
            load_default="id", validate=ma.validate.OneOf(ORDERABLE),
            metadata={"description": "a column of the run's cells, '-' prefix for descending; "
                                     "columns of another engine's cells are a 422"},
        ),
    }
    for name in PARAMETERS:
        fields[name] = ma.fields.Float(metadata={"description": f"only cells with this {name}"})
    for name in RANGE_METRICS:
        runs = f" ({' and '.join(kinds_of(name))} runs)"
        fields[f"{name}_min"] = ma.fields.Float(metadata={"description": f"{name} >= value{runs}"})
        fields[f"{name}_max"] = ma.fields.Float(metadata={"description": f"{name} <= value{runs}"})
    return fields


CellsArgsSchema = PageArgsSchema.from_dict(_cells_query_fields(), name="CellsArgsSchema")


class CellPageSchema(ma.Schema):
    """One page of a run's cells; which statistics each item has depends on the run's engine."""

    total = ma.fields.Integer(required=True, metadata={"description": "cells matching filters"})
    limit = ma.fields.Integer(required=True)
    offset = ma.fields.Integer(required=True)
    items = ma.fields.List(ma.fields.Nested(CellSchema), required=True)


class RunPageSchema(ma.Schema):
    """One page of runs, newest first."""

    total = ma.fields.Integer(required=True)
    limit = ma.fields.Integer(required=True)
    offset = ma.fields.Integer(required=True)
    items = ma.fields.List(ma.fields.Nested(RunSchema), required=True)


class HeatmapArgsSchema(ma.Schema):
    """Which metric to plot, and values for other swept knobs."""

    metric = ma.fields.String(required=True, validate=ma.validate.OneOf(RANGE_METRICS),
                              metadata={"description": "a statistic of the run's kind of cells"})
    # Bounded to what the 64-bit top_k column holds: a larger integer cannot become the
    # float the tolerance match needs (OverflowError) and matches no cell anyway.
    top_k = ma.fields.Integer(validate=ma.validate.Range(
        0, MAX_ID, error="top_k must be an integer from 0 to 2**63 - 1 (a stored top_k)"))
    min_p = ma.fields.Float()
    repetition_penalty = ma.fields.Float()
