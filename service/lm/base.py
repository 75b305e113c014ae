"""What generation needs from a language model, and the adapter for the n-gram model."""

from collections.abc import Callable, Sequence
from typing import Protocol, overload

import numpy as np

from service.lm.ngram import NgramModel
from service.lm.tokenizer import GrowingDecoder


class LanguageModel(Protocol):
    """A next-token logits source with an exact tokenizer."""

    name: str
    vocab_size: int
    eos_id: int | None
    chat_template: str  # a template name (service.templates) or a Jinja chat_template

    def encode(self, text: str) -> list[int]: ...
    def decode(self, ids: Sequence[int]) -> str: ...
    def token_strings(self, ids: Sequence[int]) -> list[str]: ...
    def token_bytes(self, ids: Sequence[int]) -> list[bytes]: ...
    def logits(self, contexts: Sequence[Sequence[int]]) -> np.ndarray: ...


class Continuations(Protocol):
    """Next-token logits of one prompt's continuations (choices), asked for step by step."""

    def logits(self, choices: Sequence[int], tokens: Sequence[Sequence[int]]) -> np.ndarray:
        """Rows for each choice id after the prompt and that choice's `tokens` so far."""
        ...


class Joined(Sequence[int]):
    """The prompt's ids then a choice's tokens, as one sequence, without copying either."""

    def __init__(self, head: Sequence[int], tail: Sequence[int]):
        self.head, self.tail = head, tail

    def __len__(self) -> int:
        return len(self.head) + len(self.tail)

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> list[int]: ...

    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return list(self)[index]
            cut = len(self.head)
            return [*self.head[min(start, cut):min(stop, cut)],
                    *self.tail[max(start - cut, 0):max(stop - cut, 0)]]
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError("Joined index out of range")
        cut = len(self.head)
        return self.head[position] if position < cut else self.tail[position - cut]

    def __iter__(self):
        yield from self.head
        yield from self.tail


class Recompute:
    """Continuations read afresh at every step, for models that look at a few last tokens.

    Each context is the prompt and the choice's tokens joined without a copy: an n-gram model
    reads its last N-1 ids, so a step costs O(1) however long the prompt (copying them cost
    O(prompt + tokens) per choice and step: O(P^2) to score a prompt of P tokens).
    """

    def __init__(self, model: LanguageModel, prompt_ids: Sequence[int]):
        self.model, self.prompt_ids = model, list(prompt_ids)

    def logits(self, choices: Sequence[int], tokens: Sequence[Sequence[int]]) -> np.ndarray:
        return self.model.logits([Joined(self.prompt_ids, t) for t in tokens])


def continuations(model: LanguageModel, prompt_ids: Sequence[int]) -> Continuations:
    """The model's own incremental reader (a key/value cache) if it has one, else Recompute."""
    own = getattr(model, "continuations", None)
    return own(prompt_ids) if own is not None else Recompute(model, prompt_ids)


def text_decoder(model: LanguageModel) -> Callable[[Sequence[int]], str]:
    """`decode` for one growing token list: the model's incremental one if it has one."""
    own = getattr(model, "text_decoder", None)
    return own() if own is not None else model.decode


class NgramLM:
    """An `NgramModel` with a name, speaking the `LanguageModel` protocol."""

    chat_template = "chatml"

    def __init__(self, name: str, model: NgramModel):
        self.name, self.model = name, model
        self.vocab_size, self.eos_id = model.vocab_size, model.eos_id

    def encode(self, text: str) -> list[int]:
        return self.model.tokenizer.encode(text)

    def encode_upto(self, text: str, limit: int) -> list[int]:
        """The first limit + 1 ids of `text` at most (see `Tokenizer.encode`)."""
        return self.model.tokenizer.encode(text, limit)

    def decode(self, ids: Sequence[int]) -> str:
        return self.model.tokenizer.decode(ids)

    def text_decoder(self) -> GrowingDecoder:
        return GrowingDecoder(self.model.tokenizer)

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        return self.model.tokenizer.token_strings(ids)

    def token_bytes(self, ids: Sequence[int]) -> list[bytes]:
        return self.model.tokenizer.token_bytes(ids)

    def logits(self, contexts: Sequence[Sequence[int]]) -> np.ndarray:
        return self.model.logits(contexts)
