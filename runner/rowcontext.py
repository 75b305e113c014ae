"""Per-source-row quantities computed once and shared by every cell of a sweep."""

from __future__ import annotations

import numpy as np

from runner.sources import Source
from runner.stats.exact import logsumexp_rows
from service.sampling.presets import DEFAULT_PENALTY_LAST_N


def _penalize(x: np.ndarray, penalty: float) -> np.ndarray:
    """The repetition penalty of docs/sampling.md: x / r above zero, x * r otherwise."""
    return np.where(x > 0, x / penalty, x * penalty)


class RowContext:
    """Raw logsumexp per row, the counted context mask, and tempered logsumexps on demand."""

    def __init__(self, source: Source, preset: str) -> None:
        self.logits = source.logits
        self.raw_lse = logsumexp_rows(source.logits)
        self.in_context: np.ndarray | None = None
        if source.contexts is not None:
            last_n = DEFAULT_PENALTY_LAST_N.get(preset)
            self.in_context = np.zeros(source.logits.shape, dtype=bool)
            for row, ids in enumerate(source.contexts):
                counted = ids[-last_n:] if last_n else ids
                self.in_context[row, counted] = True
        self._tempered_lse: dict[tuple[float, float], np.ndarray] = {}

    def adjusted(self, penalty: float) -> np.ndarray:
        """(rows, V) logits after the repetition penalty (the raw logits when it is off)."""
        if penalty == 1.0 or self.in_context is None:
            return self.logits
        return np.where(self.in_context, _penalize(self.logits, penalty), self.logits)

    def tempered_lse(self, temperature: float, penalty: float) -> np.ndarray:
        """logsumexp of adjusted logits / T per row, computed once per (T, penalty)."""
        key = (temperature, penalty)
        if key not in self._tempered_lse:
            scaled = np.asarray(self.adjusted(penalty), dtype=np.float64) / temperature
            self._tempered_lse[key] = logsumexp_rows(scaled)
        return self._tempered_lse[key]

    def raw_logprob_at(self, ids: np.ndarray) -> np.ndarray:
        """ln softmax(raw logits) at (rows, K) token ids."""
        return np.take_along_axis(self.logits, ids, axis=1) - self.raw_lse[:, None]

    def scaled_at(self, ids: np.ndarray, temperature: float, penalty: float) -> np.ndarray:
        """Adjusted logits / T at (rows, K) ids, for T > 0 (the core's x / T, in float64)."""
        values = np.take_along_axis(self.logits, ids, axis=1).astype(np.float64)
        if penalty != 1.0 and self.in_context is not None:
            counted = np.take_along_axis(self.in_context, ids, axis=1)
            values = np.where(counted, _penalize(values, penalty), values)
        return values / temperature if temperature != 1.0 else values

    def tempered_logprob_at(self, ids: np.ndarray, kept: np.ndarray, temperature: float,
                            penalty: float) -> np.ndarray:
        """ln softmax(adjusted / T) at (rows, K) ids; T = 0 is one-hot on the kept argmax."""
        if temperature == 0:
            # Greedy keeps exactly the argmax, which holds all of the tempered limit's mass.
            return np.where(np.arange(ids.shape[1])[None, :] < kept[:, None], 0.0, -np.inf)
        scaled = self.scaled_at(ids, temperature, penalty)
        return scaled - self.tempered_lse(temperature, penalty)[:, None]
