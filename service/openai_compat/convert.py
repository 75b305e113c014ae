"""OpenAI bodies to /generate arguments, and finished choices to OpenAI responses."""

import time
import uuid
from typing import Any

import marshmallow as ma

from service.generate.fields import KNOBS
from service.generate.output import usage
from service.generate.prepare import Prepared
from service.generation.choice import ChoiceState
from service.openai_compat.logprobs import completion_logprobs, joined, prompt_logprobs

DEFAULT_MAX_TOKENS = 16  # legacy completions only: OpenAI chat has no default


def _shared(args: dict[str, Any]) -> dict[str, Any]:
    out = {k: args[k] for k in (*KNOBS, "seed", "stop") if args.get(k) is not None}
    out.update(model=args["model"], n=args["n"], ignore_eos=args["ignore_eos"],
               penalize_prompt=args["penalize_prompt"])
    return out


def completion_args(args: dict[str, Any]) -> dict[str, Any]:
    """/v1/completions -> /generate arguments."""
    prompt = args["prompt"]
    if isinstance(prompt, list) and len(prompt) == 1:
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise ma.ValidationError({"prompt": ["give the prompt as a string (or a list of one)"]})
    if args["echo"] and args["stream"]:
        raise ma.ValidationError({"echo": ["echo is not supported with stream"]})
    return {**_shared(args), "prompt": prompt, "logprobs": args.get("logprobs"),
            "max_tokens": DEFAULT_MAX_TOKENS if args.get("max_tokens") is None
            else args["max_tokens"]}


def chat_args(args: dict[str, Any]) -> dict[str, Any]:
    """/v1/chat/completions -> /generate arguments."""
    messages = [{"role": "system" if m["role"] == "developer" else m["role"],
                 "content": m["content"]} for m in args["messages"]]
    wanted = args.get("logprobs")
    # No default: None runs as long as the limits allow (OpenAI chat's only bound is context).
    limit = args.get("max_completion_tokens") or args.get("max_tokens")
    extras = {k: args[k] for k in ("template", "system", "instructions", "placement") if k in args}
    return {**_shared(args), **extras, "messages": messages, "max_tokens": limit,
            "logprobs": (args.get("top_logprobs") or 0) if wanted else None}


def envelope(kind: str, prepared: Prepared) -> dict[str, Any]:
    """id, object, created, model of a response or chunk."""
    prefix = "chatcmpl" if kind.startswith("chat") else "cmpl"
    return {"id": f"{prefix}-{uuid.uuid4().hex}", "object": kind,
            "created": int(time.time()), "model": prepared.model.name,
            "system_fingerprint": f"logitlab-seed-{prepared.seed}"}


def _entry(model: Any, token: int, logprob: float) -> dict[str, Any]:
    raw = model.token_bytes([token])[0]
    return {"token": raw.decode("utf-8", errors="backslashreplace"), "logprob": logprob,
            "bytes": list(raw)}


def chat_logprobs(prepared: Prepared, choice: ChoiceState) -> dict[str, Any]:
    """The chat logprobs object: content[] with bytes and top_logprobs."""
    model = prepared.model
    content = []
    for token, logprob, top in zip(choice.tokens, choice.logprobs, choice.top_logprobs,
                                   strict=True):
        entry = _entry(model, token, logprob)
        entry["top_logprobs"] = [_entry(model, t, lp) for t, lp in top]
        content.append(entry)
    return {"content": content, "refusal": None}


def _echoed_logprobs(prepared: Prepared, choices: list[ChoiceState],
                     echo: bool) -> list[dict[str, Any] | None]:
    """Each choice's logprobs object; with `echo` the prompt's tokens come first."""
    if prepared.request.logprobs is None:
        return [None] * len(choices)
    model, start = prepared.model, len(prepared.prompt) if echo else 0
    own = [completion_logprobs(model, c, start) for c in choices]
    if not echo:
        return own
    request = prepared.request
    head = prompt_logprobs(model, request.prompt_ids, request.logprobs or 0, prepared.prompt)
    return [joined(head, part) for part in own]


def completion_response(prepared: Prepared, choices: list[ChoiceState],
                        echo: bool = False) -> dict[str, Any]:
    """The text_completion object (`echo` puts the prompt, and its tokens' logprobs, first)."""
    head = prepared.prompt if echo else ""
    logprobs = _echoed_logprobs(prepared, choices, echo)
    return {**envelope("text_completion", prepared), "usage": usage(prepared, choices),
            "choices": [{"index": c.index, "text": head + c.text,
                         "finish_reason": c.finish_reason, "logprobs": lp}
                        for c, lp in zip(choices, logprobs, strict=True)]}


def chat_response(prepared: Prepared, choices: list[ChoiceState]) -> dict[str, Any]:
    """The chat.completion object."""
    wanted = prepared.request.logprobs is not None
    return {**envelope("chat.completion", prepared), "usage": usage(prepared, choices),
            "choices": [{"index": c.index, "finish_reason": c.finish_reason,
                         "message": {"role": "assistant", "content": c.text, "refusal": None},
                         "logprobs": chat_logprobs(prepared, c) if wanted else None}
                        for c in choices]}
