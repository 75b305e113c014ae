"""Serve the swagger-ui-bundle package's static files under /docs/assets/."""

import mimetypes
from functools import cache

from flask import Blueprint, Response
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import NotFound

# A plain Flask blueprint: the assets are not part of the API, so not in /openapi.json.
blp = Blueprint("docs_assets", __name__, url_prefix="/docs/assets")

# Only the files the Swagger UI page loads.
ASSETS = frozenset(
    {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-32x32.png",
        "favicon-16x16.png",
    }
)


@cache
def _read(filename: str) -> bytes:
    return (swagger_ui_path / filename).read_bytes()


@blp.get("/<path:filename>")
def asset(filename: str) -> Response:
    """One Swagger UI file (read once per worker), cacheable for a day."""
    if filename not in ASSETS:
        raise NotFound(f"No docs asset named {filename!r}.")
    kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = Response(_read(filename), mimetype=kind)
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response
