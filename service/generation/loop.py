"""Generate n continuations: all live choices sampled as one batch per step, seeded per row."""

import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from service.generation.choice import ChoiceState
from service.lm.base import LanguageModel, continuations, text_decoder
from service.sampling import sample


@dataclass
class GenerationRequest:
    """Everything that decides a generation besides the model."""

    prompt_ids: list[int]
    max_tokens: int = 16
    stop_strings: Sequence[str] = ()
    stop_ids: Sequence[int] = ()
    n: int = 1
    seed: int | None = None
    params: dict[str, Any] = field(default_factory=dict)  # service.sampling.sample knobs
    penalize_prompt: bool = False
    logprobs: int | None = None  # top-k alternatives per token; None = none
    ignore_eos: bool = False


@dataclass
class Event:
    """A streamed step: a token (`token` set) or the end of a choice (`finish_reason` set)."""

    index: int
    text: str
    token: int | None = None
    logprob: float | None = None
    top: list[tuple[int, float]] | None = None
    finish_reason: str | None = None


def step_seed(seed: int, index: int, step: int) -> int:
    """Choice `index`'s seed at `step`: independent of the other choices and of the batch."""
    state = np.random.SeedSequence([seed, index, step]).generate_state(2, np.uint32)
    return (int(state[0]) << 31) | (int(state[1]) >> 1)  # 62 bits, inside [0, 2**63)


def resolve_seed(seed: int | None) -> int:
    """The caller's seed, or a fresh one that the response reports for replay."""
    return secrets.randbits(62) if seed is None else seed


# Only these read the context; without them it would be validated every step for nothing.
PENALTIES = ("repetition_penalty", "frequency_penalty", "presence_penalty")


def _contexts(request: GenerationRequest, live: list[ChoiceState]) -> list[list[int]] | None:
    if not any(request.params.get(name) is not None for name in PENALTIES):
        return None
    base = request.prompt_ids if request.penalize_prompt else []
    return [[*base, *choice.tokens] for choice in live]


def start(model: LanguageModel, request: GenerationRequest) -> list[ChoiceState]:
    """Fresh states for the request's n choices."""
    return [ChoiceState(i, text_decoder(model), list(request.stop_strings))
            for i in range(request.n)]


def run(model: LanguageModel, request: GenerationRequest, seed: int,
        choices: list[ChoiceState]) -> Iterator[Event]:
    """Advance `choices` to the end, yielding token and finish events as they happen."""
    stop_ids = set(request.stop_ids)
    if not request.ignore_eos and model.eos_id is not None:
        stop_ids.add(model.eos_id)
    if request.max_tokens == 0:  # OpenAI's legacy completions allow it: echo scores a prompt
        for choice in choices:
            choice.finish_reason = "length"
            yield Event(choice.index, "", finish_reason="length")
        return
    reader = continuations(model, request.prompt_ids)
    step = 0
    while live := [c for c in choices if c.finish_reason is None]:
        logits = reader.logits([c.index for c in live], [c.tokens for c in live])
        result = sample(logits, **request.params, context=_contexts(request, live), n=1,
                        seed=[step_seed(seed, c.index, step) for c in live],
                        logprobs=request.logprobs or None)
        for row, choice in enumerate(live):
            token = int(result.tokens[row, 0])
            if token in stop_ids:
                yield Event(choice.index, choice.stop(), finish_reason="stop")
                continue
            top = result.top_pairs(row) if request.logprobs else []
            logprob = float(result.logprobs[row, 0])
            delta = choice.add(token, logprob, top, request.max_tokens)
            yield Event(choice.index, delta, token, logprob, top)
            if choice.finish_reason:
                yield Event(choice.index, "", finish_reason=choice.finish_reason)
        step += 1


def generate(model: LanguageModel, request: GenerationRequest, seed: int) -> list[ChoiceState]:
    """Run every choice to its end and return the finished states."""
    choices = start(model, request)
    for _ in run(model, request, seed, choices):
        pass
    return choices
