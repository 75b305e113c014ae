"""POST /generate: continuations of a prompt or a chat from a built-in language model."""

import itertools
from collections.abc import Callable
from typing import Any

from flask import Response, stream_with_context

from service import jsonio
from service.api import Blueprint
from service.generate import output
from service.generate.prepare import prepare
from service.generate.schemas import GenerateRequestSchema, GenerateResponseSchema
from service.generation.loop import run, start

blp = Blueprint("generate", __name__, description="Generate text with a built-in language model.")

EVENT_STREAM = "text/event-stream"
GENERATED = ("JSON, or text/event-stream with stream=true: `token` events {index, token, text, "
             "logprob}, `finish` events {index, text, finish_reason}, then one `done` event "
             "{model, seed, usage}.")


def documents_stream(blueprint: Blueprint, description: str,
                     events: tuple[str, ...] = ()) -> Callable:
    """Document the text/event-stream 200 that `stream: true` answers, beside the JSON one.

    Before OpenAPI 3.2 the schema of an event stream describes one event (as schemathesis
    reads it): its `data` and, when the stream names them, its `event`.
    """
    properties = {"data": {"type": "string", "description": "a JSON object (or the text [DONE])"}}
    if events:
        properties["event"] = {"type": "string", "enum": list(events)}
    schema = {"type": "object", "properties": properties, "required": sorted(properties)}
    return blueprint.alt_response(200, schema=schema, content_type=EVENT_STREAM,
                                  description=description, success=True)


def streamed(body: Any) -> Response:
    """A server-sent-events response that is not buffered by proxies."""
    return Response(stream_with_context(body), mimetype=EVENT_STREAM,
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@blp.route("/generate", methods=["POST"])
@blp.arguments(GenerateRequestSchema)
@blp.response(200, GenerateResponseSchema, description=GENERATED)
@documents_stream(blp, GENERATED, ("token", "finish", "done"))
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def generate_view(args: dict[str, Any]) -> Response:
    """Run the next-token loop: sample per step, stop at a stop string/id or max_tokens."""
    prepared = prepare(args)
    choices = start(prepared.model, prepared.request)
    events = run(prepared.model, prepared.request, prepared.seed, choices)
    first = next(events)  # the first step validates the knobs before any byte is sent
    events = itertools.chain([first], events)
    if args["stream"]:
        return streamed(output.stream(prepared, events, choices))
    for _ in events:
        pass
    return Response(jsonio.dumps_bytes(output.response(prepared, choices)),
                    mimetype="application/json")
