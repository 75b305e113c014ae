"""POST /v1/completions, POST /v1/chat/completions, GET /v1/models (OpenAI-compatible)."""

import itertools
from collections.abc import Callable
from typing import Any

from flask import Response
from flask_smorest import abort

from service import jsonio
from service.api import Blueprint
from service.generate.access import ModelNotFoundError, find_model, served_models
from service.generate.prepare import prepare
from service.generate.routes import documents_stream, streamed
from service.generation.loop import run, start
from service.lm.base import LanguageModel
from service.openai_compat import convert
from service.openai_compat.schemas import (
    ChatRequestSchema,
    CompletionRequestSchema,
    ModelListSchema,
)
from service.openai_compat.stream import chunks

blp = Blueprint("openai", __name__, url_prefix="/v1",
                description="OpenAI-compatible generation with the built-in models.")

OBJECT = {"type": "object"}  # OpenAI's object, not re-described here
COMPLETION = ("An OpenAI text_completion object, or with stream=true its text/event-stream "
              "chunks ending in data: [DONE].")
CHAT = ("An OpenAI chat.completion object, or with stream=true its text/event-stream "
        "chat.completion.chunk objects ending in data: [DONE].")


def served_model(name: str) -> LanguageModel:
    """The model `name`, or a 404 (OpenAI's model_not_found) naming it and the served ones."""
    try:
        return find_model(name)
    except ModelNotFoundError as error:
        why = f" ({error.reason})" if error.reason else ""
        detail = f"The model {name!r} does not exist{why}; this server serves {served_models()}."
        abort(404, message=detail, errors={"model": [detail]})


def _generate(args: dict[str, Any], body: dict[str, Any], kind: str,
              answer: Callable[..., dict[str, Any]]) -> Response:
    prepared = prepare(body, load=served_model)
    choices = start(prepared.model, prepared.request)
    events = run(prepared.model, prepared.request, prepared.seed, choices)
    events = itertools.chain([next(events)], events)  # a bad knob is a 422, not a broken stream
    if args["stream"]:
        include_usage = bool((args.get("stream_options") or {}).get("include_usage"))
        return streamed(chunks(kind, prepared, events, choices, include_usage))
    for _ in events:
        pass
    return Response(jsonio.dumps_bytes(answer(prepared, choices)), mimetype="application/json")


@blp.route("/completions", methods=["POST"])
@blp.arguments(CompletionRequestSchema)
@blp.response(200, OBJECT, description=COMPLETION)
@documents_stream(blp, COMPLETION)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def completions(args: dict[str, Any]) -> Response:
    """OpenAI's legacy completions; extra knobs (top_k, min_p, ...) as extra body fields."""
    def answer(prepared: Any, choices: Any) -> dict[str, Any]:
        return convert.completion_response(prepared, choices, echo=args["echo"])

    return _generate(args, convert.completion_args(args), "text_completion", answer)


@blp.route("/chat/completions", methods=["POST"])
@blp.arguments(ChatRequestSchema)
@blp.response(200, OBJECT, description=CHAT)
@documents_stream(blp, CHAT)
@blp.alt_response(404, response="NOT_FOUND")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def chat_completions(args: dict[str, Any]) -> Response:
    """OpenAI chat completions: messages rendered with the model's template (or `template`)."""
    return _generate(args, convert.chat_args(args), "chat.completion.chunk",
                     convert.chat_response)


@blp.route("/models", methods=["GET"])
@blp.response(200, ModelListSchema)
def models() -> dict[str, Any]:
    """The models this server serves."""
    return {"object": "list", "data": [{"id": name, "object": "model", "created": 0,
                                        "owned_by": "logitlab"} for name in served_models()]}
