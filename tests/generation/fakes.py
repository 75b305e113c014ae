"""A tiny deterministic language model whose next token is easy to predict in tests."""

from collections.abc import Sequence
from typing import ClassVar

import numpy as np


class CycleLM:
    """Vocabulary <eos>, a, b, c, d: after a comes b, then c, then a (d is never favoured)."""

    name, chat_template = "cycle", "chatml"
    vocab: ClassVar[list[str]] = ["", "a", "b", "c", "d"]

    def __init__(self, eos_last: bool = False):
        self.vocab_size, self.eos_id = len(self.vocab), 0
        self.eos_last = eos_last  # after "c" the likeliest token is <eos>

    def encode(self, text: str) -> list[int]:
        return [self.vocab.index(ch) for ch in text]

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.vocab[i] for i in ids)

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        return [self.vocab[i] for i in ids]

    def token_bytes(self, ids: Sequence[int]) -> list[bytes]:
        return [self.vocab[i].encode() for i in ids]

    def logits(self, contexts: Sequence[Sequence[int]]) -> np.ndarray:
        rows = []
        for context in contexts:
            last = context[-1] if context else 0
            following = 0 if self.eos_last and last == 3 else last % 3 + 1
            row = np.array([-5.0, 0.0, 0.0, 0.0, 0.0])
            row[following] = 3.0
            rows.append(row)
        return np.stack(rows)
