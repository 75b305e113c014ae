"""The legacy completions logprobs object: token strings, text offsets, the prompt's logprobs."""

import codecs
from collections.abc import Sequence
from typing import Any

import numpy as np

from service.generation.choice import ChoiceState
from service.lm.base import LanguageModel, continuations


def token_texts(model: Any, ids: Sequence[int]) -> list[str]:
    """OpenAI's token strings: the token's bytes as text, a partial character as \\xNN."""
    return [raw.decode("utf-8", errors="backslashreplace") for raw in model.token_bytes(ids)]


def top_dict(model: Any, top: list[tuple[int, float]]) -> dict[str, float]:
    """{token string: logprob} of the alternatives; a string two tokens share (a piece and
    its byte tokens) is listed once, with the likelier logprob."""
    out: dict[str, float] = {}
    for text, (_, logprob) in zip(token_texts(model, [t for t, _ in top]), top, strict=True):
        out.setdefault(text, logprob)  # `top` is most likely first: never overwrite
    return out


class TextOffsets:
    """text_offset of each next token: the index of the character its first byte falls in."""

    def __init__(self, start: int = 0):
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._at = start  # characters decoded so far, a pending (cut) one not counted

    def next(self, raw: bytes) -> int:
        """The offset of the token whose bytes are `raw`; they then join the text."""
        if not raw:  # an end-of-text token read past (ignore_eos): no character of its own
            return self._at
        # The first byte's character, as the whole text will decode: the decoder's state is
        # kept aside, because CPython holds some bytes that can never form a character (such
        # as ED A0, a surrogate's start) as pending until the next byte.
        state = self._utf8.getstate()
        offset = self._at + len(self._utf8.decode(raw[:1], final=True)) - 1
        self._utf8.setstate(state)
        self._at += len(self._utf8.decode(raw))
        return offset


def _offsets(model: Any, ids: Sequence[int], start: int) -> list[int]:
    offsets = TextOffsets(start)
    return [offsets.next(raw) for raw in model.token_bytes(ids)]


def completion_logprobs(model: Any, choice: ChoiceState, start: int = 0) -> dict[str, Any]:
    """The logprobs object of a choice's tokens; text_offset counts from `start`."""
    return {"tokens": token_texts(model, choice.tokens), "token_logprobs": choice.logprobs,
            "top_logprobs": [top_dict(model, top) for top in choice.top_logprobs],
            "text_offset": _offsets(model, choice.tokens, start)}


def _log_softmax(row: np.ndarray) -> np.ndarray:
    top = row.max()
    return row - (top + np.log(np.exp(row - top).sum()))


def _likeliest(row: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k likeliest (token, logprob), most likely first, ties by token id (log 0 left out,
    as in sampling)."""
    k = min(k, len(row))
    if k <= 0:
        return []
    # A partition finds the k-th value without sorting the whole vocabulary at every token.
    kth = np.partition(row, len(row) - k)[len(row) - k]
    above = np.flatnonzero(row > kth)
    ids = np.concatenate([above, np.flatnonzero(row == kth)[:k - len(above)]])
    ids = ids[np.argsort(-row[ids], kind="stable")]
    return [(int(t), float(row[t])) for t in ids if row[t] > -np.inf]


def _prompt_offsets(model: Any, ids: Sequence[int], text: str) -> list[int]:
    """Offsets into the prompt's text; a token the model reads before it (a BOS the text does
    not show) gets 0."""
    shown = len(b"".join(model.token_bytes(ids)).decode("utf-8", "replace"))
    return [max(0, offset - (shown - len(text))) for offset in _offsets(model, ids, 0)]


def prompt_logprobs(model: LanguageModel, ids: Sequence[int], k: int,
                    text: str) -> dict[str, Any]:
    """The logprobs object of the prompt's tokens `ids` (of `text`): each under the model's
    raw distribution after the tokens before it (no sampling knob drew them); the first has
    none (null)."""
    logprobs: list[float | None] = [None] * min(1, len(ids))
    tops: list[dict[str, float] | None] = [None] * min(1, len(ids))
    # The prompt is walked as one choice after its first token: a transformer reads one
    # token per step, and a first token that is the model's BOS is not read twice.
    reader = continuations(model, ids[:1])
    read: list[int] = []  # ids[1:i], grown by one id per step (not sliced anew: O(P^2))
    for i in range(1, len(ids)):
        row = _log_softmax(np.asarray(reader.logits([0], [read])[0], dtype=float))
        read.append(ids[i])
        logprobs.append(float(row[ids[i]]))
        tops.append(top_dict(model, _likeliest(row, k)))
    return {"tokens": token_texts(model, ids), "token_logprobs": logprobs,
            "top_logprobs": tops, "text_offset": _prompt_offsets(model, ids, text)}


def joined(first: dict[str, Any], then: dict[str, Any]) -> dict[str, Any]:
    """Two logprobs objects as one (the prompt's, then a choice's)."""
    return {key: [*first[key], *then[key]] for key in first}
