"""Schemas of POST /render."""

from typing import ClassVar

import marshmallow as ma

from service.bounded import FewUnknown
from service.generate.fields import chat_fields, chat_messages


class RenderRequestSchema(FewUnknown):
    """The chat, the template and where custom instructions go."""

    class Meta:
        include: ClassVar[dict[str, ma.fields.Field]] = {
            **chat_fields(),
            "messages": chat_messages("MessageSchema", required=True),
            "bos_token": ma.fields.String(metadata={"description": "override the template's"}),
            "eos_token": ma.fields.String(metadata={"description": "override the template's"}),
        }


class RenderResponseSchema(ma.Schema):
    """The prompt text and what produced it."""

    text = ma.fields.String(required=True)
    template = ma.fields.String(required=True, metadata={"description": "name, or 'custom'"})
    messages = ma.fields.List(ma.fields.Dict(), required=True,
                              metadata={"description": "the turns the template saw"})
    stop = ma.fields.List(ma.fields.String(), required=True,
                          metadata={"description": "strings that end a reply"})
