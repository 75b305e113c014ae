"""A validated request body to (model, GenerationRequest): rendering, limits, stop split."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from flask import current_app

from service.generate.access import model_for_request
from service.generate.fields import KNOBS
from service.generation.loop import GenerationRequest, resolve_seed
from service.lm.base import LanguageModel
from service.templates import TemplateError, render_chat


@dataclass
class Prepared:
    """Everything a generation route needs."""

    model: LanguageModel
    request: GenerationRequest
    prompt: str
    seed: int


def _bad(field: str, message: str) -> ma.ValidationError:
    return ma.ValidationError({field: [message]})


def render_messages(args: dict[str, Any], model: LanguageModel) -> tuple[str, list[str]]:
    """The chat as prompt text (the model's template unless one is named), and the
    template's own stop strings."""
    own = not args.get("template")
    special = getattr(model, "special_tokens", None) if own else None
    try:
        rendered = render_chat(args["messages"], args.get("template") or model.chat_template,
                               add_generation_prompt=args.get("add_generation_prompt", True),
                               system=args.get("system"), instructions=args.get("instructions"),
                               placement=args.get("placement") or "turns",
                               special_tokens=special)
    except TemplateError as error:
        raise _bad(error.field, str(error)) from None
    return rendered.text, rendered.stop


def check_limits(args: dict[str, Any]) -> None:
    """max_tokens, n and logprobs against the configured limits."""
    config = current_app.config
    for field, key in (("max_tokens", "MAX_TOKENS"), ("n", "MAX_GENERATE_N"),
                       ("logprobs", "MAX_LOGPROBS")):
        if (args.get(field) or 0) > config[key]:
            raise _bad(field, f"{field}={args[field]} exceeds the limit {config[key]} "
                       f"(LOGITLAB_{key})")


def encode_within(model: LanguageModel, text: str, limit: int, field: str) -> list[int]:
    """`model.encode(text)`; more than `limit` tokens is a 422 naming `field`. A model that can
    (`encode_upto`) stops encoding there: a body's text may be 64 MiB, tens of millions of
    ids that were all built (gigabytes) before the limit refused them."""
    encode_upto = getattr(model, "encode_upto", None)
    ids = encode_upto(text, limit) if encode_upto is not None else model.encode(text)
    if len(ids) > limit:
        raise _bad(field, f"more than {limit} tokens: the limit is {limit} (LOGITLAB_MAX_CONTEXT)")
    return ids


def read_prompt(model: LanguageModel, text: str, limit: int | None = None,
                field: str = "prompt") -> list[int]:
    """The prompt's ids as the model reads them, with any BOS it puts in front, so that
    usage and the length limits count every token read; a 422 past `limit` text tokens."""
    ids = model.encode(text) if limit is None else encode_within(model, text, limit, field)
    reads = getattr(model, "reads", None)
    return reads(ids) if reads is not None else ids


def _room(prompt: int, own_limit: int | None, max_context: int, cap: int | None) -> int:
    """The most tokens the limits (at most `cap`) let a request generate after `prompt`."""
    # The last step reads the prompt and max_tokens - 1 generated tokens.
    limits = [max_context - prompt, *(() if own_limit is None else (own_limit - prompt + 1,)),
              *(() if cap is None else (cap,))]
    return min(limits)


def build(args: dict[str, Any], model: LanguageModel, max_context: int,
          cap: int | None = None) -> Prepared:
    """The prompt and GenerationRequest (no Flask); a None max_tokens: what fits, up to `cap`."""
    stops, template_stops = args.get("stop") or [], []
    if args.get("messages") is not None:
        prompt, template_stops = render_messages(args, model)
    else:
        prompt = args["prompt"]
    stop_ids = [s for s in stops if isinstance(s, int)]
    if any(token >= model.vocab_size for token in stop_ids):
        raise _bad("stop", f"stop token ids must be < the vocabulary size {model.vocab_size}")
    field = "prompt" if args.get("messages") is None else "messages"
    prompt_ids = read_prompt(model, prompt, max_context, field)
    own_limit = getattr(model, "max_context", None)
    limit = args["max_tokens"]
    if limit is None:
        limit = _room(len(prompt_ids), own_limit, max_context, cap)
        if limit < 1:
            reads = "" if own_limit is None else f" and {model.name} reads {own_limit} positions"
            raise _bad(field, f"the prompt's {len(prompt_ids)} tokens leave no room to generate: "
                       f"LOGITLAB_MAX_CONTEXT is {max_context}{reads}")
    longest = len(prompt_ids) + limit - 1
    if own_limit is not None and longest > own_limit:
        raise _bad("max_tokens", f"prompt tokens ({len(prompt_ids)}) + max_tokens exceed what "
                   f"{model.name} can read ({own_limit} positions)")
    if len(prompt_ids) + limit > max_context:
        raise _bad("max_tokens", f"prompt tokens + max_tokens exceed {max_context} "
                   "(LOGITLAB_MAX_CONTEXT)")
    request = GenerationRequest(
        prompt_ids=prompt_ids, max_tokens=limit,
        stop_strings=[*(s for s in stops if isinstance(s, str)), *template_stops],
        stop_ids=stop_ids, n=args["n"], seed=args.get("seed"),
        params={k: args[k] for k in KNOBS if args.get(k) is not None},
        penalize_prompt=args.get("penalize_prompt", False), logprobs=args.get("logprobs"),
        ignore_eos=args.get("ignore_eos", False))
    return Prepared(model, request, prompt, resolve_seed(args.get("seed")))


def prepare(args: dict[str, Any],
            load: Callable[[str], LanguageModel] = model_for_request) -> Prepared:
    """Check the server's limits, load the model with `load`, build the request."""
    check_limits(args)
    model = load(args["model"])
    config = current_app.config
    return build(args, model, config["MAX_CONTEXT"], config["MAX_TOKENS"])
