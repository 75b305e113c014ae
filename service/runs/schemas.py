"""Marshmallow schemas for runs, cells and the /runs query arguments."""

from __future__ import annotations

import marshmallow as ma

from service.db.models import METRICS, PARAMETERS, RAW_COUNTS, Cell

MAX_LIMIT = 1000
# order_by accepts exactly the cell's columns, optionally prefixed with "-" for descending.
CELL_COLUMNS = tuple(column.key for column in Cell.__table__.columns)
ORDERABLE = CELL_COLUMNS + tuple(f"-{name}" for name in CELL_COLUMNS)
# Metrics plottable or filterable by range: every statistic and raw count.
RANGE_METRICS = METRICS


class RunSchema(ma.Schema):
    """A sweep run: its provenance, grid, conventions and progress."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(allow_none=True)
    status = ma.fields.String(required=True, metadata={"example": "finished"})
    created_at = ma.fields.DateTime(required=True)
    finished_at = ma.fields.DateTime(allow_none=True)
    source = ma.fields.String(required=True)
    grid = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.Raw()))
    samples = ma.fields.Integer(required=True, metadata={"description": "draws per row per cell"})
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
    cells_done = ma.fields.Integer(required=True)


def _cell_fields() -> dict[str, ma.fields.Field]:
    fields: dict[str, ma.fields.Field] = {"id": ma.fields.Integer(), "run_id": ma.fields.Integer()}
    for name in PARAMETERS + METRICS:
        integer = name == "top_k" or name in RAW_COUNTS
        fields[name] = ma.fields.Integer() if integer else ma.fields.Float()
    return fields


CellSchema = ma.Schema.from_dict(_cell_fields(), name="CellSchema")


class PageArgsSchema(ma.Schema):
    """limit/offset pagination."""

    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(1, MAX_LIMIT))
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(0, 2**31))


def _cells_query_fields() -> dict[str, ma.fields.Field]:
    fields: dict[str, ma.fields.Field] = {
        "order_by": ma.fields.String(
            load_default="id", validate=ma.validate.OneOf(ORDERABLE),
            metadata={"description": "a cell column, '-' prefix for descending"},
        ),
    }
    for name in PARAMETERS:
        fields[name] = ma.fields.Float(metadata={"description": f"only cells with this {name}"})
    for name in RANGE_METRICS:
        fields[f"{name}_min"] = ma.fields.Float(metadata={"description": f"{name} >= value"})
        fields[f"{name}_max"] = ma.fields.Float(metadata={"description": f"{name} <= value"})
    return fields


CellsArgsSchema = PageArgsSchema.from_dict(_cells_query_fields(), name="CellsArgsSchema")


class CellPageSchema(ma.Schema):
    """One page of a run's cells."""

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

    metric = ma.fields.String(required=True, validate=ma.validate.OneOf(RANGE_METRICS))
    top_k = ma.fields.Integer()
    min_p = ma.fields.Float()
    repetition_penalty = ma.fields.Float()
