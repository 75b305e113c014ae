"""marshmallow fields shared by /generate, /render, /lm/next and the OpenAI-compatible API."""

from typing import Any

import marshmallow as ma
from marshmallow.validate import Length, OneOf

from service.bounded import BoundedList, FewUnknown
from service.sample.fields import ScalarOrList
from service.sample.schemas import param_fields
from service.templates.placement import PLACEMENTS

MAX_STOP = 4
# Messages of a chat: more than LOGITLAB_MAX_CONTEXT's default holds tokens (each template
# writes one at least per message), refused before any is read.
MAX_MESSAGES = 32_768
KNOBS = ("temperature", "top_k", "top_p", "min_p", "typical_p", "top_n_sigma", "xtc_threshold",
         "xtc_probability", "repetition_penalty", "frequency_penalty", "presence_penalty",
         "penalty_last_n", "logit_bias", "preset", "order")


def knob_fields() -> dict[str, ma.fields.Field]:
    """The sampling core's knobs, one value each (the same value for every choice)."""
    fields = param_fields(query=False)
    out = {}
    for name in KNOBS:
        field = fields[name]
        if isinstance(field, ScalarOrList):
            field.inner.metadata = field.metadata
            field = field.inner
        out[name] = field
    return out


class MessageSchema(FewUnknown):
    """One chat turn."""

    role = ma.fields.String(required=True, validate=Length(1, 64))
    content = ma.fields.String(required=True)


def chat_messages(schema: type[ma.Schema] | str, **kwargs: Any) -> BoundedList:
    """A chat's list of messages: 1 to MAX_MESSAGES of them."""
    return BoundedList(ma.fields.Nested(schema), max_items=MAX_MESSAGES,
                       validate=Length(1, MAX_MESSAGES), **kwargs)


def chat_fields() -> dict[str, ma.fields.Field]:
    """messages + how to render them."""
    return {
        "messages": chat_messages(MessageSchema),
        "template": ma.fields.String(metadata={
            "description": "chatml, llama-3, mistral, gemma, alpaca or a Jinja chat_template"}),
        "system": ma.fields.String(metadata={"description": "system prompt"}),
        "instructions": ma.fields.String(metadata={"description": "custom instructions"}),
        "placement": ma.fields.String(validate=OneOf(PLACEMENTS), metadata={
            "description": "turns: own turns (default); inline: atop the last user turn"}),
        "add_generation_prompt": ma.fields.Boolean(),
    }


class Stop(ma.fields.Field):
    """Up to 4 stop strings and/or token ids: one value or a list."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list:
        items = value if isinstance(value, list) else [value]
        if len(items) > MAX_STOP:
            raise ma.ValidationError(f"at most {MAX_STOP} stop strings or token ids")
        for item in items:
            if isinstance(item, str) and item:
                continue
            if type(item) is int and item >= 0:
                continue
            raise ma.ValidationError("each stop is a non-empty string or a token id >= 0")
        return items

    def openapi_properties(self, describe: Any) -> dict[str, Any]:
        one = {"oneOf": [{"type": "string", "minLength": 1}, {"type": "integer", "minimum": 0}]}
        return {"oneOf": [one, {"type": "array", "items": one, "maxItems": MAX_STOP}]}
