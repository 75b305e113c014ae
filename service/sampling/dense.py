"""Rows worked over the whole vocabulary: untruncated rows, traced rows, and rows that no
candidate window could certify."""

import math

import numpy as np

from .errors import AllMaskedRowError
from .logits import row_maxima
from .result import ProcessedBatch
from .state import State, token_range, whole_row_ids
from .trace import Tracer, finalize, softmax_segment

# Whole-vocabulary work proceeds this many logits at a time, to bound temporary memory:
# staged rows need several float64 copies, untruncated rows one buffer in the input's dtype.
DENSE_CHUNK = 1 << 16
UNTRUNCATED_CHUNK = 1 << 18


def row_chunks(rows: np.ndarray, vocab: int, size: int = DENSE_CHUNK):
    step = max(1, size // vocab)
    for start in range(0, len(rows), step):
        yield rows[start:start + step]


def adjusted_block(z, rows, adjustments, dtype=None) -> np.ndarray:
    """A writable copy of z[rows] (rows ascending) with the adjusted logits written in."""
    consecutive = rows[-1] - rows[0] == len(rows) - 1
    block = (z[rows[0]:rows[-1] + 1] if consecutive else z[rows]).astype(dtype or z.dtype)
    if adjustments is not None:
        position, mine = adjustments.locate(rows)
        block[position, adjustments.cols[mine]] = adjustments.values[mine]
    return block


def check_block(z: np.ndarray, block_max: np.ndarray) -> None:
    """Raise the canonical error (first offending row of the whole batch) if any max is bad."""
    finite = (math.isfinite(block_max.item()) if block_max.size == 1  # one request, one row
              else np.isfinite(block_max).all())
    if not finite:
        row_maxima(z)


def finite_counts(z: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Number of finite (unmasked) logits in each row; NaN counts as finite here.

    A row's minimum (one fast pass) tells whether it has a masked token at all; only those
    rows are counted."""
    counts = np.full(len(rows), z.shape[1], dtype=np.int64)
    for i, row in enumerate(rows.tolist()):
        if z[row].min() == -np.inf:
            counts[i] -= np.count_nonzero(z[row] == -np.inf)
    return counts


def _write_adjustments(x, chunk, adjustments, scale) -> None:
    if adjustments is not None:
        position, mine = adjustments.locate(chunk)
        x[position, adjustments.cols[mine]] = adjustments.values[mine] * (
            scale if np.isscalar(scale) else scale[position])


def _shifted_scaled(source, chunk, inverse_t, adjustments, x) -> np.ndarray:
    """x = source / T (adjusted) minus its row maximum, in one scaling pass; returns the
    maxima. A row whose maximum is not finite (NaN / +inf in the input, or x / T overflowed)
    is left unshifted for the caller.

    Every row is shifted, each on its own: the shift makes the largest term of the sums
    exactly 1 (a constant row sums exactly), and a row's floats never depend on its
    neighbours.
    """
    np.multiply(source, inverse_t[:, None], out=x)
    _write_adjustments(x, chunk, adjustments, inverse_t)
    top = x.max(axis=1)
    finite = np.isfinite(top)
    if finite.all():
        x -= top[:, None]
    else:
        np.subtract(x, top[:, None], out=x, where=finite[:, None])
    return top


def _row_sums(weights: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sum(e), sum(e * x)) of each row in float64, one row at a time: einsum over a 2-D
    block sums a row differently with the number of rows beside it, a 1-D einsum does not."""
    total, weighted = np.empty(len(weights)), np.empty(len(weights))
    for j in range(len(weights)):
        total[j] = np.einsum("j->", weights[j])
        weighted[j] = np.einsum("j,j->", weights[j], x[j])
    return total, weighted


def _shift_then_scale(source, chunk, temperature, adjustments) -> np.ndarray:
    """(x - max) / T for rows whose x / T or 1 / T overflows: the difference first, then a
    float64 division, so that the top token is 0 (never 0 * inf) and far-away tokens become
    -inf (q = 0)."""
    x = source.copy()
    _write_adjustments(x, chunk, adjustments, 1.0)
    with np.errstate(over="ignore"):
        x -= x.max(axis=1, keepdims=True)
        np.divide(x, temperature[:, None], out=x, casting="unsafe")
    return x


def untruncated_writer(z, rows, counts, temperature, adjustments):
    """Writer for rows no stage truncates: q = softmax(x / T) over every finite token.

    The row's probabilities are written straight into the batch's output arrays, so the only
    temporaries are one chunk of logits. Entropy is ln Z - sum(e * x) / Z with e = exp(x)
    and x shifted by the row maximum; the sums use einsum in the logits' precision, whose SIMD
    loops keep several partial sums and, unlike BLAS, never start threads (docs/sampling.md,
    "Precision", gives the error measured at 128k float32 terms).
    """
    vocab = z.shape[1]
    every_id = token_range(vocab)

    def write(reserved):
        entropy = np.empty(len(rows))
        done = 0
        buffer = np.empty((min(len(rows), max(1, UNTRUNCATED_CHUNK // vocab)), vocab),
                          dtype=z.dtype)
        for chunk in row_chunks(rows, vocab, UNTRUNCATED_CHUNK):
            span = slice(done, done + len(chunk))
            with np.errstate(over="ignore"):  # a tiny T: 1 / T is inf in the logits' dtype
                inverse_t = (1.0 / temperature[span]).astype(z.dtype)
            scalable = np.isfinite(inverse_t)
            consecutive = chunk[-1] - chunk[0] == len(chunk) - 1
            source = z[chunk[0]:chunk[-1] + 1] if consecutive else z[chunk]
            x = buffer[:len(chunk)]
            with np.errstate(over="ignore"):
                top = _shifted_scaled(source, chunk, np.where(scalable, inverse_t, 1),
                                      adjustments, x)
            redo = ~(np.isfinite(top) & scalable)
            if redo.any():
                banned = np.flatnonzero(top == -np.inf)  # input rows with none were refused
                if banned.size:
                    raise AllMaskedRowError(int(chunk[banned[0]]), by_bias=True)
                check_block(z, source.max(axis=1))  # NaN or +inf in the input: the 422
                # Only a huge |logit| / T or a tiny T gets here.
                x[redo] = _shift_then_scale(source[redo], chunk[redo], temperature[span][redo],
                                            adjustments)
            partial = counts[span] < vocab
            masked = partial.any()
            block = None if masked else reserved.block(span.start, span.stop, vocab)
            direct = block is not None and z.dtype == np.float32
            weights = block[1] if direct else np.empty_like(x)
            np.exp(x, out=weights)
            if masked or redo.any():
                # exp(-inf) = 0 already (a masked token, or (x - max) / T past the range); a
                # finite floor keeps 0 * x from becoming NaN below. After exp, not before:
                # float64 exp is ~30 % slower on a huge negative input.
                np.maximum(x, np.finfo(x.dtype).min, out=x)
            total, weighted = _row_sums(weights, x)
            entropy[span] = np.maximum(np.log(total) - weighted / total, 0.0)
            weights *= (1.0 / total).astype(weights.dtype)[:, None]
            if block is not None:
                reserved.mark_whole(span.start, span.stop)
                if not direct:
                    block[1][:] = weights
            else:
                for j, row in enumerate(chunk.tolist()):
                    ids, probs = reserved.row(done + j)
                    if partial[j]:  # a boolean mask gathers ~3x faster than the index array
                        finite = z[row] > -np.inf
                        ids[:] = np.flatnonzero(finite)
                        probs[:] = weights[j][finite]
                    else:
                        ids[:] = every_id
                        probs[:] = weights[j]
            done += len(chunk)
        return entropy

    return write


def staged_segments(z, rows, run, adjustments, traced: bool):
    """Run every stage over whole rows (float64), chunk by chunk; yields Segments.

    Traced rows start from the raw logits, because there the adjustments run as stages.
    `run=None` says no stage can act on any row: q is the softmax of the adjusted logits.
    """
    for chunk in row_chunks(rows, z.shape[1]):
        x = adjusted_block(z, chunk, None if traced else adjustments, dtype=np.float64)
        top = x.max(axis=1, keepdims=True)
        check_block(z, top)
        if run is None:
            yield softmax_segment(chunk, x, whole_row_ids(len(chunk), z.shape[1]), top=top)
            continue
        state = State.dense(chunk, x)
        tracer = Tracer(len(chunk)) if traced else None
        run(state, tracer)
        yield finalize(state, tracer)


def whole_rows_batch(z, run, adjustments, traced: bool, seeds) -> ProcessedBatch:
    """Every row through staged_segments, in row order: the CSR batch is their concatenation.

    Small vocabularies (and traces) take this path for every row, truncated or not, so that
    a small request costs a handful of array operations rather than the window machinery.
    """
    segments = list(staged_segments(z, np.arange(z.shape[0]), run, adjustments, traced))
    trace = [records for s in segments for records in s.trace] if traced else None
    if len(segments) == 1:
        counts, ids, probs, entropy = (segments[0].counts, segments[0].token_ids,
                                       segments[0].probs, segments[0].entropy)
    else:
        counts, ids, probs, entropy = (np.concatenate([getattr(s, name) for s in segments])
                                       for name in ("counts", "token_ids", "probs", "entropy"))
    indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    counts.cumsum(out=indptr[1:])
    return ProcessedBatch(z.shape[1], indptr, ids, probs, entropy, seeds, trace)
