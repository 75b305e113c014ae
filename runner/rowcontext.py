"""Per-source-row quantities computed once and shared by every cell of a sweep."""

from __future__ import annotations

import numpy as np

from runner.prefix import scale
from runner.sources import Source
from runner.stats.exact import log_normalizer, log_softmax_at
from service.sampling.presets import DEFAULT_PENALTY_LAST_N


def _penalize(x: np.ndarray, penalty: float) -> np.ndarray:
    """The repetition penalty of docs/sampling.md: x / r above zero, x * r otherwise."""
    return np.where(x > 0, x / penalty, x * penalty)


class RowContext:
    """Raw log-normalizers per row, the counted context mask, and tempered ones on demand.

    A normalizer is (top, ln sum exp(x - top)) per row: log-probabilities are taken as
    (x - top) - ln sum, which keeps ln sum where top is near the float64 range (top + ln sum
    would round it away).
    """

    def __init__(self, source: Source, preset: str) -> None:
        self.logits = source.logits
        self.raw_norm = log_normalizer(source.logits)
        self.in_context: np.ndarray | None = None
        if source.contexts is not None:
            last_n = DEFAULT_PENALTY_LAST_N.get(preset)
            self.in_context = np.zeros(source.logits.shape, dtype=bool)
            for row, ids in enumerate(source.contexts):
                counted = ids[-last_n:] if last_n else ids
                self.in_context[row, counted] = True
        self._tempered_norm: dict[tuple[float, float], tuple[np.ndarray, np.ndarray]] = {}

    def adjusted(self, penalty: float) -> np.ndarray:
        """(rows, V) logits after the repetition penalty (the raw logits when it is off)."""
        if penalty == 1.0 or self.in_context is None:
            return self.logits
        return np.where(self.in_context, _penalize(self.logits, penalty), self.logits)

    def tempered_norm(self, temperature: float, penalty: float
                      ) -> tuple[np.ndarray, np.ndarray]:
        """The normalizer of the adjusted logits / T (as `scale` computes them) per row,
        computed once per (T, penalty); T > 0."""
        key = (temperature, penalty)
        if key not in self._tempered_norm:
            adjusted = np.asarray(self.adjusted(penalty), dtype=np.float64)
            self._tempered_norm[key] = log_normalizer(scale(adjusted, temperature))
        return self._tempered_norm[key]

    def raw_logprob_at(self, ids: np.ndarray) -> np.ndarray:
        """ln softmax(raw logits) at (rows, K) token ids."""
        return log_softmax_at(np.take_along_axis(self.logits, ids, axis=1), self.raw_norm)

    def scaled_at(self, ids: np.ndarray, temperature: float, penalty: float) -> np.ndarray:
        """Adjusted logits / T at (rows, K) ids as the core's temperature stage computes them
        (exactly x / T unless a row's max / T overflows), in float64; T > 0.

        The ids are a kept set, which holds each row's maximum: the shift `scale` decides on
        them is the one it decides on the whole row.
        """
        values = np.take_along_axis(self.logits, ids, axis=1).astype(np.float64)
        if penalty != 1.0 and self.in_context is not None:
            counted = np.take_along_axis(self.in_context, ids, axis=1)
            values = np.where(counted, _penalize(values, penalty), values)
        return scale(values, temperature) if temperature != 1.0 else values

    def tempered_logprob_at(self, ids: np.ndarray, kept: np.ndarray, temperature: float,
                            penalty: float) -> np.ndarray:
        """ln softmax(adjusted / T) at (rows, K) ids; T = 0 is one-hot on the kept argmax."""
        if temperature == 0:
            # Greedy keeps exactly the argmax, which holds all of the tempered limit's mass.
            return np.where(np.arange(ids.shape[1])[None, :] < kept[:, None], 0.0, -np.inf)
        return log_softmax_at(self.scaled_at(ids, temperature, penalty),
                              self.tempered_norm(temperature, penalty))
