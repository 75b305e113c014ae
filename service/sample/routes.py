"""POST /sample: logits in (JSON, raw float32 or .npy), sampled tokens and distribution out."""

from typing import Any

import marshmallow as ma
from flask import Response, current_app, request
from flask_smorest import Blueprint
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from service import jsonio
from service.sample import binary, bodies
from service.sample.schemas import (
    SampleHeadersSchema,
    SampleQuerySchema,
    SampleRequestSchema,
    SampleResultSchema,
    load_flat,
)
from service.sampling import SamplingLimits, sample

blp = Blueprint("sample", __name__, description="Sample tokens from your own model's logits.")

JSON, OCTET, NPY = "application/json", "application/octet-stream", "application/x-npy"
BINARY = {"type": "string", "format": "binary"}
REQUEST_BODY = {
    "required": True,
    "description": "JSON with `logits` and the parameters, or a binary body whose parameters "
    "come in the query string: raw little-endian float32 (shape from `vocab` or an "
    "`X-Logits-Shape: B,V` header) or a .npy file (float16/32/64, 1-D or 2-D).",
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
    },
}
_request_schema = SampleRequestSchema()
_query_schema = SampleQuerySchema()
_MULTIPLE = {name for name, field in _query_schema.fields.items()
             if getattr(field, "is_multiple", False)}


def _limits() -> SamplingLimits:
    config = current_app.config
    return SamplingLimits(max_vocab=config["MAX_VOCAB"], max_batch=config["MAX_BATCH"],
                          max_n=config["MAX_N"], max_context=config["MAX_CONTEXT"],
                          max_logprobs=config["MAX_LOGPROBS"])


def _query() -> dict[str, Any]:
    """The query-string parameters, validated (skipped entirely when there are none)."""
    if not request.query_string:
        return {}
    args = request.args
    raw = {key: args.getlist(key) if key in _MULTIPLE else args[key] for key in args}
    return load_flat(_query_schema, raw)


def _read_logits(query: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Decode the body by its media type; returns the logits and the body's own parameters."""
    kind = request.mimetype
    if kind not in (JSON, OCTET, NPY):
        raise UnsupportedMediaType(f"Content-Type must be {JSON}, {OCTET} or {NPY}; "
                                   f"got {kind or 'none'}.")
    if query.get("vocab") is not None and kind != OCTET:
        raise bodies.invalid(f"vocab applies only to {OCTET} bodies", "vocab")
    data = request.get_data(cache=False)
    if not data:
        raise BadRequest("The request body is empty.")
    if kind == OCTET:
        shape = request.headers.get("X-Logits-Shape")
        return binary.logits_from_octet(data, query.get("vocab"), shape), {}
    if kind == NPY:
        return binary.logits_from_npy(data), {}
    document = bodies.parse_json(data)
    if not isinstance(document, dict):
        raise bodies.invalid("the JSON body must be an object with logits and parameters",
                             "_schema")
    params = load_flat(_request_schema, document)
    return params.pop("logits"), params


# Parsed by hand rather than with @blp.arguments: webargs costs more than the core at V=1000.
# The parameters are still documented from the same schemas.
@blp.route("/sample", methods=["POST"])
@blp.doc(requestBody=REQUEST_BODY,
         parameters=[{"in": "query", "schema": SampleQuerySchema},
                     {"in": "header", "schema": SampleHeadersSchema}])
@blp.response(200, SampleResultSchema)
@blp.alt_response(400, response="BAD_REQUEST")
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
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
    limit = current_app.config["MAX_PROBS"]
    if params.get("return_probs") and logits.size > limit:
        raise bodies.invalid(f"return_probs would return {logits.size} values (B x V); the limit "
                             f"is {limit}", "return_probs")
    result = sample(logits, **params, limits=_limits())
    return Response(jsonio.dumps_bytes(result.to_dict()), mimetype=JSON)
