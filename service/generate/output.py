"""Finished choices and streamed events as /generate's JSON and server-sent events."""

from collections.abc import Iterator
from typing import Any

from service.generate.prepare import Prepared
from service.generation.choice import ChoiceState
from service.generation.loop import Event
from service.generation.stream import sse


def _alternatives(model: Any, pairs: list[tuple[int, float]]) -> list[dict[str, Any]]:
    texts = model.token_strings([token for token, _ in pairs])
    return [{"token": t, "text": s, "logprob": lp}
            for (t, lp), s in zip(pairs, texts, strict=True)]


def token_logprobs(model: Any, choice: ChoiceState) -> list[dict[str, Any]]:
    """Per generated token: its text, its logprob and the top alternatives."""
    texts = model.token_strings(choice.tokens)
    return [{"token": t, "text": s, "logprob": lp, "top_logprobs": _alternatives(model, top)}
            for t, s, lp, top in zip(choice.tokens, texts, choice.logprobs, choice.top_logprobs,
                                      strict=True)]


def usage(prepared: Prepared, choices: list[ChoiceState]) -> dict[str, int]:
    """Prompt tokens once, completion tokens summed over the choices."""
    prompt = len(prepared.request.prompt_ids)
    completion = sum(len(c.tokens) for c in choices)
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


def response(prepared: Prepared, choices: list[ChoiceState]) -> dict[str, Any]:
    """The non-streamed answer."""
    wanted = prepared.request.logprobs is not None
    return {
        "model": prepared.model.name, "prompt": prepared.prompt, "seed": prepared.seed,
        "choices": [{"index": c.index, "text": c.text, "tokens": c.tokens,
                     "finish_reason": c.finish_reason,
                     "logprobs": token_logprobs(prepared.model, c) if wanted else None}
                    for c in choices],
        "usage": usage(prepared, choices),
    }


def stream(prepared: Prepared, events: Iterator[Event],
           choices: list[ChoiceState]) -> Iterator[bytes]:
    """`token` and `finish` events per choice, then `done` with the usage and the seed."""
    model = prepared.model
    for event in events:
        if event.finish_reason is not None:
            yield sse({"index": event.index, "text": event.text,
                       "finish_reason": event.finish_reason}, "finish")
            continue
        data = {"index": event.index, "token": event.token, "text": event.text,
                "logprob": event.logprob}
        if prepared.request.logprobs is not None:
            data["top_logprobs"] = _alternatives(model, event.top or [])
        yield sse(data, "token")
    yield sse({"model": model.name, "seed": prepared.seed,
               "usage": usage(prepared, choices)}, "done")
