"""Serve the swagger-ui-bundle package's static files under /docs/assets/, and its icon as
/favicon.ico (the Swagger UI page names no icon, so browsers ask for that)."""

import mimetypes
from functools import cache

from flask import Blueprint, Request, Response
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import NotFound

from service.security import PUBLIC_CHECKS

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


def favicon() -> Response:
    """Swagger UI's own 32x32 icon: the /docs page would otherwise log a 404 on every visit."""
    return asset("favicon-32x32.png")


def _is_favicon(req: Request) -> bool:
    """The icon holds no data: public under an API token, as the docs are."""
    return req.endpoint == "docs_assets.favicon"


@blp.record_once
def _register_favicon(state) -> None:
    # At the site root, outside the blueprint's /docs/assets prefix.
    state.app.add_url_rule("/favicon.ico", endpoint="docs_assets.favicon", view_func=favicon)
    state.app.extensions.setdefault(PUBLIC_CHECKS, []).append(_is_favicon)
