"""orjson as Flask's JSON provider: fast encoding and decoding, numpy arrays included; the one
parse every JSON request body goes through."""

import contextlib
import gc
import json
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from flask import Flask
from flask.json.provider import JSONProvider

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    """Encode what orjson does not know natively: numpy scalars, sets, lazy strings."""
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _lone_surrogate(document: Any) -> str | None:
    """The first string (key or value) that UTF-8 cannot encode, escaped; None if none is.

    A loop rather than recursion: a document Python's parser read may be nested deeply.
    """
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            try:
                value.encode()
            except UnicodeEncodeError as error:
                return value[error.start].encode("unicode_escape").decode()
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
    return None


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """The cyclic garbage collector paused: a parsed document holds no cycles, but its
    millions of lists or dicts made the collector run over and over while they were built
    (16 M rows `[1]` of a 64 MiB body took 9.9 s to parse with it, 2.3 s without)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def loads_body(data: bytes, parse_constant: Callable[[str], Any] | None = None) -> Any:
    """A request body's JSON: orjson first; Python's parser for what only it reads (NaN and
    Infinity literals, numbers beyond float64, a byte order mark). ValueError says why the body
    is not valid JSON, a lone surrogate included (orjson refuses them, Python's parser does
    not, and no later UTF-8 encoding could take them)."""
    with _no_collection():
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
        try:
            document = json.loads(data, parse_constant=parse_constant)
        except RecursionError:
            raise ValueError("nested too deeply") from None
    surrogate = _lone_surrogate(document)
    if surrogate is not None:
        raise ValueError(f"a string holds the lone surrogate {surrogate}, which is not valid "
                         "Unicode")
    return document


def dumps_bytes(obj: Any) -> bytes:
    """Encode `obj` as compact JSON bytes."""
    return orjson.dumps(obj, default=_default, option=_OPTIONS)


class OrjsonProvider(JSONProvider):
    """Flask JSON provider backed by orjson; `indent` gives two-space indentation."""

    mimetype = "application/json"

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        option = _OPTIONS | (orjson.OPT_INDENT_2 if kwargs.get("indent") else 0)
        if kwargs.get("sort_keys"):
            option |= orjson.OPT_SORT_KEYS
        return orjson.dumps(obj, default=_default, option=option).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Any:
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(dumps_bytes(obj), mimetype=self.mimetype)


def init_app(app: Flask) -> None:
    """Install the orjson provider on `app`."""
    app.json = OrjsonProvider(app)
