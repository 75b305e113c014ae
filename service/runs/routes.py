"""GET /runs, /runs/{id}, /runs/{id}/cells and /runs/{id}/heatmap.png."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response
from flask_smorest import abort
from sqlalchemy import func, select

from service.api import Blueprint
from service.db import get_session
from service.db.models import PARAMETERS, Run
from service.runs.heatmap import HeatmapError, heatmap_png
from service.runs.kinds import CellKind, cell_kind, count_cells, find_run
from service.runs.schemas import (
    RANGE_METRICS,
    CellPageSchema,
    CellsArgsSchema,
    HeatmapArgsSchema,
    PageArgsSchema,
    RunPageSchema,
    RunSchema,
)

blp = Blueprint("runs", __name__, description="Sweep runs and their per-cell statistics.")
# Parameter filters match within this tolerance, so 0.3 finds a linspace 0.30000000000000004.
MATCH_TOLERANCE = 1e-9


def _run_or_404(run_id: int) -> Run:
    run = find_run(get_session(), run_id)
    if run is None:
        abort(404, message=f"run {run_id} not found")
    return run


def _utc(value: datetime | None) -> datetime | None:
    """SQLite drops the zone of stored UTC timestamps; put it back for the ISO output."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _with_progress(run: Run) -> dict[str, Any]:
    done = count_cells(get_session(), run)
    out = {c.key: getattr(run, c.key) for c in Run.__table__.columns}
    out["created_at"], out["finished_at"] = _utc(run.created_at), _utc(run.finished_at)
    return out | {"cells_done": done}


def _reject(run: Run, field: str, value: str, allowed: tuple[str, ...], note: str = "") -> None:
    """422 naming the values a run of this kind accepts for `field`."""
    kind = cell_kind(run)
    message = (f"{value!r} does not apply to run {run.id}'s {kind.name} cells (engine "
               f"{run.engine!r}); {field} must be one of: {', '.join(allowed)}{note}")
    abort(422, message=message, errors={field: [message]})


def _check_metrics(run: Run, args: dict[str, Any]) -> CellKind:
    """The run's cell kind; 422 when a range filter names another kind's statistic."""
    kind = cell_kind(run)
    for name in RANGE_METRICS:
        for bound in (f"{name}_min", f"{name}_max"):
            if bound in args and name not in kind.metrics:
                _reject(run, bound, name, tuple(f"{m}{bound[-4:]}" for m in kind.metrics))
    return kind


def _filters(kind: CellKind, args: dict[str, Any]) -> list:
    model = kind.model
    clauses = []
    for name in PARAMETERS:
        if name in args:
            clauses.append(getattr(model, name).between(args[name] - MATCH_TOLERANCE,
                                                        args[name] + MATCH_TOLERANCE))
    for name in kind.metrics:
        if f"{name}_min" in args:
            clauses.append(getattr(model, name) >= args[f"{name}_min"])
        if f"{name}_max" in args:
            clauses.append(getattr(model, name) <= args[f"{name}_max"])
    return clauses


@blp.route("/runs", methods=["GET"])
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, RunPageSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_runs(args: dict[str, Any]) -> dict[str, Any]:
    """Runs, newest first, with how many cells each has stored."""
    session = get_session()
    total = session.scalar(select(func.count()).select_from(Run))
    runs = session.scalars(select(Run).order_by(Run.id.desc())
                           .limit(args["limit"]).offset(args["offset"]))
    items = [_with_progress(run) for run in runs]
    return {"total": total, "limit": args["limit"], "offset": args["offset"], "items": items}


@blp.route("/runs/<int:run_id>", methods=["GET"])
@blp.response(200, RunSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(404, response="NOT_FOUND")
def show_run(run_id: int) -> dict[str, Any]:
    """One run: source, grid, seed, conventions, status and progress."""
    return _with_progress(_run_or_404(run_id))


@blp.route("/runs/<int:run_id>/cells", methods=["GET"])
@blp.arguments(CellsArgsSchema, location="query")
@blp.response(200, CellPageSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_cells(args: dict[str, Any], run_id: int) -> dict[str, Any]:
    """A run's cells (their statistics depend on its engine): equality filters on parameters,
    metric ranges, order_by, limit/offset."""
    run = _run_or_404(run_id)
    kind = _check_metrics(run, args)
    model = kind.model
    key = args["order_by"]
    if key.lstrip("-") not in kind.orderable:
        _reject(run, "order_by", key, kind.orderable, " ('-' prefix for descending)")
    session = get_session()
    where = [model.run_id == run_id, *_filters(kind, args)]
    total = session.scalar(select(func.count()).select_from(model).where(*where))
    column = getattr(model, key.lstrip("-"))
    order = [column.desc() if key.startswith("-") else column.asc(), model.id.asc()]
    cells = session.scalars(select(model).where(*where).order_by(*order)
                            .limit(args["limit"]).offset(args["offset"])).all()
    return {"total": total, "limit": args["limit"], "offset": args["offset"], "items": cells}


@blp.route("/runs/<int:run_id>/heatmap.png", methods=["GET"])
@blp.arguments(HeatmapArgsSchema, location="query")
@blp.response(200, content_type="image/png")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def heatmap(args: dict[str, Any], run_id: int) -> Response:
    """PNG heatmap of one metric over temperature x top_p (fix other swept knobs by query)."""
    run = _run_or_404(run_id)
    kind = cell_kind(run)
    metric = args["metric"]
    if metric not in kind.metrics:
        _reject(run, "metric", metric, kind.metrics)
    where = [kind.model.run_id == run_id, *_filters(kind, args)]
    cells = get_session().scalars(select(kind.model).where(*where)).all()
    rows = [{"temperature": c.temperature, "top_p": c.top_p, metric: getattr(c, metric)}
            for c in cells]
    try:
        png = heatmap_png(rows, metric, title=f"run {run.id}: {metric}")
    except HeatmapError as error:
        # The knobs to fix are the unfixed ones that vary among the cells.
        fields = [error.field] if error.field else [
            name for name in PARAMETERS if name not in ("temperature", "top_p", *args)
            and len({getattr(c, name) for c in cells}) > 1]
        abort(422, message=str(error), errors={name: [str(error)] for name in fields} or None)
    return Response(png, mimetype="image/png")
