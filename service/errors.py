"""RFC 9457 problem+json responses for every error, including ones no input should cause."""

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import marshmallow as ma
import orjson
from flask import Flask, Response, g
from werkzeug.exceptions import HTTPException

from service.db.migrate import NewerSchemaError
from service.sampling import SamplingError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("logitlab.errors")


class ProblemSchema(ma.Schema):
    """An RFC 9457 problem document (documentation only)."""

    type = ma.fields.String(required=True, metadata={"example": "about:blank"})
    title = ma.fields.String(required=True, metadata={"example": "Unprocessable Content"})
    status = ma.fields.Integer(required=True, metadata={"example": 422})
    detail = ma.fields.String(required=True)
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        required=True,
        metadata={"description": "Messages per offending field; empty when none applies."},
    )


def _encodable(value: Any) -> Any:
    """`value` with every string one UTF-8 can encode: a lone surrogate becomes its escape."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode()
    if isinstance(value, Mapping):
        return {_encodable(key): _encodable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(item) for item in value]
    return value


def problem_document(status: int, detail: str,
                     errors: Mapping[str, list[str]] | None = None) -> bytes:
    """The problem+json body for `status`, its standard phrase as the title."""
    document = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "errors": dict(errors or {}),
    }
    try:
        return orjson.dumps(document)
    except TypeError:  # text that is not valid Unicode: an error about it must still be sent
        return orjson.dumps(_encodable(document))


def problem(
    status: int,
    detail: str,
    errors: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build a problem+json response."""
    return Response(problem_document(status, detail, errors), status,
                    headers=dict(headers or {}), mimetype=PROBLEM_JSON)


def _leaves(messages: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str]]:
    if isinstance(messages, Mapping):
        return [leaf for k, v in messages.items() for leaf in _leaves(v, (*path, str(k)))]
    if isinstance(messages, list) and not all(isinstance(m, str) for m in messages):
        return [leaf for i, v in enumerate(messages) for leaf in _leaves(v, (*path, str(i)))]
    texts = messages if isinstance(messages, list) else [messages]
    return [(path, str(text)) for text in texts]


def flatten(messages: Any) -> dict[str, list[str]]:
    """marshmallow/webargs nested messages as {top-level field: ["at a.0: message", ...]}."""
    flat: dict[str, list[str]] = {}
    for path, text in _leaves(messages):
        field, rest = (path[0], path[1:]) if path else ("_schema", ())
        flat.setdefault(field, []).append(f"at {'.'.join(rest)}: {text}" if rest else text)
    return flat


def summary(errors: Mapping[str, list[str]]) -> str:
    """One readable line naming the first few offending fields."""
    first = [(field, texts[0].rstrip(".")) for field, texts in errors.items() if texts][:3]
    parts = [f"{field}: {text}" for field, text in first]
    more = len(errors) - 3
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "") or "Invalid values."


def _webargs_errors(messages: Any) -> dict[str, list[str]]:
    """Drop webargs's location level ("json", "query", ...) from its messages."""
    locations = {"json", "query", "querystring", "form", "headers", "files", "view_args"}
    if isinstance(messages, Mapping) and messages and set(messages) <= locations:
        merged: dict[str, list[str]] = {}
        for inner in messages.values():
            for field, texts in flatten(inner).items():
                merged.setdefault(field, []).extend(texts)
        return merged
    return flatten(messages)


def handle_http_exception(error: HTTPException) -> Response:
    """Any werkzeug/flask-smorest HTTP error, with webargs messages as `errors`."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    raw = data.get("errors", data.get("messages"))
    errors = _webargs_errors(raw) if raw else {}
    detail = data.get("message") or error.description or HTTPStatus(status).phrase
    if status == 422 and errors and "message" not in data:
        detail = summary(errors)
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    return problem(status, detail, errors, headers)


def handle_validation_error(error: ma.ValidationError) -> Response:
    """A marshmallow ValidationError raised by a view: 422 with the field messages."""
    errors = flatten(error.messages)
    return problem(422, summary(errors), errors)


def handle_sampling_error(error: SamplingError) -> Response:
    """The core rejected the input: 422 naming the parameter."""
    return problem(422, error.message, {error.field: [error.message]})


def handle_newer_schema(error: NewerSchemaError) -> Response:
    """The database is newer than this code: the deployment, not the request, must change."""
    log.error("cannot use the database: %s", error)
    return problem(503, f"The database cannot be used: {error}.")


def handle_unexpected(error: Exception) -> Response:
    """A bug: log the traceback server-side, answer a generic 500 without details."""
    request_id = g.get("request_id", "-")
    log.error("unhandled error (request_id=%s)", request_id, exc_info=error)
    detail = f"The server failed to handle the request (request id {request_id})."
    return problem(500, detail)


def init_app(app: Flask) -> None:
    """Register the problem+json handlers."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ma.ValidationError, handle_validation_error)
    app.register_error_handler(SamplingError, handle_sampling_error)
    app.register_error_handler(NewerSchemaError, handle_newer_schema)
    app.register_error_handler(Exception, handle_unexpected)
