"""Validation messages of bounded size, whatever the size of the request.

A body of 64 MiB can hold millions of invalid list items or mapping entries. marshmallow keeps
one message per item (about 300 bytes each: a 1 MB list of `-1` made 150 MB of messages and a
12 MB problem document). These fields keep the messages of the first MAX_ITEM_ERRORS items and
count the others; `service.errors` bounds the whole problem document the same way.
"""

from collections.abc import Iterable, Mapping
from typing import Any

import marshmallow as ma
from marshmallow.utils import is_collection

MAX_ITEM_ERRORS = 10  # items of one list or mapping whose messages are kept
# The key under which a list's or mapping's messages say how many more items were invalid.
LEFT_OUT = "..."


class LeftOut(str):
    """A message that stands for `stands_for` messages left out of a listing."""

    stands_for = 1


def left_out(count: int, what: str = "") -> LeftOut:
    """'... and 79 990 more': how many messages (or `what`) a listing leaves out."""
    number = f"{count:,}".replace(",", " ")
    note = LeftOut(f"... and {number} more{what}")
    note.stands_for = count
    return note


def counted(texts: Iterable[Any]) -> int:
    """How many messages `texts` stand for (a LeftOut for its count)."""
    return sum(getattr(text, "stands_for", 1) for text in texts)


class ItemErrors:
    """The messages of the first MAX_ITEM_ERRORS invalid items of a collection of `size`.

    The items after them are not even checked: a flood of invalid items costs ten of them.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.messages: dict[Any, Any] = {}

    def add(self, key: Any, messages: Any, position: int) -> bool:
        """Keep the messages of the item at `position`; True once no more are wanted."""
        self.messages[key] = messages
        if len(self.messages) < MAX_ITEM_ERRORS:
            return False
        if position + 1 < self.size:
            self.messages[LEFT_OUT] = [left_out(self.size - position - 1, " items, not checked")]
        return True

    def raise_any(self) -> None:
        """Raise the ValidationError of the items, if any was invalid."""
        if self.messages:
            raise ma.ValidationError(self.messages)


def check_size(size: int, limit: int | None, noun: str = "items") -> None:
    """A collection longer than `limit` is refused before any of its items is read."""
    if limit is not None and size > limit:
        raise ma.ValidationError(f"{size} {noun}; at most {limit} are accepted.")


class BoundedList(ma.fields.List):
    """marshmallow's List, at most `max_items` long, keeping the messages of the first
    invalid items only."""

    def __init__(self, inner: Any, *, max_items: int | None = None, **kwargs: Any):
        super().__init__(inner, **kwargs)
        self.max_items = max_items

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list:
        if not is_collection(value):
            raise self.make_error("invalid")
        check_size(len(value), self.max_items)
        out, errors = [], ItemErrors(len(value))
        for index, item in enumerate(value):
            try:
                out.append(self.inner.deserialize(item, **kwargs))
            except ma.ValidationError as error:
                if errors.add(index, error.messages, index):
                    break
        errors.raise_any()
        return out


class BoundedDict(ma.fields.Dict):
    """marshmallow's Dict (keys and values validated), keeping the messages of the first
    invalid entries only."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict:
        if not isinstance(value, Mapping):
            raise self.make_error("invalid")
        out, errors = {}, ItemErrors(len(value))
        for position, (key, item) in enumerate(value.items()):
            messages, parts = {}, {}
            for part, field, raw in (("key", self.key_field, key),
                                     ("value", self.value_field, item)):
                try:
                    parts[part] = raw if field is None else field.deserialize(raw, **kwargs)
                except ma.ValidationError as error:
                    messages[part] = error.messages
            if not messages:
                out[parts["key"]] = parts["value"]
            elif errors.add(key, messages, position):
                break
        errors.raise_any()
        return out


class FewUnknown(ma.Schema):
    """A schema refusing unknown fields (marshmallow's RAISE) without validating, or keeping
    a message for, each of a million of them: past MAX_ITEM_ERRORS, the body is refused at
    once and the others are only counted."""

    @ma.pre_load
    def _few_unknown(self, data: Any, **kwargs: Any) -> Any:
        if self.unknown != ma.RAISE or not isinstance(data, Mapping):
            return data
        known = {field.data_key or name for name, field in self.load_fields.items()}
        unknown = [key for key in data if key not in known]
        if len(unknown) > MAX_ITEM_ERRORS:
            messages: dict[Any, Any] = {key: ["Unknown field."]
                                        for key in unknown[:MAX_ITEM_ERRORS]}
            messages[LEFT_OUT] = [left_out(len(unknown) - MAX_ITEM_ERRORS, " unknown fields")]
            raise ma.ValidationError(messages)
        return data
