"""GET /loadtests and /loadtests/{id}: stored load-test runs."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask_smorest import abort
from sqlalchemy import func, select

from service.api import Blueprint
from service.db import find_by_id, get_session
from service.db.models import LoadTest
from service.loadtests.schemas import LoadTestArgsSchema, LoadTestPageSchema, LoadTestSchema

blp = Blueprint("loadtests", __name__,
                description="Stored `logitlab loadtest` runs: numbers, baseline, RSS, faults.")


def _as_dict(row: LoadTest) -> dict[str, Any]:
    out = {column.key: getattr(row, column.key) for column in LoadTest.__table__.columns}
    if out["created_at"].tzinfo is None:  # SQLite drops the zone of stored UTC timestamps
        out["created_at"] = out["created_at"].replace(tzinfo=UTC)
    return out


@blp.route("/loadtests", methods=["GET"])
@blp.arguments(LoadTestArgsSchema, location="query")
@blp.response(200, LoadTestPageSchema)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def list_loadtests(args: dict[str, Any]) -> dict[str, Any]:
    """Load tests, newest first (optionally one scenario's)."""
    session = get_session()
    where = [LoadTest.scenario == args["scenario"]] if "scenario" in args else []
    total = session.scalar(select(func.count()).select_from(LoadTest).where(*where))
    rows = session.scalars(select(LoadTest).where(*where).order_by(LoadTest.id.desc())
                           .limit(args["limit"]).offset(args["offset"]))
    return {"total": total, "limit": args["limit"], "offset": args["offset"],
            "items": [_as_dict(row) for row in rows]}


@blp.route("/loadtests/<int:loadtest_id>", methods=["GET"])
@blp.response(200, LoadTestSchema)
@blp.alt_response(404, response="NOT_FOUND")
def show_loadtest(loadtest_id: int) -> dict[str, Any]:
    """One load test with every stored field."""
    row = find_by_id(get_session(), LoadTest, loadtest_id)
    if row is None:
        abort(404, message=f"load test {loadtest_id} not found")
    return _as_dict(row)
