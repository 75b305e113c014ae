"""The flask-smorest Api, with problem+json errors documented and handled, and the Blueprint
whose arguments are parsed from strictly read JSON."""

import http
from collections.abc import Callable
from typing import Any

import flask
import flask_smorest
from apispec import BasePlugin
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from service import errors, jsonio
from service.security import PUBLIC_ENDPOINTS

# The OpenAPI security scheme for LOGITLAB_API_TOKEN (`Authorization: Bearer <token>`).
BEARER = "bearerAuth"


def custom_field_properties(self: Any, field: Any, **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function: a field may describe itself via `openapi_properties`."""
    describe = getattr(field, "openapi_properties", None)
    return describe(self.field2property) if callable(describe) else {}


def documented_by(*decorators: Callable) -> Callable:
    """Record flask-smorest decorators' documentation on a view without their runtime wrappers.

    For views that always return a finished Response: flask-smorest's `doc`, `response` and
    `alt_response` would each add a call layer (an `ensure_sync` lookup per request) that only
    passes that Response through. Decorators are listed outermost first, as when stacked.
    """

    def decorate(view: Callable) -> Callable:
        wrapped = view
        for decorator in reversed(decorators):
            wrapped = decorator(wrapped)
        view._apidoc = wrapped._apidoc  # type: ignore[attr-defined]
        return view

    return decorate


class JsonBodyParser(FlaskParser):
    """webargs's Flask parser, JSON bodies read as /sample reads them (`jsonio.loads_body`).

    webargs's own `json.loads` lets lone surrogates ("\\ud800") through, which no UTF-8
    encoding (the tokenizer's, orjson's) takes later, and raises RecursionError on deep nesting.
    """

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        if not data:  # as webargs: no body is no arguments, the schema says what is missing
            return core.missing
        try:
            return jsonio.loads_body(data)
        except ValueError as error:
            message = f"The body is not valid JSON: {error}"
            abort(400, exc=error, message=message, messages={"json": [message]})


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with the strict JSON body parser."""

    ARGUMENTS_PARSER = JsonBodyParser()


class BearerSecurityPlugin(BasePlugin):
    """apispec plugin: every operation but the public ones (service.security's
    PUBLIC_ENDPOINTS, such as /healthz) requires the bearer token. Documentation only: the
    token check itself is service.security's."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None,
                         **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        if rule is not None and rule.endpoint in PUBLIC_ENDPOINTS:
            return
        for operation in (operations or {}).values():
            operation.setdefault("security", [{BEARER: []}])


class LogitLabApi(Api):
    """Api whose error responses are RFC 9457 problem documents."""

    ERROR_SCHEMA = errors.ProblemSchema

    def _register_error_handlers(self) -> None:
        errors.init_app(self._app)

    def _init_spec(self, **kwargs: Any) -> None:
        # Under an API token, document it: Swagger UI then offers "Authorize" and sends it.
        # Without one nothing asks for a token, so nothing is documented.
        if self._app.config.get("API_TOKEN"):
            kwargs["extra_plugins"] = [*kwargs.get("extra_plugins", ()), BearerSecurityPlugin()]
        super()._init_spec(**kwargs)
        self.ma_plugin.converter.add_attribute_function(custom_field_properties)
        if self._app.config.get("API_TOKEN"):
            self.spec.components.security_scheme(BEARER, {"type": "http", "scheme": "bearer"})

    def _register_responses(self) -> None:
        """Like flask-smorest's, but error bodies are `application/problem+json`."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, errors.PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, errors.PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)
