"""POST /demo/linear: train the "Software 2.0" MLP on y = 2x + 3 and compare with algebra."""

from typing import Any

from service import __version__
from service.api import Blueprint
from service.db import get_session
from service.demo.linear import train
from service.demo.schemas import LinearDemoRequestSchema, LinearDemoResultSchema
from service.demo.store import save_linear

blp = Blueprint("demo", __name__, description="The Software 2.0 demo: a network learns a rule.")


@blp.route("/demo/linear", methods=["POST"])
@blp.arguments(LinearDemoRequestSchema)
@blp.response(200, LinearDemoResultSchema)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def linear_view(args: dict[str, Any]) -> dict[str, Any]:
    """Deterministic for a seed: the prediction at x is close to 2x + 3 but not exact; the run
    is stored (demo_runs) and its id returned."""
    result = train(**args)
    session = get_session()
    run_id = save_linear(session, result, __version__)
    session.commit()
    return {**result.to_dict(), "run_id": run_id}
