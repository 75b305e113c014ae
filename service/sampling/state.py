"""The working state of a group of rows as it passes through the stages."""

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

NEG_INF = -np.inf
# One value in this many bounds a small top-k before its selection (see kth_largest_of_row).
SELECT_STRIDE = 8
LOWEST = np.finfo(np.float64).min  # what a kept logit below the float64 range becomes


def below(x: np.ndarray, top) -> np.ndarray:
    """x - top, where top bounds x from above: a finite logit more than the float64 range
    below the top becomes -inf (weight exp = 0, as in the limit) without an overflow warning.

    A row that a penalty emptied (top = -inf) gives NaN here, silently: it is refused as
    all-masked when its distribution is built (softmax_segment).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return x - top


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


def spread_sums(values: np.ndarray, ids: np.ndarray, vocab: int) -> np.ndarray:
    """Row sums of values held at token `ids`, added as laid out over the whole vocabulary.

    Tokens a row does not hold count as exact zeros in their own columns, so a compacted row
    sums to the same float, in numpy's pairwise order, as the whole row it came from: how a
    row is stored (alone, or padded in a batch) never changes its result. Padding has the id
    `vocab`, a column past the vocabulary that the sums leave out. `values` may carry leading
    axes (several quantities of the same rows, summed in one pass).
    """
    spread = np.zeros((*values.shape[:-1], vocab + 1))
    spread[..., np.arange(ids.shape[0])[:, None], ids] = values
    return spread[..., :vocab].sum(axis=-1)


def kth_largest_of_row(row: np.ndarray, k: int) -> float:
    """The k-th largest value of a 1-D row, 1 <= k <= len(row), exactly as a sort gives it.

    A selection over the whole row costs ~10 ns a value; when k is small against the row, a
    lower bound from every SELECT_STRIDE-th value first keeps only the values at or above it,
    and the selection runs over those. The bound is used only when at least k values reach
    it, which makes the k-th largest of the kept values that of the row; otherwise the whole
    row is selected over.
    """
    if k * SELECT_STRIDE * 4 <= len(row):
        sample = row[::SELECT_STRIDE]
        # About rank * stride values reach the bound: twice k plus a margin, so that the
        # sample's spread rarely leaves fewer than k.
        rank = 2 * (k // SELECT_STRIDE) + 4
        bound = np.partition(sample, len(sample) - rank)[len(sample) - rank]
        kept = row[row >= bound]
        if len(kept) >= k:
            row = kept
    return np.partition(row, len(row) - k)[len(row) - k]


@dataclass
class State:
    """Current logits of some rows, in token-id order, with what is known of the rest.

    `x[i, j]` is the current logit of token `ids[i, j]` (`-inf` once removed, and for padding).
    In window mode `x` holds only candidate tokens; every other token of the row (the tail)
    has a current logit strictly below `tail_bound`. While `tail_open` is set, tail tokens may
    still be alive, and a stage whose result would depend on them marks the row uncertified,
    so that the caller recomputes it over the whole vocabulary. Whole rows (`dense`) start
    with every token and drop removed ones as stages go (`compact`); their sums are taken as
    over the full row (`row_sums`), so no result depends on which layout a row is in.
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
    # Whole rows (see dense) know their vocabulary size, and whether they were compacted to
    # their surviving tokens (see compact); windows have neither.
    vocab: int | None = field(default=None, init=False)
    compacted: bool = field(default=False, init=False)
    certified: np.ndarray = field(init=False)
    scale: np.ndarray = field(init=False)  # product of 1/T applied so far (windows only)
    _sorted: np.ndarray | None = field(default=None, init=False)
    _finite: np.ndarray | None = field(default=None, init=False)  # finite_count, until a removal
    _removed: bool = field(default=False, init=False)  # tokens removed since the last compact

    def __post_init__(self):
        self.certified = np.ones(len(self.rows), dtype=bool)
        self.scale = np.ones(len(self.rows))

    @classmethod
    def dense(cls, rows: np.ndarray, x: np.ndarray) -> "State":
        """A state holding every token of each row: nothing lies outside it."""
        count = len(rows)
        state = cls(rows, x, whole_row_ids(count, x.shape[1]), np.zeros(count, bool),
                    np.full(count, NEG_INF), np.zeros(count, np.int64))
        state.vocab = x.shape[1]
        return state

    @property
    def windowed(self) -> bool:
        """Whether these are candidate windows, whose tails stages must account for."""
        return self.vocab is None

    def sorted_values(self) -> np.ndarray:
        """Each row's current values in descending order, removed tokens (-inf) last."""
        if self._sorted is None:
            self._sorted = np.sort(self.x, axis=1)[:, ::-1]
        return self._sorted

    def kth_largest(self, k: np.ndarray, active: np.ndarray) -> np.ndarray:
        """Each active row's k-th largest current value (other rows: any value).

        From the sorted cache when a stage already sorted; otherwise by a selection per row
        (kth_largest_of_row, linear time): the same values as a sort, which a top-k alone
        never needs in full.
        """
        position = np.minimum(np.maximum(k - 1, 0), self.x.shape[1] - 1)
        if self._sorted is not None:
            return self._sorted[np.arange(len(k)), position]
        cut = np.zeros(len(k))
        for row in np.flatnonzero(active).tolist():
            cut[row] = kth_largest_of_row(self.x[row], int(position[row]) + 1)
        return cut

    def finite_count(self) -> np.ndarray:
        if self._finite is None:
            alive = self.x > NEG_INF
            # One row counts faster without an axis: count_nonzero(axis=...) goes through sum.
            self._finite = (np.array([np.count_nonzero(alive)]) if len(self.rows) == 1
                            else np.count_nonzero(alive, axis=1))
        return self._finite

    def row_max(self) -> np.ndarray:
        # A max pass is far cheaper than the sort, which only some stages need.
        return self._sorted[:, 0] if self._sorted is not None else self.x.max(axis=1)

    def truncate_below(self, active: np.ndarray, cut: np.ndarray) -> None:
        """Remove, in active rows, every token whose current logit is below `cut`."""
        if not active.any():
            return
        cut = np.where(active, cut, NEG_INF)[:, None]
        self.x[self.x < cut] = NEG_INF
        self._finite, self._removed = None, True
        if self._sorted is not None:
            self._sorted = self._sorted.copy()
            self._sorted[self._sorted < cut] = NEG_INF

    def remove(self, mask: np.ndarray) -> None:
        """Remove arbitrary tokens (not a threshold): the sorted cache is rebuilt lazily."""
        if mask.any():
            self.x[mask] = NEG_INF
            self._sorted = self._finite = None
            self._removed = True

    def set_values(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        """Overwrite logits of (row position, column) pairs; used by traced adjustments."""
        self.x[rows, cols] = values
        self._sorted = self._finite = None

    def row_sums(self, values: np.ndarray) -> np.ndarray:
        """Per-row sums of `values` (laid out like x, 0 for removed tokens), the same floats
        whether or not the rows were compacted."""
        if not self.compacted:
            return values.sum(axis=1)
        return spread_sums(values, self.ids, self.vocab)

    def compact(self, last: bool = False) -> None:
        """Keep only the surviving tokens of whole rows, once a stage has removed some.

        Each row keeps its live tokens in id order, padded (-inf, id `vocab`) to the batch's
        widest row, so later stages and the softmax work on k columns rather than V. A single
        row is compacted whenever it lost tokens; a batch only when at most a quarter of the
        columns survive in every row: gathering many rows costs about what it saves at half.
        After the `last` stage only the softmax is left, whose masked exp skips removed tokens
        cheaply: a single row is compacted then only if at least an eighth of it survives, a
        batch not at all (measured with runner.bench.core_ab).
        Windows are compact already.
        """
        if self.vocab is None or not self._removed or (last and len(self.rows) > 1):
            return
        self._removed = False
        alive = self.x > NEG_INF
        width = self.x.shape[1]
        if len(self.rows) == 1:
            count = np.count_nonzero(alive)
            self._finite = np.array([count])
            # An empty row (only float overflow in the penalties can empty one) stays whole
            # for the softmax to report.
            if count in (0, width) or (last and 8 * count < width):
                return
            keep = np.flatnonzero(alive[0])
            self.x, self.ids = self.x[:, keep], self.ids[:, keep]
        else:
            counts = self._finite = np.count_nonzero(alive, axis=1)
            count = max(int(counts.max()), 1)
            if 4 * count > width:
                return
            rows, columns = np.nonzero(alive)
            position = np.arange(len(rows)) - (np.cumsum(counts) - counts)[rows]
            x = np.full((len(self.rows), count), NEG_INF)
            x[rows, position] = self.x[rows, columns]
            ids = np.full((len(self.rows), count), self.vocab, dtype=np.int32)
            ids[rows, position] = self.ids[rows, columns]
            self.x, self.ids = x, ids
        if self._sorted is not None:  # removed tokens sort last: the survivors are a prefix
            self._sorted = self._sorted[:, :count]
        self.compacted = True

    def close_tail(self, where: np.ndarray) -> None:
        """Record that a verified truncation removed every tail token of these rows."""
        self.tail_open &= ~where

    def require(self, ok: np.ndarray) -> None:
        """Rows whose tail could matter and where `ok` fails lose their certificate."""
        self.certified &= ~self.tail_open | ok
