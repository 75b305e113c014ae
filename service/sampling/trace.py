"""Per-stage traces, and turning a finished State into a CSR segment of distributions."""

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from .errors import AllMaskedRowError
from .state import LOWEST, NEG_INF, State, below, spread_sums


@dataclass
class Segment:
    """Finished rows of one group: original row ids, kept counts and the flat kept tokens."""

    rows: np.ndarray
    counts: np.ndarray
    token_ids: np.ndarray
    probs: np.ndarray
    entropy: np.ndarray
    trace: list[list[dict]] | None


def log_softmax(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise (weights e = exp(x - max), log Z - max): -inf entries get weight 0."""
    top = np.max(x, axis=1, keepdims=True)
    weights = np.exp(below(x, top))
    return weights, np.log(weights.sum(axis=1, keepdims=True))


def entropy(x: np.ndarray) -> np.ndarray:
    """Entropy in nats of softmax(x) per row: H = ln Z - sum(e * d) / Z with d = x - max."""
    top = np.max(x, axis=1, keepdims=True)
    shifted = below(x, top)
    weights = np.exp(shifted)
    total = weights.sum(axis=1)
    products = np.multiply(weights, shifted, out=np.zeros_like(weights), where=weights > 0)
    weighted = products.sum(axis=1)
    return np.maximum(np.log(total) - weighted / total, 0.0)


class Tracer:
    """Records kept count, removed mass and entropy after each stage, per row."""

    def __init__(self, rows: int):
        self.records: list[list[dict]] = [[] for _ in range(rows)]

    def _record(self, name, after, removed, only):
        kept = np.count_nonzero(after > NEG_INF, axis=1)
        after_entropy = entropy(after)
        for i in np.flatnonzero(only):
            self.records[i].append({
                "stage": name,
                "kept": int(kept[i]),
                "removed_mass": float(removed[i]),
                "entropy": float(after_entropy[i]),
            })

    @contextmanager
    def stage(self, state: State, name: str, only: np.ndarray | None = None):
        before = state.x.copy()
        yield
        weights, _ = log_softmax(before)
        gone = (before > NEG_INF) & (state.x == NEG_INF)
        removed = np.where(gone, weights, 0.0).sum(axis=1) / weights.sum(axis=1)
        only = np.ones(len(state.rows), bool) if only is None else only
        self._record(name, state.x, removed, only)

    def skip(self, state: State, name: str) -> None:
        self._record(name, state.x, np.zeros(len(state.rows)), np.ones(len(state.rows), bool))


def finalize(state: State, tracer: Tracer | None, keep: np.ndarray | None = None) -> Segment:
    """The finished state's distributions (rows in `keep` only, when given) as a Segment."""
    x, ids, rows = state.x, state.ids, state.rows
    if keep is not None:
        x, ids, rows = x[keep], ids[keep], rows[keep]
    return softmax_segment(rows, x, ids, tracer.records if tracer is not None else None,
                           vocab=state.vocab if state.compacted else None)


def softmax_segment(rows: np.ndarray, x: np.ndarray, ids: np.ndarray,
                    trace: list[list[dict]] | None = None, top: np.ndarray | None = None,
                    vocab: int | None = None) -> Segment:
    """q = softmax over each row's surviving tokens (x > -inf), flattened in token-id order.

    H = ln Z - sum(e * d) / Z with d = x - max and e = exp(d), the products taken over the
    surviving tokens only (e * d is NaN where x = -inf). `x` is used as scratch; `top` is its
    row maxima (B, 1) when the caller has them. `vocab` says x holds compacted whole rows of
    that vocabulary, whose sums are taken as over the whole rows (see spread_sums).
    """
    lowest = x.min()
    every = lowest > NEG_INF  # the masks below are only for rows with removed tokens
    if every:
        finite, counts = None, np.array((x.shape[1],) * len(rows), dtype=np.int64)
    else:
        finite = x > NEG_INF
        counts = finite.sum(axis=1)
        if not counts.all():
            # Input rows were checked: only a -inf bias (or float overflow in the
            # adjustments) can empty a row that had finite logits.
            raise AllMaskedRowError(int(rows[np.argmin(counts)]), by_bias=True)
    top = x.max(axis=1, keepdims=True) if top is None else top
    highest = top.item() if top.size == 1 else float(top.max())
    if float(lowest) - highest >= LOWEST:  # no shifted logit can leave the range
        shifted = np.subtract(x, top, out=x)
    else:
        with np.errstate(over="ignore"):
            shifted = np.subtract(x, top, out=x)
        # A kept logit ~1.8e308 below the maximum overflows to -inf here; keep it finite so
        # that its weight is 0 and its product e * d is 0 rather than NaN.
        np.maximum(shifted, LOWEST, out=shifted)
    if every:
        weights = np.exp(shifted)
    else:  # exp of a removed token's -inf takes numpy's slow underflow path; its weight is 0
        weights = np.exp(shifted, out=np.zeros_like(shifted), where=finite)
    if every:  # the common untruncated block: no masks needed
        products = np.multiply(weights, shifted, out=shifted)
    else:
        products = np.multiply(weights, shifted, out=np.zeros_like(weights), where=finite)
    if vocab is None:
        total, weighted = weights.sum(axis=1), products.sum(axis=1)
    else:
        total, weighted = spread_sums(np.stack((weights, products)), ids, vocab)
    row_entropy = np.maximum(np.log(total) - weighted / total, 0.0)
    weights /= total[:, None]
    return Segment(
        rows=rows,
        counts=counts,
        token_ids=(ids if every else ids[finite]).astype(np.int32).reshape(-1),
        probs=(weights if every else weights[finite]).astype(np.float32).reshape(-1),
        entropy=row_entropy,
        trace=trace,
    )
