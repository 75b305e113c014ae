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
    top, log_sum = log_normalizer(x)
    return top + log_sum


def log_normalizer(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row (top, ln Σ exp(x - top)): ln softmax(x) = (x - top) - that sum, which keeps its
    precision where top + the sum would round the sum away (|x| near the float64 range)."""
    x = np.asarray(x, dtype=np.float64)
    top = x.max(axis=1)
    with np.errstate(over="ignore"):  # x - top below the float64 range: -inf, of weight 0
        shifted = x - top[:, None]
    return top, np.log(np.exp(shifted).sum(axis=1))


def log_softmax_at(values: np.ndarray, normalizer: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """ln softmax at (rows, K) values of rows whose normalizer is given: (x - top) - ln sum."""
    top, log_sum = normalizer
    with np.errstate(over="ignore"):  # a log-probability below the float64 range: -inf
        return (values - top[:, None]) - log_sum[:, None]
