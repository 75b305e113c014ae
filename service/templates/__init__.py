"""Chat templates: named HF-style Jinja chat_templates and custom ones, rendered sandboxed."""

from service.templates.render import RenderedPrompt, TemplateError, render_chat

__all__ = ["RenderedPrompt", "TemplateError", "render_chat"]
