"""POST /echo: a trivial endpoint, the baseline for service benchmarks (LOGITLAB_ENABLE_ECHO)."""

from flask import Blueprint, Response, request

# Registered only when this config flag is true; never part of /openapi.json.
ENABLED_BY = "ENABLE_ECHO"

blp = Blueprint("bench", __name__)


@blp.post("/echo")
def echo() -> Response:
    """Return the request body unchanged, with the request's content type."""
    body = request.get_data(cache=False)
    return Response(body, mimetype=request.mimetype or "application/octet-stream")
