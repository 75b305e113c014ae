"""RFC 9457 problem+json responses for every error, including ones no input should cause."""

import itertools
import logging
from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import Any

import marshmallow as ma
import orjson
from flask import Flask, Response, g
from werkzeug.exceptions import HTTPException

from service.bounded import LEFT_OUT, LeftOut, counted, left_out
from service.db.migrate import NewerSchemaError
from service.sampling import SamplingError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("logitlab.errors")
# A problem document stays small however many errors a request has: at most MAX_FIELDS fields
# in `errors`, MAX_MESSAGES messages per field and MAX_TEXT characters per text; what is left
# out is counted ("... and 79 990 more").
MAX_FIELDS = 20
MAX_MESSAGES = 20
MAX_TEXT = 1000


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


def _count(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _text(text: str) -> str:
    """`text`, cut after MAX_TEXT characters (a key or value of the request can be any size)."""
    if len(text) <= MAX_TEXT:
        return text
    return f"{text[:MAX_TEXT]}... ({_count(len(text) - MAX_TEXT)} more characters)"


def _messages(texts: list[str]) -> list[str]:
    """The first MAX_MESSAGES texts, then one that counts the others (as `flatten` ends)."""
    kept, rest = [_text(text) for text in texts[:MAX_MESSAGES]], texts[MAX_MESSAGES:]
    if len(rest) > 1:
        rest = [left_out(counted(rest))]
    return [*kept, *map(_text, rest)]


def bounded(detail: str, errors: Mapping[str, list[str]] | None) -> tuple[str, dict]:
    """`detail` and `errors` within the limits above; a detail says how many fields `errors`
    leaves out."""
    errors = errors or {}
    total = getattr(errors, "total", len(errors))
    kept = {_text(str(field)): _messages(list(texts))
            for field, texts in itertools.islice(errors.items(), MAX_FIELDS)}
    detail = _text(detail)
    if total > len(kept):
        detail += f" (errors lists the first {len(kept)} of {_count(total)} fields)"
    return detail, kept


def problem_document(status: int, detail: str,
                     errors: Mapping[str, list[str]] | None = None) -> bytes:
    """The problem+json body for `status`, its standard phrase as the title."""
    detail, errors = bounded(detail, errors)
    document = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "errors": errors,
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


def _leaves(messages: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            # The count of a bounded list's other invalid items belongs to the list itself.
            yield from _leaves(value, path if key == LEFT_OUT else (*path, str(key)))
    elif isinstance(messages, list) and not all(isinstance(m, str) for m in messages):
        for index, value in enumerate(messages):
            yield from _leaves(value, (*path, str(index)))
    else:
        for text in messages if isinstance(messages, list) else [messages]:
            yield path, text


class FieldErrors(dict):
    """{field: [message, ...]} of the first MAX_FIELDS fields; `total` counts every field."""

    total = 0


def flatten(messages: Any) -> FieldErrors:
    """marshmallow/webargs nested messages as {top-level field: ["at a.0: message", ...]}:
    the first MAX_FIELDS fields, each with its first MAX_MESSAGES messages and a count of
    the others."""
    if not isinstance(messages, Mapping):
        messages = {"_schema": messages}
    flat = FieldErrors()
    # A schema that stopped at its first unknown fields counts the others under LEFT_OUT.
    flat.total = len(messages) - 1 + counted(messages[LEFT_OUT]) if LEFT_OUT in messages \
        else len(messages)
    fields = ((field, inner) for field, inner in messages.items() if field != LEFT_OUT)
    for field, inner in itertools.islice(fields, MAX_FIELDS):
        texts, left, stands_for = [], 0, 0
        for rest, text in _leaves(inner):
            if len(texts) < MAX_MESSAGES + 1:  # one over: kept if it is the last
                texts.append(f"at {'.'.join(rest)}: {text}" if rest else text)
            else:
                left, stands_for = left + 1, stands_for + counted([text])
        if left:  # the one over and the others, counted
            texts[MAX_MESSAGES:] = [left_out(counted(texts[MAX_MESSAGES:]) + stands_for)]
        flat[str(field)] = [str(text) if not isinstance(text, LeftOut) else text
                            for text in texts]
    return flat


def summary(errors: Mapping[str, list[str]]) -> str:
    """One readable line naming the first few offending fields."""
    first = [(field, texts[0].rstrip(".")) for field, texts in itertools.islice(
        ((f, t) for f, t in errors.items() if t), 3)]
    parts = [f"{field}: {_text(text)}" for field, text in first]
    more = getattr(errors, "total", len(errors)) - 3
    listed = "; ".join(parts) + (f" (and {_count(more)} more)" if more > 0 else "")
    return listed or "Invalid values."


def _webargs_errors(messages: Any) -> dict[str, list[str]]:
    """Drop webargs's location level ("json", "query", ...) from its messages."""
    locations = {"json", "query", "querystring", "form", "headers", "files", "view_args"}
    if isinstance(messages, Mapping) and messages and set(messages) <= locations:
        merged = FieldErrors()
        for inner in messages.values():
            flat = flatten(inner)
            merged.total += flat.total
            for field, texts in flat.items():
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
