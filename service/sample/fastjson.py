"""JSON bodies whose logits simdjson reads straight into float64, with no Python float per value.

orjson builds one Python float per logit and the conversion reads them back: at V = 32 000 that
is most of a request. simdjson parses the document and copies a number array into a buffer in
C. It is only a shortcut: a body it cannot take exactly as orjson would (see `document`) goes
to the orjson path, which also writes every error message.

simdjson cannot copy a `null` (a masked logit) into that buffer. A body with nulls is read
again with every `null` written as a stand-in number, whose entries in the logits become
-inf. That is exact only when every stand-in of the second document is where a null was in
the logits: the count of stand-ins in the logits must equal the count of `null`s in the body,
and the stand-in may appear nowhere else. Otherwise (a null in another member or a string, a
literal of the stand-in's value) the orjson path decides.
"""

import math
import re
import threading
from collections.abc import Iterable
from typing import Any

import numpy as np
import simdjson

# orjson refuses a UTF-8 byte order mark and simdjson skips it: only bodies that start with
# an object (after JSON whitespace) are taken here.
_OBJECT_START = re.compile(rb"[ \t\r\n]*\{")
_OPEN_BRACKET = ord("[")
_NULL = b"null"
# As long as `null`, so that the replacement copies the body without moving anything.
_STAND_IN = b"9e99"
_STAND_IN_VALUE = float(_STAND_IN)
# A parser keeps buffers sized for the largest document it has read: bodies up to this size
# reuse the thread's parser (no allocation per request), larger ones get their own.
_REUSED_UP_TO = 4 << 20
# simdjson looks a member up by a scan of the object, once per key here: a body with more
# members than a request has parameters goes to orjson, whose dict is linear.
_MOST_MEMBERS = 64
_local = threading.local()


def _parse(data: bytes) -> Any:
    """simdjson's document; raises as simdjson does (ValueError, RuntimeError, ...)."""
    if len(data) > _REUSED_UP_TO:
        return simdjson.Parser().parse(data)
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = simdjson.Parser()
    try:
        return parser.parse(data)
    except RuntimeError:
        # A value of the previous document still alive (a traceback holding it, say) blocks
        # the reuse; so does a number beyond 64 bits, which a fresh parser refuses again.
        _local.parser = simdjson.Parser()
        return _local.parser.parse(data)


def _arrays_and_stand_ins(values: Iterable[Any]) -> tuple[int, int]:
    """How many JSON arrays the converted values hold (themselves included), and how many
    stand-ins: numbers of its value, and its text inside strings and keys.

    A loop rather than recursion: simdjson accepts nesting 1024 deep, Python's stack does not.
    """
    arrays = stand_ins = 0
    text = _STAND_IN.decode()
    pending = list(values)
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            stand_ins += text in value
        elif isinstance(value, float):
            stand_ins += value == _STAND_IN_VALUE
        elif isinstance(value, list):
            arrays += 1
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
    return arrays, stand_ins


def _python(value: Any) -> Any:
    """A simdjson value as the plain Python value orjson would have built."""
    if isinstance(value, simdjson.Array):
        return value.as_list()
    if isinstance(value, simdjson.Object):
        return value.as_dict()
    return value


# `_read` found logits that are not all numbers: maybe nulls, worth a second reading.
_NOT_ALL_NUMBERS = object()


def _read(data: bytes, nulls: int) -> Any:
    """The document of `document`, or None, or _NOT_ALL_NUMBERS; `nulls` > 0 says `data` is a
    body whose `null`s, that many, were written as the stand-in."""
    try:
        root = _parse(data)
    except (ValueError, RuntimeError, TypeError, UnicodeDecodeError):
        return None
    if not isinstance(root, simdjson.Object):
        return None
    keys = list(root.keys())
    if len(keys) > _MOST_MEMBERS or "logits" not in keys or len(set(keys)) != len(keys):
        return None
    logits = root["logits"]
    if not isinstance(logits, simdjson.Array) or len(logits) == 0:
        return None
    shape: tuple[int, ...] = (len(logits),)
    if isinstance(logits[0], simdjson.Array):  # [[V], ...]: rows of one length
        rows = list(logits)  # not logits[i]: simdjson finds the i-th element by a scan
        if not all(isinstance(row, simdjson.Array) for row in rows):
            return None
        shape = (len(rows), len(rows[0]))
        if shape[1] == 0 or any(len(row) != shape[1] for row in rows):
            return None
    logits_arrays = 1 + (shape[0] if len(shape) == 2 else 0)
    brackets = np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == _OPEN_BRACKET)
    if brackets > 2 * logits_arrays + _MOST_MEMBERS:
        # Beside the logits a request holds a few lists and at most one context row per
        # logits row; more arrays than that (millions of `[1]` in a context, say) would each
        # become a Python list below, only to be refused: the orjson path refuses them sooner.
        return None
    try:
        values = np.frombuffer(logits.as_buffer(of_type="d"), dtype=np.float64)
    except (TypeError, ValueError, RuntimeError):  # a null, boolean, string or object
        return None if nulls else _NOT_ALL_NUMBERS
    out = {key: None if key == "logits" else _python(root[key]) for key in keys}
    others = [value for key, value in out.items() if key != "logits"]
    arrays, stand_ins = _arrays_and_stand_ins(others + keys if nulls else others)
    if brackets != arrays + logits_arrays or values.size != math.prod(shape):
        return None  # an array inside a row, or a "[" in a string: the orjson path decides
    if nulls:
        masked = values == _STAND_IN_VALUE
        if stand_ins or np.count_nonzero(masked) != nulls:
            return None
        values = np.where(masked, -np.inf, values)
    out["logits"] = values.reshape(shape)
    return out


def document(data: bytes) -> dict[str, Any] | None:
    """The JSON object with `logits` already a float64 array of shape (V,) or (B, V), where a
    null logit is -inf (masked) as on the orjson path.

    None when the body is anything else, and whenever simdjson and orjson could disagree or
    simdjson would be wasted: no object, a byte order mark, any backslash escape, duplicate
    keys, integers beyond 64 bits, NaN / Infinity literals, logits that are not one array of
    numbers and nulls or a list of equally long rows of them (booleans, strings, empty or
    nested rows), a null anywhere but in the logits. Nesting is ruled out by counting `[`:
    every array of the document must be one that was looked at.
    """
    if not _OBJECT_START.match(data) or b"\\" in data:
        return None
    found = _read(data, nulls=0)
    if found is not _NOT_ALL_NUMBERS:
        return found
    # Only a body that parsed holds `null` as a token or inside strings, where the stand-in
    # is a token of the same kind or text of the same length: the structure is unchanged.
    nulls = data.count(_NULL)
    return _read(data.replace(_NULL, _STAND_IN), nulls) if nulls else None
