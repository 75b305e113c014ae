"""Interpolated Kneser-Ney n-gram model over token ids; stored as plain numpy arrays (.npz)."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from service.lm.tokenizer import Tokenizer

FORMAT = 1


def ngram_keys(windows: np.ndarray, vocab: int) -> np.ndarray:
    """Rows of token ids (M, k) as int64 keys: base-`vocab` digits, first token most significant."""
    keys = np.zeros(len(windows), dtype=np.int64)
    for column in windows.T:
        keys = keys * vocab + column
    return keys


def discount(counts: np.ndarray) -> float:
    """Ney's estimate n1 / (n1 + 2 n2), clipped to [0.1, 0.9] so tiny corpora keep some back-off."""
    n1, n2 = np.count_nonzero(counts == 1), np.count_nonzero(counts == 2)
    estimate = n1 / (n1 + 2 * n2) if n1 + n2 else 0.5
    return float(min(max(estimate, 0.1), 0.9))


def padded(ids: Sequence[int], order: int, eos: int) -> np.ndarray:
    """A document as the model reads it: order-1 EOS tokens before it, one EOS after."""
    return np.array([eos] * (order - 1) + list(ids) + [eos], dtype=np.int64)


def count_tables(docs: list[np.ndarray], order: int, vocab: int) -> list[tuple]:
    """(keys, counts) per order 1..N: raw counts at N, continuation counts N1+(. w) below."""
    windows = [np.lib.stride_tricks.sliding_window_view(d, order) for d in docs if len(d) >= order]
    top_keys, top_counts = np.unique(ngram_keys(np.concatenate(windows), vocab), return_counts=True)
    tables = [(top_keys, top_counts.astype(np.int64))]
    for k in range(order - 1, 0, -1):
        suffixes = tables[0][0] % vocab**k  # distinct (k+1)-grams, cut to their last k tokens
        keys, counts = np.unique(suffixes, return_counts=True)
        tables.insert(0, (keys, counts.astype(np.int64)))
    return tables


class NgramModel:
    """P(w | last N-1 tokens) by interpolated Kneser-Ney; `probs`/`logits` give all V at once."""

    def __init__(self, tokenizer: Tokenizer, order: int, tables: list[tuple],
                 discounts: Sequence[float]):
        self.tokenizer, self.order, self.tables = tokenizer, order, tables
        self.discounts = [float(d) for d in discounts]
        self.vocab_size = len(tokenizer)
        self.eos_id = tokenizer.eos_id
        self._unigram = self._level(np.full(self.vocab_size, 1.0 / self.vocab_size), 0, 0)

    @classmethod
    def train(cls, texts: Sequence[str], order: int = 3, max_vocab: int = 8192,
              min_count: int = 2) -> "NgramModel":
        """Build the tokenizer and the count tables from documents (one string each)."""
        if order < 1:
            raise ValueError("order must be >= 1")
        tokenizer = Tokenizer.train(texts, max_vocab=max_vocab, min_count=min_count)
        vocab = len(tokenizer)
        if vocab**order >= 2**63:
            raise ValueError(f"order {order} with {vocab} tokens does not fit int64 keys")
        docs = [padded(tokenizer.encode(t), order, tokenizer.eos_id) for t in texts]
        tables = count_tables(docs, order, vocab)
        return cls(tokenizer, order, tables, [discount(counts) for _, counts in tables])

    def _level(self, lower: np.ndarray, k: int, history_key: int) -> np.ndarray:
        """Interpolate one order: discounted counts after the history plus back-off mass x lower."""
        keys, counts = self.tables[k]
        start = history_key * self.vocab_size
        lo, hi = np.searchsorted(keys, [start, start + self.vocab_size])
        if lo == hi:  # unseen history: all of the mass goes to the lower order
            return lower
        seen, total, d = counts[lo:hi], counts[lo:hi].sum(), self.discounts[k]
        out = lower * (d * (hi - lo) / total)
        out[keys[lo:hi] - start] += np.maximum(seen - d, 0.0) / total
        return out

    def probs(self, context: Sequence[int]) -> np.ndarray:
        """The next-token distribution (V,) after `context` (padded on the left with EOS)."""
        # Only the last order - 1 tokens matter: a long context is not copied whole.
        recent = context[max(0, len(context) - (self.order - 1)):] if self.order > 1 else []
        history = [self.eos_id] * (self.order - 1) + list(recent)
        p = self._unigram
        for k in range(1, self.order):
            key = 0
            for token in history[len(history) - k:]:
                key = key * self.vocab_size + token
            p = self._level(p, k, key)
        return p

    def logits(self, contexts: Sequence[Sequence[int]]) -> np.ndarray:
        """Log-probabilities (B, V) for a batch of contexts."""
        return np.log(np.stack([self.probs(c) for c in contexts]))

    def save(self, path: str | Path) -> None:
        """Write a .npz of plain arrays: vocabulary, orders' keys and counts, discounts."""
        arrays = {"format": np.array(FORMAT), "order": np.array(self.order),
                  "vocab": self.tokenizer.to_array(), "discounts": np.array(self.discounts)}
        for k, (keys, counts) in enumerate(self.tables, start=1):
            arrays[f"keys_{k}"], arrays[f"counts_{k}"] = keys, counts
        with open(path, "wb") as sink:
            np.savez_compressed(sink, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> "NgramModel":
        """Read a .npz written by `save`; never unpickles."""
        with np.load(path, allow_pickle=False) as data:
            if int(data["format"]) != FORMAT:
                raise ValueError(f"{path}: unsupported n-gram file format {int(data['format'])}")
            order = int(data["order"])
            tables = [(data[f"keys_{k}"], data[f"counts_{k}"]) for k in range(1, order + 1)]
            tokenizer = Tokenizer([str(v) for v in data["vocab"]])
            return cls(tokenizer, order, tables, data["discounts"].tolist())
