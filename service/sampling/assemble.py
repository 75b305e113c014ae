"""Build the final CSR ProcessedBatch from groups of rows without copying large rows twice."""

from collections.abc import Callable

import numpy as np

from .result import ProcessedBatch
from .trace import Segment


class Reserved:
    """Where a reservation's rows live in the final arrays."""

    def __init__(self, rows, indptr, token_ids, probs, whole):
        self.rows, self.indptr = rows, indptr
        self.token_ids, self.probs = token_ids, probs
        self.whole = whole

    def mark_whole(self, i: int, j: int) -> None:
        """Rows i..j-1 keep every token: their ids (0..V-1) need not be written."""
        self.whole[self.rows[i:j]] = True

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """(token_ids, probs) slices of the reservation's i-th row."""
        lo, hi = self.indptr[self.rows[i]], self.indptr[self.rows[i] + 1]
        return self.token_ids[lo:hi], self.probs[lo:hi]

    def block(self, i: int, j: int, width: int):
        """(token_ids, probs) as (j - i, width) views when rows i..j-1 are consecutive batch
        rows of exactly `width` tokens each (then they are adjacent in the arrays), else None.
        """
        first, last = self.rows[i], self.rows[j - 1]
        if last - first != j - i - 1 or self.indptr[last + 1] - self.indptr[first] != (
                j - i) * width or np.any(np.diff(self.indptr[first:last + 2]) != width):
            return None
        lo, hi = self.indptr[first], self.indptr[last + 1]
        return (self.token_ids[lo:hi].reshape(j - i, width),
                self.probs[lo:hi].reshape(j - i, width))


# writer(reserved) fills the reserved rows and returns their entropies.
Writer = Callable[[Reserved], np.ndarray]


class BatchBuilder:
    """Collects finished segments and reservations, then lays them out in row order once.

    Segments are small (candidate windows) and copied into place; rows that keep most of the
    vocabulary are reserved with known counts and written straight into the final arrays.
    """

    def __init__(self, batch: int, vocab: int):
        self.batch, self.vocab = batch, vocab
        self.counts = np.zeros(batch, dtype=np.int64)
        self.entropy = np.zeros(batch)
        self.segments: list[Segment] = []
        self.reservations: list[tuple[np.ndarray, Writer]] = []
        self.trace: list[list[dict]] | None = None

    def add(self, segment: Segment) -> None:
        self.counts[segment.rows] = segment.counts
        self.entropy[segment.rows] = segment.entropy
        self.segments.append(segment)
        if segment.trace is not None:
            self.trace = self.trace or [[] for _ in range(self.batch)]
            for row, records in zip(segment.rows.tolist(), segment.trace, strict=True):
                self.trace[row] = records

    def reserve(self, rows: np.ndarray, counts: np.ndarray, writer: Writer) -> None:
        """Promise `counts[i]` kept tokens for `rows[i]`; writer returns their entropies."""
        self.counts[rows] = counts
        self.reservations.append((rows, writer))

    def build(self, seeds: np.ndarray) -> ProcessedBatch:
        indptr = np.zeros(self.batch + 1, dtype=np.int64)
        np.cumsum(self.counts, out=indptr[1:])
        token_ids = np.empty(indptr[-1], dtype=np.int32)
        probs = np.empty(indptr[-1], dtype=np.float32)
        for segment in self.segments:
            starts = np.concatenate(([0], np.cumsum(segment.counts)[:-1]))
            offsets = np.repeat(indptr[segment.rows] - starts, segment.counts)
            target = np.arange(len(segment.token_ids)) + offsets
            token_ids[target] = segment.token_ids
            probs[target] = segment.probs
        whole = np.zeros(self.batch, dtype=bool)
        for rows, writer in self.reservations:
            self.entropy[rows] = writer(Reserved(rows, indptr, token_ids, probs, whole))
        return ProcessedBatch(
            self.vocab, indptr, token_ids, probs, self.entropy, seeds, self.trace, whole
        )
