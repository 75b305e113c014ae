"""Validate sampling parameters and broadcast each to one value per row."""

import math
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from numbers import Integral, Real

import numpy as np

from .errors import InvalidParameterError
from .presets import DEFAULT_PENALTY_LAST_N, resolve_order


@dataclass(frozen=True)
class SamplingLimits:
    """Upper bounds the caller (for example the HTTP service) enforces on a request."""

    max_vocab: int | None = None
    max_batch: int | None = None
    max_n: int = 10_000
    max_context: int | None = None
    max_logprobs: int = 1_000


DEFAULT_LIMITS = SamplingLimits()  # frozen: one shared instance for callers that give none

# name: (default, lower, upper, lower_inclusive, upper_inclusive, stage that uses it, off value)
RANGES: dict[str, tuple] = {
    "temperature": (1.0, 0.0, np.inf, True, False, "temperature", 1.0),
    "top_k": (0, -1, np.inf, True, False, "top_k", 0),
    "top_p": (1.0, 0.0, 1.0, True, True, "top_p", 1.0),
    "min_p": (0.0, 0.0, 1.0, True, True, "min_p", 0.0),
    "typical_p": (1.0, 0.0, 1.0, False, True, "typical_p", 1.0),
    "top_n_sigma": (0.0, -np.inf, np.inf, False, False, "top_n_sigma", 0.0),
    "xtc_threshold": (0.1, 0.0, 1.0, True, True, "xtc", None),
    "xtc_probability": (0.0, 0.0, 1.0, True, True, "xtc", 0.0),
    "repetition_penalty": (1.0, 0.0, np.inf, False, False, "penalties", 1.0),
    "frequency_penalty": (0.0, -2.0, 2.0, True, True, "penalties", 0.0),
    "presence_penalty": (0.0, -2.0, 2.0, True, True, "penalties", 0.0),
}


KNOWN = {*RANGES, "preset", "order", "penalty_last_n", "logit_bias", "context"}
# The peers' spellings of off below a parameter's range: top_k -1 (vLLM; llama.cpp: <= 0) and
# top_n_sigma <= 0 (llama.cpp's default is -1) mean the stage does nothing.
OFF_BELOW_ZERO = ("top_k", "top_n_sigma")
# penalty_last_n -1: llama.cpp's "the whole context".
WHOLE_CONTEXT = -1


@dataclass
class SamplingParams:
    """Every parameter as a per-row numpy array, plus the resolved stage order."""

    order: tuple[str, ...]
    preset: str
    rows: dict[str, np.ndarray]
    logit_bias: list[tuple[np.ndarray, np.ndarray]] | None
    context: list[np.ndarray] | None
    # The RANGES parameters the caller set to something else than off in some row; every
    # other one holds its default (off) in every row.
    given: frozenset[str] = frozenset(RANGES)

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["rows"][name]
        except KeyError:
            raise AttributeError(name) from None


INT64_LIMIT = 2**63  # integer parameters become int64 arrays


def _is_number(value) -> bool:
    if type(value) in (float, int):  # the common case, without the slower ABC check
        return True
    return isinstance(value, Real) and not isinstance(value, bool)


def _finite(value) -> bool:
    """math.isfinite, with integers beyond the float range counted as infinite."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def per_row(name: str, value, batch: int, *, integer: bool = False,
            bounds: tuple | None = None) -> np.ndarray:
    """Broadcast a scalar or a length-`batch` sequence to a float64 (or int64) array.

    Every value is checked in plain Python first: requests carry one value or one per row, so
    this is cheaper than building arrays to check them. `bounds` is (low, high, low_inclusive,
    high_inclusive).
    """
    if isinstance(value, np.ndarray):
        value = value.item() if value.ndim == 0 else value.tolist()
    if _is_number(value):
        values = [value]
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        values = list(value)
        if len(values) != batch:
            raise InvalidParameterError(
                f"{name} has {len(values)} values but the batch has {batch} row(s)", field=name
            )
    else:
        raise InvalidParameterError(f"{name} must be a number or a list of numbers", field=name)
    for row, item in enumerate(values):
        whole = integer and _is_number(item) and (
            isinstance(item, Integral) or (_finite(item) and float(item).is_integer()))
        if whole and not -INT64_LIMIT <= item < INT64_LIMIT:
            raise InvalidParameterError(
                f"{name} must be in [-2**63, 2**63) (row {row}: {reprlib.repr(item)})", field=name)
        if not _is_number(item) or not _finite(item) or (integer and not whole):
            kind = "an integer" if integer else "a finite number"
            raise InvalidParameterError(
                f"{name} must be {kind} (row {row}: {reprlib.repr(item)})", field=name)
        if bounds is not None:
            low, high, low_incl, high_incl = bounds
            if (item < low if low_incl else item <= low) or (
                    item > high if high_incl else item >= high):
                left, right = ("[" if low_incl else "("), ("]" if high_incl else ")")
                raise InvalidParameterError(
                    f"{name} must be in {left}{low:g}, {high:g}{right} (row {row}: {item:g})",
                    field=name)
    dtype = np.int64 if integer else np.float64
    if len(values) == 1:
        return np.full(batch, values[0], dtype=dtype)
    return np.array(values, dtype=dtype)


def _token_id(name: str, value, vocab: int) -> int:
    try:
        token = int(value)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{name}: token id {value!r} is not an integer", field=name) from None
    if isinstance(value, float | bool) or not 0 <= token < vocab:
        raise InvalidParameterError(
            f"{name}: token id {value!r} is outside the vocabulary [0, {vocab})", field=name
        )
    return token


def _bias_arrays(mapping: Mapping, vocab: int) -> tuple[np.ndarray, np.ndarray]:
    """(token ids, biases) of one {token_id: bias} mapping, validated."""
    ids = np.array([_token_id("logit_bias", k, vocab) for k in mapping], dtype=np.int64)
    biases = []
    for key, bias in mapping.items():
        # -inf bans the token, as llama.cpp's -INFINITY does (its ignore_eos uses it).
        if not _is_number(bias) or not (-100 <= bias <= 100 or bias == -math.inf):
            raise InvalidParameterError(
                f"logit_bias[{key}] must be a number in [-100, 100], or -inf to ban the "
                f"token (got {bias!r})",
                field="logit_bias",
            )
        biases.append(float(bias))
    return ids, np.asarray(biases, dtype=np.float64)


def parse_logit_bias(value, batch: int, vocab: int) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """One {token_id: bias} mapping for all rows, or a list with one mapping per row."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        # Read once, shared by every row (read-only): not B times the same mapping.
        one = _bias_arrays(value, vocab)
        return [one] * batch if one[0].size else None
    if isinstance(value, Sequence) and all(isinstance(m, Mapping) for m in value):
        mappings = list(value)
        if len(mappings) != batch:
            raise InvalidParameterError(
                f"logit_bias has {len(mappings)} mappings but the batch has {batch} row(s)",
                field="logit_bias",
            )
    else:
        raise InvalidParameterError(
            "logit_bias must map token ids to biases, or be a list of such maps per row",
            field="logit_bias",
        )
    parsed = [_bias_arrays(mapping, vocab) for mapping in mappings]
    return parsed if any(ids.size for ids, _ in parsed) else None


def parse_context(value, batch: int, vocab: int, limits: SamplingLimits) -> list[np.ndarray] | None:
    """One list of token ids for all rows, or one list per row (a list of lists)."""
    if value is None:
        return None
    if isinstance(value, np.ndarray) and value.ndim == 2:
        value = list(value)
    if not isinstance(value, Sequence | np.ndarray) or isinstance(value, str | bytes):
        raise InvalidParameterError("context must be a list of token ids", field="context")
    per_row_lists = len(value) > 0 and all(
        isinstance(item, Sequence | np.ndarray) and not isinstance(item, str) for item in value
    )
    if not per_row_lists:
        # Read once, shared by every row (read-only): not B times the same list.
        one = _context_row(0, value, vocab, limits)
        return [one] * batch if one.size else None
    if len(value) != batch:
        raise InvalidParameterError(
            f"context has {len(value)} rows but the batch has {batch} row(s)", field="context"
        )
    parsed = [_context_row(row, ids, vocab, limits) for row, ids in enumerate(value)]
    return parsed if any(ids.size for ids in parsed) else None


def _context_row(row: int, ids, vocab: int, limits: SamplingLimits) -> np.ndarray:
    """One row's context ids as int64, validated."""
    if limits.max_context is not None and len(ids) > limits.max_context:
        raise InvalidParameterError(
            f"context row {row} has {len(ids)} ids; the limit is {limits.max_context}",
            field="context",
        )
    array = np.asarray(ids)
    if array.size and (array.dtype.kind not in "iu" or array.ndim != 1):
        bad = next((t for t in ids if not isinstance(t, Integral) or isinstance(t, bool)), ids)
        raise InvalidParameterError(
            f"context row {row}: token ids must be integers (got {bad!r})", field="context"
        )
    array = array.astype(np.int64, copy=False).reshape(-1)
    outside = (np.flatnonzero((array < 0) | (array >= vocab))
               if array.size and (array.min() < 0 or array.max() >= vocab) else ())
    if len(outside):
        raise InvalidParameterError(
            f"context row {row}: token id {int(array[outside[0]])} is outside the "
            f"vocabulary [0, {vocab})",
            field="context",
        )
    return array


@lru_cache(maxsize=32)
def default_rows(batch: int) -> dict[str, np.ndarray]:
    """Every RANGES parameter at its default, per row; read-only, shared between calls."""
    rows = {}
    for name, (default, *_) in RANGES.items():
        rows[name] = np.full(batch, default, dtype=np.int64 if name == "top_k" else np.float64)
        rows[name].flags.writeable = False
    return rows


def resolve_params(batch: int, vocab: int, params: dict, limits: SamplingLimits) -> SamplingParams:
    """Validate every parameter, broadcast per row, and check each is part of the order."""
    unknown = params.keys() - KNOWN
    if unknown:
        names = sorted(unknown)
        raise InvalidParameterError(f"unknown parameter(s): {', '.join(names)}", field=names[0])
    preset = params.get("preset", "vllm")
    if not isinstance(preset, str):
        raise InvalidParameterError("preset must be a string", field="preset")
    order = resolve_order(preset, params.get("order"))
    rows = dict(default_rows(batch))  # defaults are valid and off: no checks needed
    passed = frozenset(name for name in RANGES.keys() & params.keys()
                       if params[name] is not None)
    checked = RANGES.items() if passed else ()  # nothing to check when every one is a default
    acting = set()
    for name, (_, low, high, low_incl, high_incl, stage, off) in checked:
        if name not in passed:
            continue
        value = params[name]
        array = per_row(name, value, batch,
                        integer=name == "top_k", bounds=(low, high, low_incl, high_incl))
        if name in OFF_BELOW_ZERO and (value < 0 if _is_number(value) else True):
            array = np.maximum(array, 0, out=array)
            value = array
        if off is not None and (value == off if _is_number(value) else np.all(array == off)):
            continue  # off in every row, as if left out (temperature 1, top_p 1, ...)
        if off is not None and stage not in order:
            raise InvalidParameterError(
                f"{name} is set but stage {stage!r} is not in the order "
                f"({', '.join(order)}); pick another preset or pass an explicit order",
                field=name,
            )
        rows[name] = array
        acting.add(name)
    given = frozenset(acting)
    last_n = params.get("penalty_last_n", DEFAULT_PENALTY_LAST_N[preset])
    if last_n is not None:
        last_n = per_row("penalty_last_n", last_n, batch, integer=True)
        if np.any(last_n < WHOLE_CONTEXT):
            raise InvalidParameterError("penalty_last_n must be >= -1 (-1: the whole context)",
                                        field="penalty_last_n")
        if np.any(last_n == WHOLE_CONTEXT):
            last_n = None if np.all(last_n == WHOLE_CONTEXT) else np.where(
                last_n == WHOLE_CONTEXT, INT64_LIMIT - 1, last_n)
    rows["penalty_last_n"] = last_n
    logit_bias = parse_logit_bias(params.get("logit_bias"), batch, vocab)
    context = parse_context(params.get("context"), batch, vocab, limits)
    if logit_bias is not None and "logit_bias" not in order:
        raise InvalidParameterError("logit_bias is set but not in the order", field="logit_bias")
    return SamplingParams(order, preset, rows, logit_bias, context, given)
