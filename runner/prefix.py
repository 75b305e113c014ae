"""Fast path for truncation-only sweeps: sort each row once, share prefix sums across cells.

With no penalty or bias, every stage a sweep varies (temperature, min_p, top_k, top_p) keeps
a prefix of the row's sorted order, and q is the tempered softmax renormalised over it. So
each source row is sorted once per run, each (row, temperature) gets one table of cumulative
sums, and a cell needs only a few binary searches per row. The kept sets replicate the core's
float64 arithmetic (same x / T, same exp(x - max), same cumulative sums, same 1e-9 rule).
"""

from __future__ import annotations

import numpy as np

TOP_P_TOLERANCE = 1e-9
LOWEST = np.finfo(np.float64).min  # what a kept logit below the float64 range becomes


def scale(x: np.ndarray, temperature: float) -> np.ndarray:
    """(rows, K) x / T as the core's temperature stage computes it (service.sampling.stages).

    A row whose max / T overflows is first shifted by its max (softmax and every truncation
    are invariant to the shift), and a finite logit whose x / T falls below the float64 range
    becomes the lowest float64: still a kept token, of weight 0. Other rows are exactly x / T.
    """
    top = x.max(axis=1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):
        shift = np.where(np.isfinite(top) & ~np.isfinite(np.abs(top) / temperature), top, 0.0)
        z = (x - shift) / temperature
    np.maximum(z, LOWEST, out=z, where=x > -np.inf)
    return z


class SortedRows:
    """Source rows sorted by descending logit (ties by ascending token id), in float64."""

    def __init__(self, logits: np.ndarray) -> None:
        x = np.asarray(logits, dtype=np.float64)
        self.ids = np.argsort(-x, axis=1, kind="stable")
        self.values = np.take_along_axis(x, self.ids, axis=1)
        self.finite = np.count_nonzero(self.values > -np.inf, axis=1)
        self.raw = Tempered(self.values, 1.0)
        self._tempered: Tempered | None = None

    @property
    def n_rows(self) -> int:
        return self.values.shape[0]

    def at(self, temperature: float) -> Tempered:
        """The tables for one temperature > 0 (the latest one is kept, as chunks are T-major)."""
        if temperature == 1.0:
            return self.raw
        if self._tempered is None or self._tempered.temperature != temperature:
            self._tempered = None  # free the previous tables before building the next
            self._tempered = Tempered(self.values, temperature)
        return self._tempered


class Tempered:
    """For z = x / T in sorted order: weights w = exp(z - z_0) and their prefix sums."""

    def __init__(self, values: np.ndarray, temperature: float) -> None:
        self.temperature = temperature
        self.z = scale(values, temperature) if temperature != 1.0 else values
        self.neg_z = -self.z  # ascending, for searchsorted
        # ln w; -inf for masked tokens (the first is finite) and, as in the core's weights,
        # for a finite logit more than the float64 range below the first.
        with np.errstate(over="ignore"):
            shifted = self.z - self.z[:, :1]
        self.w = np.exp(shifted)
        self.cum = np.cumsum(self.w, axis=1)
        # sum w ln w, for the entropy; the KL reuses it since ln w = (x - x_0) / T.
        self.cum_wlogw = np.cumsum(np.multiply(self.w, shifted, out=np.zeros_like(self.w),
                                               where=shifted > -np.inf), axis=1)
        self.cum_w2 = np.cumsum(self.w * self.w, axis=1)

    def count_at_least(self, row: int, cut: np.ndarray) -> np.ndarray:
        """How many sorted entries of the row have z >= cut (ties at the cut included)."""
        return np.searchsorted(self.neg_z[row], -cut, side="right")


def _min_p(t: Tempered, row: int, kept: np.ndarray, min_p: np.ndarray) -> np.ndarray:
    active = min_p > 0
    with np.errstate(divide="ignore"):
        cut = t.z[row, 0] + np.log(np.where(active, min_p, 1.0))
    return np.where(active, np.minimum(kept, t.count_at_least(row, cut)), kept)


def _top_k(t: Tempered, row: int, kept: np.ndarray, k: np.ndarray, vocab: int,
           exact_k: bool) -> np.ndarray:
    active = (k > 0) & (k < vocab) & (k < kept)
    if exact_k:
        return np.where(active, k, kept)
    cut = t.z[row, np.clip(k - 1, 0, vocab - 1)]
    return np.where(active, np.minimum(kept, t.count_at_least(row, cut)), kept)


def _top_p(t: Tempered, row: int, kept: np.ndarray, top_p: np.ndarray) -> np.ndarray:
    active = top_p < 1
    goal = (top_p - TOP_P_TOLERANCE) * t.cum[row, kept - 1]
    first = np.searchsorted(t.cum[row], goal, side="left")  # entries with cum < goal
    cut = t.z[row, np.minimum(first, kept - 1)]
    return np.where(active, np.minimum(kept, t.count_at_least(row, cut)), kept)


def kept_counts(rows: SortedRows, temperature: float, params: dict[str, np.ndarray],
                order: tuple[str, ...], exact_k: bool) -> np.ndarray:
    """(cells, rows) kept prefix lengths for cells sharing one temperature."""
    cells = len(params["top_p"])
    kept = np.broadcast_to(rows.finite, (cells, rows.n_rows)).copy()
    if temperature == 0:
        kept[:] = 1  # greedy: argmax, lowest id among ties = sorted position 0
        return kept
    vocab = rows.values.shape[1]
    current = rows.raw  # stages before `temperature` (llama.cpp) see the raw logits
    for stage in order:
        if stage == "temperature":
            current = rows.at(temperature)
            continue
        for row in range(rows.n_rows):
            if stage == "min_p":
                kept[:, row] = _min_p(current, row, kept[:, row], params["min_p"])
            elif stage == "top_k":
                kept[:, row] = _top_k(current, row, kept[:, row], params["top_k"], vocab, exact_k)
            elif stage == "top_p":
                kept[:, row] = _top_p(current, row, kept[:, row], params["top_p"])
    return kept
