"""Messages (+ system prompt and custom instructions) through a chat template to prompt text."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jinja2

from service.templates.environment import compile_template
from service.templates.limits import render_bounded
from service.templates.named import TEMPLATES
from service.templates.placement import place

MAX_TEMPLATE_CHARS = 65_536


class TemplateError(ValueError):
    """The template is unknown, malformed, unsafe or rejected the conversation (a 422)."""

    def __init__(self, message: str, field: str = "template"):
        super().__init__(message)
        self.field = field


@dataclass
class RenderedPrompt:
    """The prompt text, the messages the template saw and the strings that end a reply."""

    text: str
    messages: list[dict[str, str]]
    template: str
    stop: list[str] = field(default_factory=list)


def _source(template: str) -> tuple[str, str, str, tuple[str, ...], str]:
    """A name or a custom Jinja string -> (source, bos, eos, stop strings, label)."""
    named = TEMPLATES.get(template)
    if named:
        return named.source, named.bos_token, named.eos_token, named.stop, template
    if "{" not in template:
        raise TemplateError(f"unknown template {template!r}: use one of {sorted(TEMPLATES)} or "
                            "a Jinja chat_template string")
    if len(template) > MAX_TEMPLATE_CHARS:
        raise TemplateError(f"a custom template may have at most {MAX_TEMPLATE_CHARS} characters")
    return template, "", "", (), "custom"


def render_chat(messages: Sequence[Mapping[str, Any]], template: str = "chatml", *,
                add_generation_prompt: bool = True, system: str | None = None,
                instructions: str | None = None, placement: str = "turns",
                special_tokens: Mapping[str, str] | None = None) -> RenderedPrompt:
    """Render like transformers' apply_chat_template(tokenize=False); errors are TemplateError."""
    source, bos, eos, stop, label = _source(template)
    turns = place(messages, system, instructions, placement)
    tokens = {"bos_token": bos, "eos_token": eos, **(special_tokens or {})}
    try:
        context = {"messages": turns, "tools": None, "documents": None,
                   "add_generation_prompt": add_generation_prompt, **tokens}
        text = render_bounded(compile_template(source), context)
    except jinja2.exceptions.SecurityError as error:
        raise TemplateError(f"the template tried something the sandbox forbids: {error}") from None
    except jinja2.exceptions.TemplateSyntaxError as error:
        raise TemplateError(f"template syntax error (line {error.lineno}): {error}") from None
    except jinja2.exceptions.TemplateError as error:
        raise TemplateError(f"the template rejected the conversation: {error}") from None
    except Exception as error:  # custom templates can fail in any Python way
        raise TemplateError(f"the template failed: {type(error).__name__}: {error}") from None
    _check_unicode(text)
    return RenderedPrompt(text, turns, label, list(stop))


def _check_unicode(text: str) -> None:
    """Jinja's string escapes can write a lone surrogate, which no tokenizer or JSON takes."""
    try:
        text.encode()
    except UnicodeEncodeError as error:
        escaped = text[error.start].encode("unicode_escape").decode()
        raise TemplateError(f"the template's output is not valid Unicode: a lone surrogate "
                            f"{escaped} at character {error.start}") from None
