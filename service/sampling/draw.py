"""Inverse-CDF draws from processed distributions, with caller-supplied uniforms."""

import numpy as np

from .result import ProcessedBatch

# Rows are drawn this many kept tokens at a time, to bound the float64 CDF's memory.
CDF_CHUNK = 1 << 20


def _row_chunks(indptr: np.ndarray):
    start = 0
    batch = len(indptr) - 1
    while start < batch:
        stop = int(np.searchsorted(indptr, indptr[start] + CDF_CHUNK, side="right")) - 1
        stop = min(max(stop, start + 1), batch)
        yield start, stop
        start = stop


def draw(batch: ProcessedBatch, uniforms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token j of row b is the first kept token (in id order) whose cumulative mass > u[b, j].

    Returns (tokens int64 (B, n), logprobs float64 (B, n)). The same uniforms give the same
    tokens for the same distribution, which is what makes sweeps use common random numbers.
    """
    uniforms = np.asarray(uniforms, dtype=np.float64)
    if uniforms.ndim != 2 or uniforms.shape[0] != batch.batch:
        raise ValueError(f"uniforms must have shape ({batch.batch}, n), not {uniforms.shape}")
    n = uniforms.shape[1]
    tokens = np.empty((batch.batch, n), dtype=np.int64)
    logprobs = np.empty((batch.batch, n), dtype=np.float64)
    for start, stop in _row_chunks(batch.indptr):
        lo, hi = int(batch.indptr[start]), int(batch.indptr[stop])
        local = batch.indptr[start:stop + 1] - lo
        cdf = np.cumsum(batch.probs[lo:hi], dtype=np.float64)
        before = np.concatenate(([0.0], cdf))[local[:-1]]
        total = cdf[local[1:] - 1] - before
        targets = before[:, None] + uniforms[start:stop] * total[:, None]
        index = np.searchsorted(cdf, targets.ravel(), side="right").reshape(targets.shape)
        index = np.clip(index, local[:-1, None], local[1:, None] - 1)
        tokens[start:stop] = batch.token_ids[lo:hi][index]
        with np.errstate(divide="ignore"):
            logprobs[start:stop] = np.log(batch.probs[lo:hi][index].astype(np.float64))
    return tokens, logprobs
