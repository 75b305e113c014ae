"""Counter-based randomness: each row's draws depend only on its own seed."""

import secrets
import threading
from collections.abc import Sequence
from numbers import Integral

import numpy as np

from .errors import InvalidParameterError

SEED_LIMIT = 2**63
# Philox keys are 128-bit: the high word selects an independent stream for the same seed.
XTC_STREAM = 2**64


def resolve_seeds(seed, batch: int) -> np.ndarray:
    """Per-row seeds: a scalar applies to every row; None draws fresh ones from the OS."""
    if seed is None:
        return np.array([secrets.randbelow(SEED_LIMIT) for _ in range(batch)], dtype=np.int64)
    if type(seed) is int and 0 <= seed < SEED_LIMIT:  # the common case, checked in full
        return np.array([seed] * batch, dtype=np.int64)
    if isinstance(seed, Integral) and not isinstance(seed, bool):
        seeds = [seed] * batch
    elif isinstance(seed, Sequence | np.ndarray) and not isinstance(seed, str | bytes):
        seeds = list(seed)
        if len(seeds) != batch:
            raise InvalidParameterError(
                f"seed has {len(seeds)} values but the batch has {batch} row(s)", field="seed"
            )
    else:
        raise InvalidParameterError("seed must be an integer or a list of integers", field="seed")
    for value in seeds:
        if not isinstance(value, Integral) or isinstance(value, bool):
            raise InvalidParameterError(f"seed must be an integer (got {value!r})", field="seed")
        if not 0 <= int(value) < SEED_LIMIT:
            raise InvalidParameterError(
                f"seed must be in [0, 2**63) (got {value})", field="seed"
            )
    return np.asarray(seeds, dtype=np.int64)


_local = threading.local()
_WORD = 2**64
_ZEROS = (0, 0, 0, 0)  # the state setter reads words by index: plain ints are cheapest


def _generator(key: int) -> np.random.Generator:
    """Generator(Philox(key=key)) at its initial state, for immediate use by the caller.

    One Philox per thread is reset to that state: constructing a fresh one also draws OS
    entropy for a seed it never uses, which costs four times as much.
    """
    generator = getattr(_local, "generator", None)
    if generator is None:
        generator = _local.generator = np.random.Generator(np.random.Philox(key=0))
    generator.bit_generator.state = {
        "bit_generator": "Philox",
        "state": {"counter": _ZEROS, "key": (key % _WORD, key // _WORD)},
        "buffer": _ZEROS, "buffer_pos": 4, "has_uint32": 0, "uinteger": 0,
    }
    return generator


def row_uniforms(seeds, n: int) -> np.ndarray:
    """(B, n) uniforms in [0, 1): row b is Generator(Philox(key=seed_b)).random(n)."""
    seeds = np.asarray(seeds, dtype=np.int64).reshape(-1)
    out = np.empty((seeds.size, n), dtype=np.float64)
    cache: dict[int, int] = {}
    for row, seed in enumerate(seeds.tolist()):
        # Rows that share a seed share their draws; generate them once.
        if seed in cache:
            out[row] = out[cache[seed]]
        else:
            _generator(seed).random(out=out[row])
            cache[seed] = row
    return out


def xtc_coins(seeds) -> np.ndarray:
    """(B,) uniforms for XTC's coin, from a stream independent of the sampling draws."""
    seeds = np.asarray(seeds, dtype=np.int64).reshape(-1)
    return np.array([_generator(int(s) + XTC_STREAM).random() for s in seeds.tolist()])
