"""Optional bearer-token access control and opt-in CORS."""

import hmac

from flask import Flask, Response, current_app, request
from flask_cors import CORS

from service.errors import problem

# Endpoints anyone may reach: liveness and the interactive docs with their assets.
PUBLIC_ENDPOINTS = {
    "health.healthz",
    "api-docs.openapi_json",
    "api-docs.openapi_swagger_ui",
    "docs_assets.asset",
}


# Other blueprints add predicates here (request -> bool) for requests that carry no data,
# such as the web pages' HTML shells; their own API calls still need the token.
PUBLIC_CHECKS = "logitlab.public_checks"


def _is_public() -> bool:
    if request.method == "OPTIONS" or request.endpoint in PUBLIC_ENDPOINTS:
        return True
    return any(check(request) for check in current_app.extensions.get(PUBLIC_CHECKS, ()))


def _check_token() -> Response | None:
    token: str = current_app.config.get("API_TOKEN") or ""
    if not token or _is_public():
        return None
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "surrogateescape"), token.encode("utf-8")
    ):
        return None
    detail = "Send the API token as 'Authorization: Bearer <token>'."
    if scheme:
        detail = "The bearer token is missing or wrong."
    return problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="logitlab"'})


def init_app(app: Flask) -> None:
    """Install the token check (when API_TOKEN is set) and CORS (when origins are listed)."""
    app.before_request(_check_token)
    origins = app.config.get("CORS_ORIGINS") or []
    if origins:
        CORS(
            app,
            origins=origins,
            expose_headers=["X-Request-ID", "Server-Timing"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", "X-Logits-Shape"],
        )
