"""Word-level tokenizer with byte fallback: GPT-2-style pieces, exact decoding."""

import codecs
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

# GPT-2's split without its contractions: one optional leading space, then a word or one
# symbol; runs of whitespace stay whole except the last character before a word.
PIECE = re.compile(r" ?\w+| ?[^\w\s]|\s+(?!\S)|\s+")
EOS = "<|endoftext|>"
BYTE_TOKENS = [f"<0x{value:02X}>" for value in range(256)]


def pieces(text: str) -> list[str]:
    """Split text into pieces whose concatenation is exactly `text`."""
    return PIECE.findall(text)


class Tokenizer:
    """Vocabulary: id 0 is EOS, ids 1..256 are the bytes, then the learned pieces."""

    def __init__(self, vocab: Sequence[str]):
        self.vocab = list(vocab)
        if self.vocab[: 1 + 256] != [EOS, *BYTE_TOKENS]:
            raise ValueError("a vocabulary starts with EOS and the 256 byte tokens")
        self.index = {piece: i for i, piece in enumerate(self.vocab)}
        self._bytes = [b""] + [bytes([v]) for v in range(256)]
        self._bytes += [piece.encode("utf-8") for piece in self.vocab[257:]]

    @classmethod
    def train(cls, texts: Iterable[str], max_vocab: int = 8192, min_count: int = 2) -> "Tokenizer":
        """Keep the most frequent pieces (ties by text) up to `max_vocab` tokens in all."""
        counts = Counter(p for text in texts for p in pieces(text))
        # numpy unicode arrays drop trailing NULs, so such a piece could not be stored exactly.
        ranked = [(c, p) for p, c in counts.items() if c >= min_count and "\x00" not in p]
        ranked.sort(key=lambda item: (-item[0], item[1]))
        learned = [p for _, p in ranked[: max(0, max_vocab - 257)]]
        return cls([EOS, *BYTE_TOKENS, *learned])

    @property
    def eos_id(self) -> int:
        return 0

    def __len__(self) -> int:
        return len(self.vocab)

    def encode(self, text: str, limit: int | None = None) -> list[int]:
        """Known pieces as one token each, unknown ones as their UTF-8 bytes.

        With `limit`, the first limit + 1 ids at most: enough to tell that a text is too long
        without holding the pieces and ids of all of it (a 64 MiB text has tens of millions).
        """
        ids: list[int] = []
        found = pieces(text) if limit is None else (m.group() for m in PIECE.finditer(text))
        for piece in found:
            token = self.index.get(piece)
            if token is not None and token > 256:
                ids.append(token)
            elif limit is None:
                ids.extend(1 + b for b in piece.encode("utf-8"))
            else:  # one piece can be the whole text: only its first characters are needed
                room = limit + 1 - len(ids)
                ids.extend(1 + b for b in piece[:room].encode("utf-8")[:room])
            if limit is not None and len(ids) > limit:
                return ids
        return ids

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        """The exact bytes of the tokens; EOS has none."""
        return b"".join(map(self._bytes.__getitem__, ids))

    def decode(self, ids: Iterable[int]) -> str:
        """Text of the tokens; a byte sequence cut mid-character reads as U+FFFD."""
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    def token_strings(self, ids: Iterable[int]) -> list[str]:
        """How each token reads on its own (byte tokens as <0xNN>)."""
        return [self.vocab[i] for i in ids]

    def token_bytes(self, ids: Iterable[int]) -> list[bytes]:
        """Each token's exact bytes (empty for EOS)."""
        return [self._bytes[i] for i in ids]

    def to_array(self) -> np.ndarray:
        """The vocabulary as a numpy unicode array (stored in .npz without pickling)."""
        return np.array(self.vocab, dtype=str)


class GrowingDecoder:
    """`Tokenizer.decode` for one token list that only grows (a generated text): each call
    decodes only the tokens added since the previous one, so a generation of L tokens decodes
    L tokens rather than about L²/2.

    The UTF-8 decoder keeps a character cut after its first bytes for later; meanwhile the text
    ends with one U+FFFD in its place, exactly as decoding the whole list gives.
    """

    def __init__(self, tokenizer: Tokenizer):
        self._tokenizer = tokenizer
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._count = 0
        self._text = ""

    def __call__(self, ids: Sequence[int]) -> str:
        """The text of `ids`, which must extend the list of the previous call."""
        if len(ids) < self._count:
            raise ValueError(f"{len(ids)} tokens, fewer than the {self._count} already decoded")
        self._text += self._utf8.decode(self._tokenizer.decode_bytes(ids[self._count:]))
        self._count = len(ids)
        cut = self._utf8.getstate()[0]
        return self._text + "\ufffd" if cut else self._text
