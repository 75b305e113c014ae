"""Request bodies to numpy logits: JSON lists, raw float32 and .npy, validated with numpy."""

import io
import json
import math
from typing import Any

import marshmallow as ma
import numpy as np
import orjson
from flask import current_app
from werkzeug.exceptions import BadRequest

_NUMBER_TYPES = frozenset({float, int, type(None)})


class _NaN(float):
    """A `NaN` literal from the lenient JSON parser, kept distinguishable from `null`."""


def invalid(message: str, field: str = "logits") -> ma.ValidationError:
    """A 422 about one field."""
    return ma.ValidationError({field: [message]})


def parse_json(data: bytes) -> Any:
    """orjson first; Python's parser for big integers and NaN/Infinity literals; else 400."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    constants = {"NaN": _NaN("nan"), "Infinity": math.inf, "-Infinity": -math.inf}
    try:
        return json.loads(data, parse_constant=constants.__getitem__)
    except (ValueError, RecursionError) as error:
        raise BadRequest(f"The body is not valid JSON: {error}") from None


def check_shape(shape: tuple[int, ...]) -> None:
    """Shape rules shared by every body type: 1-D or 2-D, non-empty, within the limits."""
    if len(shape) not in (1, 2) or min(shape) < 1:
        raise invalid(f"logits must be a non-empty (V,) or (B, V) array, got shape {shape}")
    batch, vocab = (1, shape[0]) if len(shape) == 1 else shape
    if vocab > current_app.config["MAX_VOCAB"]:
        raise invalid(f"vocabulary {vocab} exceeds the limit {current_app.config['MAX_VOCAB']}")
    if batch > current_app.config["MAX_BATCH"]:
        raise invalid(f"batch {batch} exceeds the limit {current_app.config['MAX_BATCH']}")


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
    if not isinstance(value, list) or not value:
        raise invalid("logits must be a non-empty array of numbers, or an array of rows")
    two_d = isinstance(value[0], list)
    rows = value if two_d else [value]
    if two_d:
        for r, row in enumerate(rows):
            if not isinstance(row, list):
                raise invalid(f"row {r} is not an array: give [V] or [[V], ...], not a mix")
        width = len(rows[0])
        for r, row in enumerate(rows):
            if len(row) != width:
                raise invalid(f"ragged rows: row 0 has {width} values but row {r} has {len(row)}")
    check_shape((len(rows), len(rows[0])) if two_d else (len(value),))
    kinds: set[type] = set()
    for row in rows:
        kinds.update(map(type, row))
    if not kinds <= _NUMBER_TYPES:
        raise invalid(_first_bad(rows))
    try:
        array = np.array(value, dtype=np.float64)
    except OverflowError:
        raise invalid("a logit is too large for float64") from None
    if type(None) in kinds:
        np.copyto(array, -np.inf, where=np.isnan(array))
    return array


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


def _parse_shape(text: str) -> tuple[int, ...]:
    parts = text.replace("x", ",").replace("X", ",").split(",")
    try:
        shape = tuple(int(part) for part in parts)
    except ValueError:
        raise invalid("X-Logits-Shape must be 'V' or 'B,V'", "X-Logits-Shape") from None
    if len(shape) not in (1, 2) or min(shape) < 1:
        raise invalid("X-Logits-Shape must be 'V' or 'B,V' of positive integers", "X-Logits-Shape")
    return shape


def logits_from_octet(data: bytes, vocab: int | None, shape_header: str | None) -> np.ndarray:
    """Raw little-endian float32; the shape comes from X-Logits-Shape or ?vocab=V."""
    if len(data) % 4:
        raise invalid(f"the body has {len(data)} bytes, not a whole number of float32 values")
    count = len(data) // 4
    if shape_header is not None:
        shape = _parse_shape(shape_header)
        if vocab is not None and vocab != shape[-1]:
            raise invalid(f"vocab={vocab} disagrees with X-Logits-Shape {shape}", "vocab")
    elif vocab is not None:
        if count % vocab:
            raise invalid(f"{count} float32 values do not split into rows of vocab={vocab}")
        shape = (count // vocab, vocab)
    else:
        raise invalid("give the shape as ?vocab=V or an X-Logits-Shape: B,V header", "vocab")
    if math.prod(shape) != count:
        needed = math.prod(shape)
        raise invalid(f"the body holds {count} float32 values; shape {shape} needs {needed}")
    check_shape(shape)
    return np.frombuffer(data, dtype="<f4").reshape(shape)


def logits_from_npy(data: bytes) -> np.ndarray:
    """A .npy file of float16/32/64, 1-D or 2-D; never unpickled."""
    stream = io.BytesIO(data)
    fmt = np.lib.format
    try:
        version = fmt.read_magic(stream)
        read_header = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
        if version not in read_header:
            raise ValueError(f"unsupported .npy format version {version}")
        shape, fortran_order, dtype = read_header[version](stream)
    except ValueError as error:
        raise invalid(f"not a readable .npy file: {error}") from None
    if dtype.hasobject:
        raise invalid("object (pickled) .npy arrays are not accepted; send float16/32/64")
    if dtype.kind != "f" or dtype.itemsize not in (2, 4, 8):
        raise invalid(f".npy dtype must be float16, float32 or float64, got {dtype}")
    check_shape(tuple(shape))
    offset, count = stream.tell(), math.prod(shape)
    if len(data) - offset != count * dtype.itemsize:
        raise invalid(f".npy data has {len(data) - offset} bytes, shape {shape} needs "
                      f"{count * dtype.itemsize}")
    array = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    array = array.reshape(shape, order="F" if fortran_order else "C")
    return array if dtype.isnative else array.astype(dtype.newbyteorder("="))
