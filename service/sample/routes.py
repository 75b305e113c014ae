"""POST /sample: logits in (JSON, raw float32 or .npy), sampled tokens and distribution out."""

import functools
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import Response, current_app, request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from service import jsonio
from service.api import Blueprint, documented_by
from service.body import read_body
from service.sample import binary, bodies, fastjson, multipart
from service.sample.schemas import (
    SampleHeadersSchema,
    SampleMultipartSchema,
    SampleParamsSchema,
    SampleQuerySchema,
    SampleRequestSchema,
    SampleResultSchema,
    load_flat,
)
from service.sampling import SamplingLimits, sample

blp = Blueprint("sample", __name__, description="Sample tokens from your own model's logits.")

JSON, OCTET, NPY = "application/json", "application/octet-stream", "application/x-npy"
MULTIPART = "multipart/form-data"
BINARY = {"type": "string", "format": "binary"}
REQUEST_BODY = {
    "required": True,
    "description": "JSON with `logits` and the parameters, or a binary body whose parameters "
    "come in the query string: raw little-endian float32 (shape from `vocab` or an "
    "`X-Logits-Shape: B,V` header) or a .npy file (float16/32/64, 1-D or 2-D). For binary "
    "logits with parameters too long for a query string, multipart/form-data: a `logits` "
    "file part of either binary type and a `params` part of JSON.",
    "content": {
        JSON: {
            "schema": SampleRequestSchema,
            "examples": {
                "one row": {"value": {"logits": [2.0, 1.0, None, -1.0], "temperature": 0.7,
                                      "top_p": 0.9, "n": 4, "seed": 42}},
                "batch, every output": {"value": {
                    "logits": [[2.0, 1.0, 0.5, -1.0], [0.0, 0.0, 3.0, None]],
                    "temperature": [0.0, 1.2], "top_k": 3, "seed": [1, 2], "logprobs": 2,
                    "return_probs": True, "trace": True}},
            },
        },
        OCTET: {"schema": BINARY},
        NPY: {"schema": BINARY},
        MULTIPART: {
            "schema": SampleMultipartSchema,
            "encoding": {"logits": {"contentType": f"{OCTET}, {NPY}"},
                         "params": {"contentType": JSON}},
        },
    },
}
_request_schema = SampleRequestSchema()
_params_schema = SampleParamsSchema()
_query_schema = SampleQuerySchema()
_MULTIPLE = {name for name, field in _query_schema.fields.items()
             if getattr(field, "is_multiple", False)}


def _limits(config: Mapping[str, Any]) -> SamplingLimits:
    return _limits_of(config["MAX_VOCAB"], config["MAX_BATCH"], config["MAX_N"],
                      config["MAX_CONTEXT"], config["MAX_LOGPROBS"])


@functools.lru_cache(maxsize=16)
def _limits_of(max_vocab: int, max_batch: int, max_n: int, max_context: int,
               max_logprobs: int) -> SamplingLimits:
    """One shared (frozen) SamplingLimits per configuration, not one per request."""
    return SamplingLimits(max_vocab=max_vocab, max_batch=max_batch, max_n=max_n,
                          max_context=max_context, max_logprobs=max_logprobs)


def _query() -> dict[str, Any]:
    """The query-string parameters, validated (skipped entirely when there are none)."""
    if not request.query_string:
        return {}
    args = request.args
    raw = {key: args.getlist(key) if key in _MULTIPLE else args[key] for key in args}
    return load_flat(_query_schema, raw, current_app.config["MAX_BATCH"])


def _read_logits(query: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Decode the body by its media type; returns the logits and the body's own parameters."""
    kind = request.mimetype
    if kind not in (JSON, OCTET, NPY, MULTIPART):
        raise UnsupportedMediaType(f"Content-Type must be {JSON}, {OCTET}, {NPY} or "
                                   f"{MULTIPART}; got {kind or 'none'}.")
    if query.get("vocab") is not None and kind not in (OCTET, MULTIPART):
        raise bodies.invalid(binary.VOCAB_IS_FOR_RAW, "vocab")
    data = read_body()
    if not data:
        raise BadRequest("The request body is empty.")
    if kind == OCTET:
        shape = request.headers.get("X-Logits-Shape")
        return binary.logits_from_octet(data, query.get("vocab"), shape), {}
    if kind == NPY:
        return binary.logits_from_npy(data), {}
    if kind == MULTIPART:
        logits, params = multipart.logits_and_params(
            data, request.mimetype_params, query.get("vocab"),
            request.headers.get("X-Logits-Shape"))
        return logits, load_flat(_params_schema, params, current_app.config["MAX_BATCH"])
    document = fastjson.document(data)  # None: the orjson path decides, errors included
    if document is None:
        document = bodies.parse_json(data)
    if not isinstance(document, dict):
        raise bodies.invalid("the JSON body must be an object with logits and parameters",
                             "_schema")
    params = load_flat(_request_schema, document, current_app.config["MAX_BATCH"])
    return params.pop("logits"), params


# Parsed by hand rather than with @blp.arguments, and documented without flask-smorest's
# runtime wrappers: at V = 1000 each layer is a visible share of a request's cost. The
# parameters and responses are still documented from the same schemas.
@blp.route("/sample", methods=["POST"])
@documented_by(
    blp.doc(requestBody=REQUEST_BODY,
            parameters=[{"in": "query", "schema": SampleQuerySchema},
                        {"in": "header", "schema": SampleHeadersSchema}]),
    blp.response(200, SampleResultSchema),
    blp.alt_response(400, response="BAD_REQUEST"),
    blp.alt_response(401, response="UNAUTHORIZED"),
    blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE"),
    blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE"),
    blp.alt_response(422, response="UNPROCESSABLE_ENTITY"),
)
def sample_view() -> Response:
    """Sample from logits; parameters as in `service.sampling.sample` (scalar or per row)."""
    query = _query()
    logits, params = _read_logits(query)
    query.pop("vocab", None)
    both = sorted(set(query) & set(params))
    if both:
        raise ma.ValidationError({name: ["given in both the query string and the body"]
                                  for name in both})
    params.update(query)
    config = current_app.config
    if params.get("return_probs") and logits.size > config["MAX_PROBS"]:
        raise bodies.invalid(f"return_probs would return {logits.size} values (B x V); the limit "
                             f"is {config['MAX_PROBS']}", "return_probs")
    result = sample(logits, **params, limits=_limits(config))
    return Response(jsonio.dumps_bytes(result.to_dict()), mimetype=JSON)
