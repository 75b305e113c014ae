"""GET /healthz: the process is up and serving; reports the version."""

import marshmallow as ma

from service import __version__
from service.api import Blueprint

blp = Blueprint("health", __name__, description="Liveness and version.")


class HealthSchema(ma.Schema):
    """The liveness answer."""

    status = ma.fields.String(required=True, metadata={"example": "ok"})
    version = ma.fields.String(required=True, metadata={"example": __version__})


@blp.route("/healthz", methods=["GET"])
@blp.response(200, HealthSchema)
def healthz() -> dict[str, str]:
    """Liveness: 200 with the service version while the worker can serve requests."""
    return {"status": "ok", "version": __version__}
