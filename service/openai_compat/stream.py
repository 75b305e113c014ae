"""OpenAI streaming: `data: {chunk}` lines per token and per finish, then `data: [DONE]`."""

from collections import defaultdict
from collections.abc import Iterator
from functools import partial
from typing import Any

from service.generate.output import usage
from service.generate.prepare import Prepared
from service.generation.choice import ChoiceState
from service.generation.loop import Event
from service.generation.stream import sse
from service.openai_compat.convert import _entry, envelope
from service.openai_compat.logprobs import TextOffsets, token_texts, top_dict


def _completion_delta(prepared: Prepared, event: Event, wanted: bool,
                      offsets: dict[int, TextOffsets]) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": event.index, "text": event.text, "logprobs": None,
                              "finish_reason": event.finish_reason}
    if wanted and event.token is not None:
        model = prepared.model
        raw = model.token_bytes([event.token])[0]
        choice["logprobs"] = {
            "tokens": token_texts(model, [event.token]), "token_logprobs": [event.logprob],
            "top_logprobs": [top_dict(model, event.top or [])],
            "text_offset": [offsets[event.index].next(raw)]}
    return choice


def _chat_delta(prepared: Prepared, event: Event, wanted: bool) -> dict[str, Any]:
    delta = {"content": event.text} if event.text or event.finish_reason is None else {}
    choice: dict[str, Any] = {"index": event.index, "delta": delta, "logprobs": None,
                              "finish_reason": event.finish_reason}
    if wanted and event.token is not None:
        model, top = prepared.model, event.top or []
        entry = _entry(model, event.token, event.logprob or 0.0)
        entry["top_logprobs"] = [_entry(model, t, lp) for t, lp in top]
        choice["logprobs"] = {"content": [entry], "refusal": None}
    return choice


def chunks(kind: str, prepared: Prepared, events: Iterator[Event], choices: list[ChoiceState],
           include_usage: bool) -> Iterator[bytes]:
    """The SSE body of a streamed completion (kind "text_completion") or chat completion."""
    chat = kind == "chat.completion.chunk"
    head = envelope(kind, prepared)
    if include_usage:  # OpenAI: every chunk but the last then carries "usage": null
        head["usage"] = None
    wanted = prepared.request.logprobs is not None
    if chat:
        for index in range(prepared.request.n):
            opening = {"index": index, "delta": {"role": "assistant", "content": ""},
                       "logprobs": None, "finish_reason": None}
            yield sse({**head, "choices": [opening]})
    # Each choice's text_offset counts from the start of its own text, as unstreamed.
    delta = _chat_delta if chat else partial(_completion_delta, offsets=defaultdict(TextOffsets))
    for event in events:
        yield sse({**head, "choices": [delta(prepared, event, wanted)]})
    if include_usage:
        yield sse({**head, "choices": [], "usage": usage(prepared, choices)})
    yield sse("[DONE]")
