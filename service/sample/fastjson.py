"""JSON bodies whose logits simdjson reads straight into float64, with no Python float per value.

orjson builds one Python float per logit and the conversion reads them back: at V = 32 000 that
is most of a request. simdjson parses the document and copies a number array into a buffer in
C. It is only a shortcut: a body it cannot take exactly as orjson would (see `document`) goes
to the orjson path, which also writes every error message.
"""

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
# A parser keeps buffers sized for the largest document it has read: bodies up to this size
# reuse the thread's parser (no allocation per request), larger ones get their own.
_REUSED_UP_TO = 4 << 20
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


def _arrays_in(values: Iterable[Any]) -> int:
    """How many JSON arrays the converted values hold, themselves included.

    A loop rather than recursion: simdjson accepts nesting 1024 deep, Python's stack does not.
    """
    count, pending = 0, list(values)
    while pending:
        value = pending.pop()
        if isinstance(value, list):
            count += 1
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value.values())
    return count


def _python(value: Any) -> Any:
    """A simdjson value as the plain Python value orjson would have built."""
    if isinstance(value, simdjson.Array):
        return value.as_list()
    if isinstance(value, simdjson.Object):
        return value.as_dict()
    return value


def document(data: bytes) -> dict[str, Any] | None:
    """The JSON object with `logits` already a float64 array of shape (V,) or (B, V).

    None when the body is anything else, and whenever simdjson and orjson could disagree or
    simdjson would be wasted: no object, a byte order mark, any backslash escape, any null,
    duplicate keys, integers beyond 64 bits, NaN / Infinity literals, logits that are not one
    array of numbers or a list of equally long rows of numbers (booleans, strings, empty or
    nested rows). Nesting is ruled out by counting `[`: every array of the document must be
    one that was looked at.
    """
    # A null (a masked token) would make simdjson's copy fail after a full parse: bodies that
    # hold one go straight to orjson, which reads it as -inf.
    if not _OBJECT_START.match(data) or b"\\" in data or b"null" in data:
        return None
    try:
        root = _parse(data)
    except (ValueError, RuntimeError, TypeError, UnicodeDecodeError):
        return None
    if not isinstance(root, simdjson.Object):
        return None
    keys = list(root.keys())
    if "logits" not in keys or len(set(keys)) != len(keys):
        return None
    logits = root["logits"]
    if not isinstance(logits, simdjson.Array) or len(logits) == 0:
        return None
    shape: tuple[int, ...] = (len(logits),)
    if isinstance(logits[0], simdjson.Array):  # [[V], ...]: rows of one length
        rows = [logits[i] for i in range(len(logits))]
        if not all(isinstance(row, simdjson.Array) for row in rows):
            return None
        shape = (len(rows), len(rows[0]))
        if shape[1] == 0 or any(len(row) != shape[1] for row in rows):
            return None
    try:
        values = np.frombuffer(logits.as_buffer(of_type="d"), dtype=np.float64)
    except (TypeError, ValueError, RuntimeError):  # a null, boolean, string or object
        return None
    out = {key: None if key == "logits" else _python(root[key]) for key in keys}
    arrays = 1 + (shape[0] if len(shape) == 2 else 0) + _arrays_in(out.values())
    brackets = np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == _OPEN_BRACKET)
    if brackets != arrays or values.size != np.prod(shape):
        return None  # an array inside a row, or a "[" in a string: the orjson path decides
    out["logits"] = values.reshape(shape)
    return out
