"""orjson as Flask's JSON provider: fast encoding and decoding, numpy arrays included."""

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
