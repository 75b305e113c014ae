"""marshmallow fields for sampling parameters: scalar-or-per-row values, query-string forms."""

import math
from collections.abc import Callable
from typing import Any

import marshmallow as ma
import orjson

from service.bounded import ItemErrors

Describe = Callable[[ma.fields.Field], dict[str, Any]]


class Int(ma.fields.Integer):
    """An integer that refuses to truncate: 2.0 and "2" are 2, but 2.5 is an error."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return super()._validated(value)


class ScalarOrList(ma.fields.Field):
    """One value for every row, or a non-empty list with one value per row.

    With `query=True` (query strings) the parameter may repeat or hold a comma-separated list.
    """

    def __init__(
        self, inner: ma.fields.Field, *, query: bool = False, as_list: bool = False, **kwargs: Any
    ):
        super().__init__(**kwargs)
        self.inner = inner
        self.query = query
        self.as_list = as_list  # a single value still comes back as a one-element list
        self.is_multiple = query  # webargs: collect repeated query parameters as a list

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if self.query:
            items = value if isinstance(value, list) else [value]
            value = [p.strip() for item in items for p in str(item).split(",") if p.strip()]
            if len(value) == 1 and not self.as_list:
                value = value[0]
        if not isinstance(value, list):
            return self.inner.deserialize(value)
        if not value:
            raise ma.ValidationError("Give one value, or a non-empty list with one per row.")
        out, errors = [], ItemErrors(len(value))
        for index, item in enumerate(value):
            try:
                out.append(self.inner.deserialize(item))
            except ma.ValidationError as error:
                if errors.add(index, error.messages, index):
                    break
        errors.raise_any()
        return out

    def openapi_properties(self, describe: Describe) -> dict[str, Any]:
        inner = describe(self.inner)
        if self.query:
            return inner
        return {"oneOf": [inner, {"type": "array", "items": inner, "minItems": 1}]}


class JsonText(ma.fields.Field):
    """A query-string parameter holding JSON text, validated by `inner` once decoded."""

    def __init__(self, inner: ma.fields.Field, *, example: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self.inner = inner
        self.example = example

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        try:
            decoded = orjson.loads(value)
        except (orjson.JSONDecodeError, TypeError):
            raise ma.ValidationError("Not valid JSON text.") from None
        return self.inner.deserialize(decoded)

    def openapi_properties(self, describe: Describe) -> dict[str, Any]:
        return {"type": "string", "example": self.example}


class Context(ma.fields.Field):
    """Token ids the penalties count: one list for every row, or a list of lists (per row).

    With `query=True` it also accepts comma-separated ids or JSON text.
    """

    def __init__(self, *, query: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.query = query

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if self.query:
            text = str(value).strip()
            if text.startswith("["):
                try:
                    value = orjson.loads(text)
                except orjson.JSONDecodeError:
                    raise ma.ValidationError("Not valid JSON text.") from None
            else:
                try:
                    value = [int(part) for part in text.split(",") if part.strip()]
                except ValueError:
                    raise ma.ValidationError("Give comma-separated token ids.") from None
        if not isinstance(value, list):
            raise ma.ValidationError("Give a list of token ids, or one list per row.")
        rows = value if value and all(isinstance(row, list) for row in value) else [value]
        for index, row in enumerate(rows):
            if not all(type(token) is int for token in row):
                raise ma.ValidationError(f"Row {index}: token ids must be integers.")
            if row and min(row) < 0:
                raise ma.ValidationError(f"Row {index}: token ids must be >= 0.")
        return value

    def openapi_properties(self, describe: Describe) -> dict[str, Any]:
        if self.query:
            return {"type": "string", "example": "1,2,3"}
        ids = {"type": "array", "items": {"type": "integer", "minimum": 0}}
        return {"oneOf": [ids, {"type": "array", "items": ids, "minItems": 1}]}


class BiasValue(ma.fields.Float):
    """A logit_bias value in [-100, 100], or null: a ban (-inf, which JSON cannot write)."""

    def __init__(self, **kwargs: Any):
        super().__init__(allow_nan=False, validate=ma.validate.Range(-100, 100), **kwargs)

    def deserialize(self, value: Any, attr: str | None = None, data: Any = None,
                    **kwargs: Any) -> Any:
        if value is None:
            return -math.inf
        return super().deserialize(value, attr, data, **kwargs)
