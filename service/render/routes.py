"""POST /render: messages + system prompt + custom instructions through a chat template."""

from typing import Any

import marshmallow as ma

from service.api import Blueprint
from service.render.schemas import RenderRequestSchema, RenderResponseSchema
from service.templates import TemplateError, render_chat

blp = Blueprint("render", __name__, description="Render a chat with a prompt template.")


@blp.route("/render", methods=["POST"])
@blp.arguments(RenderRequestSchema)
@blp.response(200, RenderResponseSchema)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def render_view(args: dict[str, Any]) -> dict[str, Any]:
    """Render byte-for-byte as transformers' apply_chat_template would (custom Jinja sandboxed)."""
    special = {k: args[k] for k in ("bos_token", "eos_token") if k in args}
    try:
        rendered = render_chat(args["messages"], args.get("template") or "chatml",
                               add_generation_prompt=args.get("add_generation_prompt", True),
                               system=args.get("system"), instructions=args.get("instructions"),
                               placement=args.get("placement") or "turns",
                               special_tokens=special)
    except TemplateError as error:
        raise ma.ValidationError({error.field: [str(error)]}) from None
    return {"text": rendered.text, "template": rendered.template,
            "messages": rendered.messages, "stop": rendered.stop}
