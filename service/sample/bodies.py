"""Request bodies to numpy logits: JSON parsing and lists of rows, validated with numpy."""

import math
import struct
from itertools import chain
from typing import Any

import marshmallow as ma
import numpy as np
from flask import current_app
from werkzeug.exceptions import BadRequest

from service import jsonio

_NUMBER_TYPES = frozenset({float, int, type(None)})
# Logits equal to 0 or 1 may have been JSON booleans: up to this many are checked one by one.
_SUSPECTS_CHECKED_ONE_BY_ONE = 64


class _NaN(float):
    """A `NaN` literal from the lenient JSON parser, kept distinguishable from `null`."""


def invalid(message: str, field: str = "logits") -> ma.ValidationError:
    """A 422 about one field."""
    return ma.ValidationError({field: [message]})


def parse_json(data: bytes, source: str = "The body") -> Any:
    """The body's JSON as `jsonio.loads_body` reads it, NaN kept apart; else a 400 that names
    the `source`."""
    constants = {"NaN": _NaN("nan"), "Infinity": math.inf, "-Infinity": -math.inf}
    try:
        return jsonio.loads_body(data, constants.__getitem__)
    except ValueError as error:
        raise BadRequest(f"{source} is not valid JSON: {error}") from None


def check_shape(shape: tuple[int, ...]) -> None:
    """Shape rules shared by every body type: 1-D or 2-D, non-empty, within the limits."""
    if len(shape) not in (1, 2) or min(shape) < 1:
        raise invalid(f"logits must be a non-empty (V,) or (B, V) array, got shape {shape}")
    batch, vocab = (1, shape[0]) if len(shape) == 1 else shape
    config = current_app.config
    if vocab > config["MAX_VOCAB"]:
        raise invalid(f"vocabulary {vocab} exceeds the limit {config['MAX_VOCAB']}")
    if batch > config["MAX_BATCH"]:
        raise invalid(f"batch {batch} exceeds the limit {config['MAX_BATCH']}")


def _first_bad(rows: list[list[Any]]) -> str:
    for r, row in enumerate(rows):
        for j, value in enumerate(row):
            if type(value) is _NaN:
                return f"row {r}, position {j} is NaN"
            if type(value) not in _NUMBER_TYPES:
                kind = {bool: "a boolean", str: "a string", list: "an array"}.get(type(value))
                got = kind or "an object"
                return f"row {r}, position {j}: expected a number or null, got {got}"
    return "logits must hold numbers or null"  # pragma: no cover - only called when one is bad


def logits_from_json(value: Any) -> np.ndarray:
    """[V] or [[V], ...] of numbers, `null` = masked (-inf), to a float64 array."""
    if isinstance(value, np.ndarray):  # read by service.sample.fastjson: only the shape is left
        check_shape(value.shape)
        return value
    if not isinstance(value, list) or not value:
        raise invalid("logits must be a non-empty array of numbers, or an array of rows")
    two_d = isinstance(value[0], list)
    rows = value if two_d else [value]
    if two_d:
        # The limits first: millions of rows are refused without looking at each.
        check_shape((len(rows), len(rows[0])))
        for r, row in enumerate(rows):
            if not isinstance(row, list):
                raise invalid(f"row {r} is not an array: give [V] or [[V], ...], not a mix")
        width = len(rows[0])
        for r, row in enumerate(rows):
            if len(row) != width:
                raise invalid(f"ragged rows: row 0 has {width} values but row {r} has {len(row)}")
    shape = (len(rows), len(rows[0])) if two_d else (len(value),)
    check_shape(shape)
    try:
        array = _plain_numbers(rows)
        if array is not None:
            return array.reshape(shape)
        kinds: set[type] = set()
        for row in rows:
            kinds.update(map(type, row))
        if not kinds <= _NUMBER_TYPES:
            raise invalid(_first_bad(rows))
        array = np.array(value, dtype=np.float64)
    except OverflowError:
        raise invalid("a logit is too large for float64") from None
    if type(None) in kinds:
        np.copyto(array, -np.inf, where=np.isnan(array))
    return array


def _plain_numbers(rows: list[list[Any]]) -> np.ndarray | None:
    """Rows that hold only JSON numbers, as one flat float64 array; None for anything else.

    `struct.pack` converts and type-checks in one C loop, about three times faster than
    `array("d").fromlist` (a null, string, array or an int beyond float64 raises struct.error),
    but it takes booleans as 0 and 1, so only values equal to 0 or 1 are looked at again.
    Rows with nulls or bad values go to the slower path, which says what is wrong.
    """
    values = rows[0] if len(rows) == 1 else list(chain.from_iterable(rows))
    try:
        packed = struct.pack(f"{len(values)}d", *values)
    except struct.error:
        return None
    array = np.frombuffer(packed, dtype=np.float64)
    suspects = np.flatnonzero((array == 0) | (array == 1))
    if suspects.size > _SUSPECTS_CHECKED_ONE_BY_ONE:  # one C pass over every type is cheaper
        has_bool = bool in set(map(type, values))
    else:
        has_bool = any(type(values[i]) is bool for i in suspects.tolist())
    return None if has_bool else array


class LogitsField(ma.fields.Field):
    """The `logits` member of a JSON body, converted with numpy in one pass."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> np.ndarray:
        try:
            return logits_from_json(value)
        except ma.ValidationError as error:
            raise ma.ValidationError(error.messages["logits"]) from None

    def openapi_properties(self, describe: Any) -> dict[str, Any]:
        number = {"type": "number", "nullable": True}
        row = {"type": "array", "items": number, "minItems": 1}
        return {
            "description": "[V] or [[V], ...]; null is a masked token",
            "oneOf": [row, {"type": "array", "items": row, "minItems": 1}],
        }
