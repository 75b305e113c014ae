"""Build the final CSR ProcessedBatch from groups of rows without copying large rows twice."""

from collections.abc import Callable

import numpy as np

from .result import ProcessedBatch
from .trace import Segment

# writer(views) fills the reserved rows: views[i] = (token_ids, probs) slices of row rows[i].
Writer = Callable[[list[tuple[np.ndarray, np.ndarray]]], np.ndarray]


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
        for rows, writer in self.reservations:
            views = [
                (token_ids[indptr[r]:indptr[r + 1]], probs[indptr[r]:indptr[r + 1]])
                for r in rows.tolist()
            ]
            self.entropy[rows] = writer(views)
        return ProcessedBatch(
            self.vocab, indptr, token_ids, probs, self.entropy, seeds, self.trace
        )
