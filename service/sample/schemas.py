"""Schemas of POST /sample: parameters (JSON body or query string) and the result."""

import functools
from typing import Any

import marshmallow as ma
from marshmallow.validate import OneOf, Range

from service.bounded import BoundedDict, BoundedList
from service.sample.bodies import LogitsField
from service.sample.fields import BiasValue, Context, Int, JsonText, ScalarOrList
from service.sampling import PRESETS, STAGES

F, I = ma.fields.Float, Int  # noqa: E741
MAX_SEED = 2**63 - 1


def _number(low: float | None, high: float | None, *, low_open: bool = False) -> ma.fields.Float:
    return F(allow_nan=False, validate=Range(low, high, min_inclusive=not low_open))


def param_fields(query: bool) -> dict[str, ma.fields.Field]:
    """The fields of every `sample` parameter; `query=True` gives their query-string forms."""

    def per_row(inner: ma.fields.Field, doc: str) -> ScalarOrList:
        return ScalarOrList(inner, query=query, metadata={"description": doc})

    bias = BoundedDict(keys=I(validate=Range(0)), values=BiasValue(), metadata={
        "description": "{token id: bias in [-100, 100]}; null bans the token (-inf)"})
    bias_any = ScalarOrList(bias)
    # Each stage at most once: a longer order is refused before its names are read.
    order = BoundedList(ma.fields.String(validate=OneOf(STAGES)), max_items=len(STAGES),
                        validate=ma.validate.Length(max=len(STAGES)))
    return {
        "temperature": per_row(_number(0, None), ">= 0; 0 = greedy, 1 = off"),
        "top_k": per_row(I(validate=Range(-1)), "int >= -1; 0 or -1 = off"),
        "top_p": per_row(_number(0, 1), "[0, 1]; 1 = off, 0 = the likeliest token (and ties)"),
        "min_p": per_row(_number(0, 1), "[0, 1]; 0 = off"),
        "typical_p": per_row(_number(0, 1, low_open=True), "(0, 1]; 1 = off"),
        "top_n_sigma": per_row(_number(None, None), "> 0; 0 or less = off"),
        "xtc_threshold": per_row(_number(0, 1), "[0, 1]; default 0.1"),
        "xtc_probability": per_row(_number(0, 1), "[0, 1]; 0 = off"),
        "repetition_penalty": per_row(_number(0, None, low_open=True), "> 0; 1 = off"),
        "frequency_penalty": per_row(_number(-2, 2), "[-2, 2]; 0 = off"),
        "presence_penalty": per_row(_number(-2, 2), "[-2, 2]; 0 = off"),
        "penalty_last_n": per_row(I(validate=Range(-1)),
                                  "count only the last N context ids; -1 = all of them"),
        "seed": per_row(I(validate=Range(0, MAX_SEED)), "[0, 2**63); omit for fresh entropy"),
        "logit_bias": JsonText(bias_any, example='{"13": -5}') if query else bias_any,
        "context": Context(query=query),
        "n": I(validate=Range(1), metadata={"description": "samples per row"}),
        "preset": ma.fields.String(validate=OneOf(list(PRESETS))),
        "order": ScalarOrList(order.inner, query=True, as_list=True) if query else order,
        "logprobs": I(validate=Range(0), metadata={"description": "top-k logprobs per row"}),
        "return_probs": ma.fields.Boolean(),
        "trace": ma.fields.Boolean(),
    }


SampleQuerySchema = ma.Schema.from_dict(
    {
        **param_fields(query=True),
        "vocab": I(
            validate=Range(1),
            metadata={"description": "row length of raw float32 logits (an "
                                     "application/octet-stream body or multipart part)"},
        ),
    },
    name="SampleQuery",
)

SampleHeadersSchema = ma.Schema.from_dict(
    {
        "shape": ma.fields.String(
            data_key="X-Logits-Shape",
            metadata={"description": "'V' or 'B,V' for raw float32 logits (an "
                                     "application/octet-stream body or multipart part)",
                      "example": "1,128256"},
        )
    },
    name="SampleHeaders",
)

SampleRequestSchema = ma.Schema.from_dict(
    {"logits": LogitsField(required=True), **param_fields(query=False)}, name="SampleRequest"
)

# The `params` part of a multipart body: a JSON body's parameters, without the logits.
SampleParamsSchema = ma.Schema.from_dict(param_fields(query=False), name="SampleParams")


class SampleMultipartSchema(ma.Schema):
    """multipart/form-data: binary logits and, optionally, JSON parameters (documentation only)."""

    logits = ma.fields.Raw(required=True, metadata={
        "type": "string", "format": "binary",
        "description": "a file part: raw little-endian float32 (type application/octet-stream; "
                       "shape from `vocab` or X-Logits-Shape) or a .npy file (application/x-npy)"})
    params = ma.fields.Nested(SampleParamsSchema, metadata={
        "description": "JSON text: the parameters of a JSON body, however long"})


UNKNOWN = ["Unknown field."]


@functools.cache
def _required(schema: ma.Schema) -> tuple[str, ...]:
    return tuple(name for name, field in schema.fields.items() if field.required)


def _row_count(field: ma.fields.Field, value: Any) -> int:
    """How many rows `value` gives if it is one value per row (0 if it is one for all)."""
    if not isinstance(value, list) or not value:
        return 0
    if isinstance(field, ScalarOrList) or (isinstance(field, Context)
                                           and isinstance(value[0], list)):
        return len(value)
    return 0


def load_flat(schema: ma.Schema, data: dict[str, Any], rows: int | None = None) -> dict[str, Any]:
    """`schema.load(data)` for flat documents, one field at a time: same rules, less overhead.

    A per-row list longer than `rows` (the batch limit) is refused before any of its values
    is read: a 64 MiB body holds millions of them, each costing microseconds to validate.
    """
    fields, out, errors = schema.fields, {}, {}
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            errors[key] = UNKNOWN  # one shared list: a body may hold a million unknown keys
            continue
        if rows is not None and _row_count(field, value) > rows:
            errors[key] = [f"{len(value):,} rows; a batch has at most {rows} "
                           "(LOGITLAB_MAX_BATCH)".replace(",", " ")]
            continue
        try:
            out[key] = field.deserialize(value)
        except ma.ValidationError as error:
            errors[key] = error.messages
    for name in _required(schema):
        if name not in data:
            errors[name] = ["Missing data for required field."]
    if errors:
        raise ma.ValidationError(errors)
    return out


class TopLogprobSchema(ma.Schema):
    """One of a row's most likely processed tokens."""

    token = I(required=True)
    logprob = F(required=True)


class TraceSchema(ma.Schema):
    """One stage's effect on a row."""

    stage = ma.fields.String(required=True)
    kept = I(required=True)
    removed_mass = F(required=True)
    entropy = F(required=True)


def _rows(inner: ma.fields.Field, doc: str, **kwargs: Any) -> ma.fields.List:
    return ma.fields.List(inner, metadata={"description": doc}, **kwargs)


class SampleResultSchema(ma.Schema):
    """The `SampleResult` of the core, as `to_dict()` gives it (documentation only)."""

    tokens = _rows(ma.fields.List(I()), "B x n sampled token ids", required=True)
    logprobs = _rows(ma.fields.List(F()), "B x n processed log-probabilities", required=True)
    kept = _rows(I(), "tokens with q > 0, per row", required=True)
    entropy = _rows(F(), "entropy of q in nats, per row", required=True)
    seed = _rows(I(), "the seed each row used", required=True)
    top_logprobs = _rows(ma.fields.List(ma.fields.Nested(TopLogprobSchema)),
                         "with logprobs=k: up to k tokens per row, most likely first; a kept "
                         "token whose float32 probability is 0 is not listed")
    probs = _rows(ma.fields.List(F()), "dense q (B x V), with return_probs")
    trace = _rows(ma.fields.List(ma.fields.Nested(TraceSchema)), "with trace")
