"""Result types: the processed distributions (CSR by row) and the sample() result."""

import math
from dataclasses import dataclass, field

import numpy as np


class ProcessedBatch:
    """Each row's processed distribution q over its kept tokens, in token-id order.

    Row b's kept tokens are `token_ids[indptr[b]:indptr[b+1]]` with probabilities
    `probs[indptr[b]:indptr[b+1]]` (float32; `entropy` is computed in float64 before rounding).

    Rows that keep the whole vocabulary (`whole`) have ids 0..V-1 by definition; they are
    written into `token_ids` only when someone reads it, and draws never need them.
    """

    def __init__(self, vocab, indptr, token_ids, probs, entropy, seeds, trace=None, whole=None):
        self.vocab, self.indptr, self.probs = vocab, indptr, probs
        self.kept = indptr[1:] - indptr[:-1]
        self.entropy, self.seeds, self.trace = entropy, seeds, trace
        self._token_ids = token_ids
        self._whole = whole if whole is not None and whole.any() else None

    @property
    def token_ids(self) -> np.ndarray:
        if self._whole is not None:
            every = np.arange(self.vocab, dtype=self._token_ids.dtype)
            for b in np.flatnonzero(self._whole).tolist():
                self._token_ids[self.indptr[b]:self.indptr[b + 1]] = every
            self._whole = None
        return self._token_ids

    def ids_at(self, positions: np.ndarray) -> np.ndarray:
        """Token ids at flat positions of the CSR arrays, without materialising whole rows."""
        if self._whole is None:
            return self._token_ids[positions].astype(np.int64)
        rows = np.searchsorted(self.indptr, positions, side="right") - 1
        return np.where(self._whole[rows], positions - self.indptr[rows],
                        self._token_ids[positions]).astype(np.int64)

    @property
    def batch(self) -> int:
        return len(self.indptr) - 1

    def row(self, b: int) -> tuple[np.ndarray, np.ndarray]:
        """(token_ids, probs) of row b."""
        span = slice(self.indptr[b], self.indptr[b + 1])
        return self.token_ids[span], self.probs[span]

    def dense(self) -> np.ndarray:
        """The (B, V) float32 processed distribution, zeros where tokens were removed."""
        out = np.zeros((self.batch, self.vocab), dtype=np.float32)
        for b in range(self.batch):  # row by row: no (nnz,)-sized index temporaries
            tokens, probs = self.row(b)
            out[b, tokens] = probs
        return out

    def top(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the (up to) k most likely tokens and their log-probabilities, padded -1."""
        ids = np.full((self.batch, k), -1, dtype=np.int64)
        logprobs = np.full((self.batch, k), -np.inf)
        for b in range(self.batch):
            lo, hi = int(self.indptr[b]), int(self.indptr[b + 1])
            probs = self.probs[lo:hi]
            take = min(k, hi - lo)
            if take < hi - lo:  # only the top k need ordering
                top = np.argpartition(-probs, take - 1)[:take]
                best = top[np.lexsort((top, -probs[top]))]
            else:
                best = np.argsort(-probs, kind="stable")
            ids[b, :take] = self.ids_at(lo + best)
            with np.errstate(divide="ignore"):
                logprobs[b, :take] = np.log(probs[best].astype(np.float64))
        return ids, logprobs


@dataclass
class SampleResult:
    """What sample() returns; field names are the JSON response fields of POST /sample."""

    tokens: np.ndarray
    logprobs: np.ndarray
    kept: np.ndarray
    entropy: np.ndarray
    seed: np.ndarray
    top_logprobs: tuple[np.ndarray, np.ndarray] | None = None
    probs: np.ndarray | None = None
    trace: list[list[dict]] | None = field(default=None)

    def top_pairs(self, row: int) -> list[tuple[int, float]]:
        """Row `row`'s (token, logprob) alternatives of `logprobs=k`, most likely first.

        Padding (-1) and kept tokens whose float32 probability rounded to 0 (log 0 = -inf,
        which JSON cannot carry) are left out.
        """
        ids, logprobs = self.top_logprobs
        return [(t, lp) for t, lp in zip(ids[row].tolist(), logprobs[row].tolist(), strict=True)
                if t >= 0 and lp > -math.inf]

    def to_dict(self) -> dict:
        """Plain Python values, ready for any JSON encoder."""
        out = {
            "tokens": self.tokens.tolist(),
            "logprobs": self.logprobs.tolist(),
            "kept": self.kept.tolist(),
            "entropy": self.entropy.tolist(),
            "seed": self.seed.tolist(),
        }
        if self.top_logprobs is not None:
            out["top_logprobs"] = [[{"token": t, "logprob": lp} for t, lp in self.top_pairs(row)]
                                   for row in range(len(self.tokens))]
        if self.probs is not None:
            out["probs"] = self.probs.tolist()
        if self.trace is not None:
            out["trace"] = self.trace
        return out
