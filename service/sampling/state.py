"""The working state of a group of rows as it passes through the stages."""

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

NEG_INF = -np.inf
LOWEST = np.finfo(np.float64).min  # what a kept logit below the float64 range becomes


@lru_cache(maxsize=8)
def token_range(vocab: int) -> np.ndarray:
    """0..vocab-1 as int32, read-only and shared: rows that keep every token copy it."""
    ids = np.arange(vocab, dtype=np.int32)
    ids.flags.writeable = False
    return ids


def whole_row_ids(count: int, vocab: int) -> np.ndarray:
    """The (count, vocab) ids of rows holding every token, as a read-only broadcast view."""
    every_id = token_range(vocab)
    return every_id[None, :] if count == 1 else np.broadcast_to(every_id, (count, vocab))


@dataclass
class State:
    """Current logits of some rows, in token-id order, with what is known of the rest.

    `x[i, j]` is the current logit of token `ids[i, j]` (`-inf` once removed, and for padding).
    In window mode `x` holds only candidate tokens; every other token of the row (the tail)
    has a current logit strictly below `tail_bound`. While `tail_open` is set, tail tokens may
    still be alive, and a stage whose result would depend on them marks the row uncertified,
    so that the caller recomputes it over the whole vocabulary.
    """

    rows: np.ndarray
    x: np.ndarray
    ids: np.ndarray
    tail_open: np.ndarray
    tail_bound: np.ndarray
    tail_count: np.ndarray
    # Total mass of the whole row, sum(exp(x - total_ref)) in the units top_p sees, when known
    # exactly (NaN otherwise); lets top_p certify windows of flat distributions.
    total_mass: np.ndarray | None = None
    total_ref: np.ndarray | None = None
    certified: np.ndarray = field(init=False)
    scale: np.ndarray = field(init=False)  # product of 1/T applied so far, per row
    _sorted: np.ndarray | None = field(default=None, init=False)

    def __post_init__(self):
        self.certified = np.ones(len(self.rows), dtype=bool)
        self.scale = np.ones(len(self.rows))

    @classmethod
    def dense(cls, rows: np.ndarray, x: np.ndarray) -> "State":
        """A state holding every token of each row: nothing lies outside it."""
        count = len(rows)
        return cls(rows, x, whole_row_ids(count, x.shape[1]), np.zeros(count, bool),
                   np.full(count, NEG_INF), np.zeros(count, np.int64))

    def sorted_values(self) -> np.ndarray:
        """Each row's current values in descending order, removed tokens (-inf) last."""
        if self._sorted is None:
            self._sorted = np.sort(self.x, axis=1)[:, ::-1]
        return self._sorted

    def finite_count(self) -> np.ndarray:
        return np.count_nonzero(self.x > NEG_INF, axis=1)

    def row_max(self) -> np.ndarray:
        # A max pass is far cheaper than the sort, which only some stages need.
        return self._sorted[:, 0] if self._sorted is not None else self.x.max(axis=1)

    def truncate_below(self, active: np.ndarray, cut: np.ndarray) -> None:
        """Remove, in active rows, every token whose current logit is below `cut`."""
        if not active.any():
            return
        cut = np.where(active, cut, NEG_INF)[:, None]
        self.x[self.x < cut] = NEG_INF
        if self._sorted is not None:
            self._sorted = self._sorted.copy()
            self._sorted[self._sorted < cut] = NEG_INF

    def remove(self, mask: np.ndarray) -> None:
        """Remove arbitrary tokens (not a threshold): the sorted cache is rebuilt lazily."""
        if mask.any():
            self.x[mask] = NEG_INF
            self._sorted = None

    def set_values(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        """Overwrite logits of (row position, column) pairs; used by traced adjustments."""
        self.x[rows, cols] = values
        self._sorted = None

    def close_tail(self, where: np.ndarray) -> None:
        """Record that a verified truncation removed every tail token of these rows."""
        self.tail_open &= ~where

    def require(self, ok: np.ndarray) -> None:
        """Rows whose tail could matter and where `ok` fails lose their certificate."""
        self.certified &= ~self.tail_open | ok
