"""Schemas of /lm/next (context in, full logits out) and /lm/{model}/vocab."""

from typing import Any, ClassVar

import marshmallow as ma
from marshmallow.validate import Range

from service.bounded import FewUnknown
from service.generate.fields import chat_fields
from service.generate.schemas import exactly_one_input
from service.lm.registry import DEFAULT_MODEL
from service.sample.fields import Int


class NextRequestSchema(FewUnknown):
    """Text (or a chat and its template) to read; how many top tokens to name."""

    class Meta:
        include: ClassVar[dict[str, ma.fields.Field]] = {
            "model": ma.fields.String(load_default=DEFAULT_MODEL),
            "text": ma.fields.String(metadata={"description": "the context as raw text"}),
            **chat_fields(),
            "top": Int(load_default=20, validate=Range(0, 1000),
                       metadata={"description": "name this many most likely tokens"}),
        }

    @ma.validates_schema
    def _one_input(self, data: dict[str, Any], **kwargs: Any) -> None:
        exactly_one_input({"prompt": data.get("text"), "messages": data.get("messages")})


class TopTokenSchema(ma.Schema):
    """A likely next token."""

    token = Int(required=True)
    text = ma.fields.String(required=True)
    logit = ma.fields.Float(required=True)
    prob = ma.fields.Float(required=True)


class NextResponseSchema(ma.Schema):
    """The context's tokens and the next-token logits over the whole vocabulary."""

    model = ma.fields.String(required=True)
    text = ma.fields.String(required=True, metadata={"description": "the text read (rendered)"})
    token_ids = ma.fields.List(Int(), required=True)
    tokens = ma.fields.List(ma.fields.String(), required=True,
                            metadata={"description": "each context token's text"})
    vocab_size = Int(required=True)
    logits = ma.fields.List(ma.fields.Float(allow_none=True), required=True,
                            metadata={"description": "V values; null is -inf"})
    top = ma.fields.List(ma.fields.Nested(TopTokenSchema), required=True)


class VocabSchema(ma.Schema):
    """Every token's text, by id."""

    model = ma.fields.String(required=True)
    vocab_size = Int(required=True)
    tokens = ma.fields.List(ma.fields.String(), required=True)
