"""Exact statistics of processed distributions, vectorized over rows (docs/statistics.md)."""

from __future__ import annotations

import numpy as np


def _log(x: np.ndarray, where: np.ndarray) -> np.ndarray:
    """ln x where `where`, 0 elsewhere (padding and zero masses contribute nothing)."""
    return np.log(x, out=np.zeros_like(x, dtype=np.float64), where=where)


def exact_row_stats(
    q: np.ndarray,
    kept: np.ndarray,
    raw_logprob: np.ndarray,
    tempered_logprob: np.ndarray,
    draws: int,
) -> dict[str, np.ndarray]:
    """Per-row exact statistics.

    q: (B, K) kept probabilities (any order), zero-padded past `kept` (B,) entries.
    raw_logprob: (B, K) ln softmax(raw logits) at the kept tokens (padding ignored).
    tempered_logprob: (B, K) ln softmax(tempered logits before truncation) at the kept tokens.
    draws: N, the number of draws per row, for expected_distinct.
    """
    q = np.asarray(q, dtype=np.float64)
    in_kept = np.arange(q.shape[1])[None, :] < np.asarray(kept)[:, None]
    positive = q > 0
    log_q = _log(q, positive)
    entropy = -(q * log_q).sum(axis=1)
    collision = (q * q).sum(axis=1)
    kl = (q * (log_q - np.where(positive, raw_logprob, 0.0))).sum(axis=1)
    kept_mass = np.exp(tempered_logprob, out=np.zeros_like(q), where=in_kept).sum(axis=1)
    # 1 - (1 - q)^N computed as -expm1(N log1p(-q)); q = 1 gives log1p = -inf and a term of 1.
    log_miss = np.log1p(-q, out=np.full_like(q, -np.inf), where=q < 1)
    expected_distinct = (-np.expm1(draws * log_miss)).sum(axis=1)
    return {
        "entropy": entropy,
        "renyi2_entropy": -np.log(collision),
        "min_entropy": -np.log(q.max(axis=1)),
        "kept_count": np.asarray(kept, dtype=np.float64),
        "kept_mass": np.minimum(kept_mass, 1.0),
        "kl_to_original": np.maximum(kl, 0.0),
        "expected_distinct": expected_distinct,
    }


def renormalize(logprob: np.ndarray) -> np.ndarray:
    """q = softmax over each row's kept entries of (B, K) log-masses; -inf padding gets 0."""
    return np.exp(logprob - logsumexp_rows(logprob)[:, None])


def logsumexp_rows(x: np.ndarray) -> np.ndarray:
    """Row-wise logsumexp in float64; -inf entries are masked tokens."""
    x = np.asarray(x, dtype=np.float64)
    top = x.max(axis=1)
    return top + np.log(np.exp(x - top[:, None]).sum(axis=1))
