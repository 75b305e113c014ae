"""Turn caller input into a validated 2-D logits array without copying when possible."""

import numpy as np

from .errors import AllMaskedRowError, InvalidLogitsError
from .params import SamplingLimits

_FLOAT64, _FLOAT32 = np.dtype(np.float64), np.dtype(np.float32)


def _widened(z: np.ndarray) -> np.ndarray:
    """Integers to float64 and float16 to float32; any other non-float dtype is an error."""
    if z.dtype == object:
        raise InvalidLogitsError("logits must be a rectangular array of numbers (ragged rows?)")
    if z.dtype.kind in "iu":
        return z.astype(np.float64)
    if z.dtype == np.float16:
        return z.astype(np.float32)
    if z.dtype not in (np.float32, np.float64):
        raise InvalidLogitsError(f"logits must be float16, float32 or float64, not {z.dtype}")
    return z


def as_logits(logits, limits: SamplingLimits) -> np.ndarray:
    """A C-contiguous (B, V) float32 or float64 array; float16 and integers are widened."""
    try:
        z = np.asarray(logits)
    except (ValueError, TypeError) as exc:
        raise InvalidLogitsError(
            f"logits must be a rectangular array of numbers ({exc})") from None
    if z.dtype is not _FLOAT64 and z.dtype is not _FLOAT32:  # the usual inputs skip this
        z = _widened(z)
    if z.ndim == 1:
        z = z[None, :]
    if z.ndim != 2 or z.shape[0] == 0 or z.shape[1] == 0:
        raise InvalidLogitsError(f"logits must have shape (V,) or (B, V) with B, V >= 1, "
                                 f"not {tuple(np.shape(logits))}")
    batch, vocab = z.shape
    if limits.max_vocab is not None and vocab > limits.max_vocab:
        raise InvalidLogitsError(f"vocabulary of {vocab} exceeds the limit of {limits.max_vocab}")
    if limits.max_batch is not None and batch > limits.max_batch:
        raise InvalidLogitsError(f"batch of {batch} rows exceeds the limit of {limits.max_batch}")
    return np.ascontiguousarray(z)


def row_maxima(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's argmax and maximum, rejecting NaN, +inf and all-masked rows.

    One argmax pass does the validation too: argmax returns the first NaN when there is one,
    and a +inf when there is one, so only the offending row needs a second look.
    """
    top_index = np.argmax(z, axis=1)
    top = z[np.arange(z.shape[0]), top_index]
    bad = np.flatnonzero(np.isnan(top) | (top == np.inf))
    if bad.size:
        row = int(bad[0])
        position = int(np.flatnonzero(np.isnan(z[row]) | (z[row] == np.inf))[0])
        kind = "NaN" if np.isnan(z[row, position]) else "+inf"
        raise InvalidLogitsError(
            f"logits row {row}, position {position} is {kind}; use -inf to mask a token"
        )
    empty = np.flatnonzero(top == -np.inf)
    if empty.size:
        raise AllMaskedRowError(int(empty[0]))
    return top_index, top.astype(np.float64)
