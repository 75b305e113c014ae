"""Schemas of POST /generate: the request (prompt or messages, limits, knobs) and the result."""

from typing import Any, ClassVar

import marshmallow as ma
from marshmallow.validate import Range

from service.bounded import FewUnknown
from service.generate.fields import Stop, chat_fields, knob_fields
from service.lm.registry import DEFAULT_MODEL
from service.sample.fields import Int
from service.sample.schemas import MAX_SEED


def exactly_one_input(data: dict[str, Any]) -> None:
    """prompt or messages, not both and not neither."""
    given = [name for name in ("prompt", "messages") if data.get(name) is not None]
    if len(given) != 1:
        message = "give exactly one of prompt and messages"
        raise ma.ValidationError({"prompt": [message], "messages": [message]})


class GenerateRequestSchema(FewUnknown):
    """What to generate from, how long, when to stop, and every sampling knob."""

    class Meta:
        include: ClassVar[dict[str, ma.fields.Field]] = {
            "model": ma.fields.String(load_default=DEFAULT_MODEL, metadata={
                "description": "ngram-pydoc (built in), or one of LOGITLAB_MODELS"}),
            "prompt": ma.fields.String(metadata={"description": "raw prompt text"}),
            **chat_fields(),
            "max_tokens": Int(load_default=16, validate=Range(1)),
            "stop": Stop(metadata={"description": "up to 4 strings and/or token ids"}),
            "n": Int(load_default=1, validate=Range(1)),
            "seed": Int(validate=Range(0, MAX_SEED),
                        metadata={"description": "omit for a fresh one (reported back)"}),
            "stream": ma.fields.Boolean(load_default=False,
                                        metadata={"description": "server-sent events"}),
            "logprobs": Int(validate=Range(0, 20), metadata={
                "description": "also return the k most likely alternatives per token"}),
            "penalize_prompt": ma.fields.Boolean(load_default=False, metadata={
                "description": "penalties also count the prompt's tokens"}),
            "ignore_eos": ma.fields.Boolean(load_default=False),
            **knob_fields(),
        }

    @ma.validates_schema
    def _one_input(self, data: dict[str, Any], **kwargs: Any) -> None:
        exactly_one_input(data)


class AlternativeSchema(ma.Schema):
    """One likely token at a position."""

    token = Int(required=True)
    text = ma.fields.String(required=True)
    logprob = ma.fields.Float(required=True)


class TokenLogprobSchema(AlternativeSchema):
    """A generated token with its processed log-probability and the top alternatives."""

    top_logprobs = ma.fields.List(ma.fields.Nested(AlternativeSchema))


class ChoiceSchema(ma.Schema):
    """One continuation."""

    index = Int(required=True)
    text = ma.fields.String(required=True)
    tokens = ma.fields.List(Int(), required=True)
    finish_reason = ma.fields.String(required=True, metadata={"enum": ["stop", "length"]})
    logprobs = ma.fields.List(ma.fields.Nested(TokenLogprobSchema), allow_none=True)


class UsageSchema(ma.Schema):
    """Token counts."""

    prompt_tokens = Int(required=True)
    completion_tokens = Int(required=True)
    total_tokens = Int(required=True)


class GenerateResponseSchema(ma.Schema):
    """The continuations, the seed that reproduces them, and token counts."""

    model = ma.fields.String(required=True)
    prompt = ma.fields.String(required=True, metadata={"description": "the text fed the model"})
    seed = Int(required=True)
    choices = ma.fields.List(ma.fields.Nested(ChoiceSchema), required=True)
    usage = ma.fields.Nested(UsageSchema, required=True)
