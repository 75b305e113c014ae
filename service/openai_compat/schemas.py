"""OpenAI request bodies (standard names plus Logit Lab's extra knobs); unknown fields ignored."""

from typing import Any, ClassVar

import marshmallow as ma
from marshmallow.validate import OneOf, Range

from service.generate.fields import Stop, chat_messages, knob_fields
from service.sample.fields import Int
from service.sample.schemas import MAX_SEED
from service.templates.placement import PLACEMENTS


class Content(ma.fields.Field):
    """A message's content: a string or a list of {"type": "text", "text": ...} parts."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, list) and all(
                isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
                for p in value):
            return "".join(part["text"] for part in value)
        raise ma.ValidationError("content must be a string or a list of text parts")

    def openapi_properties(self, describe: Any) -> dict[str, Any]:
        part = {"type": "object", "properties": {"type": {"type": "string"},
                                                 "text": {"type": "string"}}}
        return {"oneOf": [{"type": "string"}, {"type": "array", "items": part}]}


class ChatMessageSchema(ma.Schema):
    """An OpenAI chat message; `developer` is read as `system`."""

    class Meta:
        unknown = ma.EXCLUDE

    role = ma.fields.String(required=True, validate=OneOf(
        ["system", "developer", "user", "assistant"]))
    content = Content(required=True)


CHAT_LENGTH = ("no default: the answer runs to a stop (string, token or end of text) or to "
               "as many tokens as the limits allow: LOGITLAB_MAX_TOKENS, and the context "
               "(LOGITLAB_MAX_CONTEXT, and the positions the model reads) less the prompt")


def _nullable(fields: dict[str, ma.fields.Field]) -> dict[str, ma.fields.Field]:
    """The knobs, each also taking null: OpenAI reads a null knob as its default."""
    for field in fields.values():
        field.allow_none = True
    return fields


def common_fields() -> dict[str, ma.fields.Field]:
    """Fields both endpoints share; OpenAI's ranges where OpenAI documents one."""
    return {
        "model": ma.fields.String(required=True, metadata={
            "description": "a served model (GET /v1/models); any other is a 404"}),
        "stop": Stop(allow_none=True),
        "n": Int(load_default=1, validate=Range(1, 128), metadata={
            "description": "[1, 128], and at most LOGITLAB_MAX_GENERATE_N"}),
        "seed": Int(allow_none=True, validate=Range(0, MAX_SEED)),
        "stream": ma.fields.Boolean(load_default=False),
        "stream_options": ma.fields.Dict(allow_none=True, metadata={
            "description": "include_usage: every chunk carries usage: null, and a last chunk "
            "with no choices carries the usage"}),
        "ignore_eos": ma.fields.Boolean(load_default=False),
        "penalize_prompt": ma.fields.Boolean(load_default=False),
        **_nullable({
            **knob_fields(),
            # /generate's own knob takes any temperature >= 0; OpenAI's stops at 2.
            "temperature": ma.fields.Float(allow_nan=False, validate=Range(0, 2), metadata={
                "description": "[0, 2]; 0 = greedy, 1 = off"}),
        }),
    }


class CompletionRequestSchema(ma.Schema):
    """POST /v1/completions."""

    class Meta:
        unknown = ma.EXCLUDE
        include: ClassVar[dict[str, ma.fields.Field]] = {
            **common_fields(),
            "prompt": ma.fields.Raw(required=True, metadata={
                "description": "a string, or a list holding one string"}),
            "max_tokens": Int(allow_none=True, validate=Range(0), metadata={
                "description": "default 16 (OpenAI's legacy default); 0 generates nothing: "
                "with echo and logprobs it scores the prompt"}),
            "logprobs": Int(allow_none=True, validate=Range(0, 5), metadata={
                "description": "top-k alternatives per token; a text that two tokens share is "
                "listed once, with the likelier logprob; text_offset is the character of "
                "text where the token's first byte falls"}),
            "echo": ma.fields.Boolean(load_default=False, metadata={
                "description": "put the prompt before each text; with logprobs the prompt's "
                "tokens come first, with the model's raw logprobs (the first token's null)"}),
        }


class ChatRequestSchema(ma.Schema):
    """POST /v1/chat/completions; template/system/instructions/placement are extras."""

    class Meta:
        unknown = ma.EXCLUDE
        include: ClassVar[dict[str, ma.fields.Field]] = {
            **common_fields(),
            "messages": chat_messages(ChatMessageSchema, required=True),
            "max_tokens": Int(allow_none=True, validate=Range(1), metadata={
                "description": CHAT_LENGTH}),
            "max_completion_tokens": Int(allow_none=True, validate=Range(1), metadata={
                "description": f"max_tokens's newer name, used when both are given; "
                f"{CHAT_LENGTH}"}),
            "logprobs": ma.fields.Boolean(allow_none=True),
            "top_logprobs": Int(allow_none=True, validate=Range(0, 20), metadata={
                "description": "alternatives per token; needs logprobs: true"}),
            "template": ma.fields.String(),
            "system": ma.fields.String(),
            "instructions": ma.fields.String(),
            "placement": ma.fields.String(validate=OneOf(PLACEMENTS)),
        }

    @ma.validates_schema
    def _top_logprobs_need_logprobs(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("top_logprobs") is not None and data.get("logprobs") is not True:
            raise ma.ValidationError({"top_logprobs": [
                "top_logprobs needs logprobs: true"]})


class ModelSchema(ma.Schema):
    """A served model."""

    id = ma.fields.String(required=True)
    object = ma.fields.String(required=True)
    created = Int(required=True)
    owned_by = ma.fields.String(required=True)


class ModelListSchema(ma.Schema):
    """GET /v1/models."""

    object = ma.fields.String(required=True)
    data = ma.fields.List(ma.fields.Nested(ModelSchema), required=True)
