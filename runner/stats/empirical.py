"""Empirical diversity counts of drawn token sequences, vectorized over rows."""

from __future__ import annotations

import numpy as np

MAX_N = 4


def _distinct_per_row(sorted_rows: np.ndarray) -> np.ndarray:
    """Number of distinct values in each row of a row-sorted (B, M) array."""
    if sorted_rows.shape[1] == 0:
        return np.zeros(sorted_rows.shape[0], dtype=np.int64)
    return 1 + (sorted_rows[:, 1:] != sorted_rows[:, :-1]).sum(axis=1)


def _alphabet(tokens: np.ndarray) -> tuple[np.ndarray, int]:
    """Symbols below 2**bits - 1 (all ones is the end sentinel), with 4 * bits <= 63."""
    bits = max(int(tokens.max()) + 2, 2).bit_length() if tokens.size else 1
    if MAX_N * bits <= 63:
        return tokens, bits  # the token ids themselves (vocabularies up to 32 766)
    # Dense per-row ranks < N <= 10 000 fit in 14 bits for any vocabulary.
    order = np.argsort(tokens, axis=1, kind="stable")
    ordered = np.take_along_axis(tokens, order, axis=1)
    new = np.ones_like(ordered, dtype=bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    ranks = np.empty_like(tokens)
    np.put_along_axis(ranks, order, np.cumsum(new, axis=1) - 1, axis=1)
    return ranks, (tokens.shape[1] + 1).bit_length()


def row_counts(tokens: np.ndarray) -> dict[str, np.ndarray]:
    """Per-row raw counts of (B, N) draws, each row read as one sequence in draw order.

    One sort serves every n: the row is padded with 3 end sentinels and its N 4-gram codes
    (bit-packed symbols) sorted; the n-gram prefixes of sorted codes are sorted too, and the
    only prefixes that are not real n-grams are the min(n - 1, N) that contain a sentinel.
    """
    tokens = np.asarray(tokens, dtype=np.int64)
    rows, n = tokens.shape
    symbols, bits = _alphabet(tokens)
    padded = np.full((rows, n + MAX_N - 1), (1 << bits) - 1, dtype=np.int64)
    padded[:, :n] = symbols
    codes = padded[:, :n].copy()
    for offset in range(1, MAX_N):
        codes <<= bits
        codes |= padded[:, offset : offset + n]
    codes.sort(axis=1)
    out: dict[str, np.ndarray] = {}
    for size in range(MAX_N, 0, -1):
        prefixes = codes >> (bits * (MAX_N - size))
        out[f"unique_{size}"] = _distinct_per_row(prefixes) - min(size - 1, n)
    unigrams = prefixes  # size 1: each row's symbols, sorted
    starts = np.ones_like(unigrams, dtype=bool)
    starts[:, 1:] = unigrams[:, 1:] != unigrams[:, :-1]
    # Run lengths of equal symbols in each sorted row are the token counts c.
    first = np.flatnonzero(starts.ravel())
    lengths = np.diff(np.append(first, rows * n))
    run_row = first // n
    out["distinct"] = out["unique_1"]
    out["hapax"] = np.bincount(run_row, weights=lengths == 1, minlength=rows).astype(np.int64)
    out["sum_c_log_c"] = np.bincount(run_row, weights=lengths * np.log(lengths), minlength=rows)
    out["repeat_count"] = (tokens[:, 1:] == tokens[:, :-1]).sum(axis=1)
    return out


def pooled_counts(counts: dict[str, np.ndarray], draws: int) -> dict[str, float | int]:
    """Sum one cell's per-row counts and derive its empirical statistics (docs/statistics.md)."""
    rows = len(counts["distinct"])
    n_tokens = rows * draws
    out: dict[str, float | int] = {"n_rows": rows, "draws_per_row": draws, "n_tokens": n_tokens}
    out["distinct_tokens"] = int(counts["distinct"].sum())
    for size in range(1, MAX_N + 1):
        unique = int(counts[f"unique_{size}"].sum())
        total = rows * max(draws - size + 1, 0)
        out[f"unique_{size}"], out[f"total_{size}"] = unique, total
        out[f"distinct_{size}"] = unique / total if total else 0.0
    out["hapax"] = int(counts["hapax"].sum())
    out["repeat_count"] = int(counts["repeat_count"].sum())
    plugin = np.log(draws) - counts["sum_c_log_c"] / draws
    out["plugin_entropy"] = float(plugin.mean())
    out["miller_madow_entropy"] = float((plugin + (counts["distinct"] - 1) / (2 * draws)).mean())
    out["good_turing_unseen"] = out["hapax"] / n_tokens
    pairs = rows * (draws - 1)
    out["repetition_rate"] = out["repeat_count"] / pairs if pairs else 0.0
    return out
