"""Chat input shared by `logitlab render` and `logitlab generate`: messages files, templates."""

import json
from pathlib import Path

import click
import marshmallow as ma

from service.errors import flatten
from service.generate.fields import MessageSchema
from service.templates.named import TEMPLATES


def validation_message(messages: object) -> str:
    """marshmallow's nested messages as one line: `field: message; field: at 0.x: message`."""
    return "; ".join(f"{field}: {text}" for field, texts in flatten(messages).items()
                     for text in texts)


def read_messages(path: Path) -> list[dict]:
    """A chat file, a JSON list of {role, content}; a usage error says what is wrong with it."""
    try:
        messages = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.UsageError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(messages, list):
        raise click.UsageError(f"{path} must hold a JSON list of {{role, content}} messages")
    try:  # other keys (name, ...) are the template's business
        return MessageSchema(many=True, unknown=ma.INCLUDE).load(messages)
    except ma.ValidationError as error:
        raise click.UsageError(validation_message({"messages": error.messages})) from None


def template_source(value: str | None) -> str | None:
    """A template option: a named template, a file holding a Jinja chat_template, or Jinja."""
    if value is not None and value not in TEMPLATES and Path(value).is_file():
        return Path(value).read_text(encoding="utf-8")
    return value
