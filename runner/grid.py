"""Parameter grids: parse `0.2,0.5,1.0` lists and `0.1:2.0:20` linspace ranges; cartesian cells."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from service.db.models import PARAMETERS


class GridSpecError(ValueError):
    """A grid option that cannot be parsed or is out of range; the message says why."""


class CellParams(NamedTuple):
    """One cell's parameter values, in the fixed PARAMETERS order (the cell's stable key)."""

    temperature: float
    top_p: float
    top_k: int
    min_p: float
    repetition_penalty: float


DEFAULTS: dict[str, float | int] = dict(CellParams(1.0, 1.0, 0, 0.0, 1.0)._asdict())
assert tuple(DEFAULTS) == PARAMETERS

# Bounds that keep a typo (0.1:2:1e9) from exhausting memory before any cell is computed:
# values of one parameter (ranges and list items together), and cells of the whole grid.
MAX_VALUES = 10_000
MAX_CELLS = 1_000_000
# top_k is stored in an INTEGER column (32 bits on PostgreSQL); any k >= V is off anyway.
MAX_TOP_K = 2**31 - 1

# name -> (predicate, description of the valid range)
VALID: dict[str, tuple[Callable[[float], bool], str]] = {
    "temperature": (lambda v: v >= 0, ">= 0"),
    "top_p": (lambda v: 0 < v <= 1, "in (0, 1]"),
    "top_k": (lambda v: 0 <= v <= MAX_TOP_K, f"an integer in [0, {MAX_TOP_K}]"),
    "min_p": (lambda v: 0 <= v <= 1, "in [0, 1]"),
    "repetition_penalty": (lambda v: v > 0, "> 0"),
}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _clean(value: float) -> float:
    """Round away linspace noise (0.30000000000000004 -> 0.3) so keys print and match cleanly."""
    return float(f"{value:.12g}")


def _numbers(item: str, name: str) -> tuple[list[float], int]:
    """An item's numbers and how many values it expands to (1, or a range's count)."""
    parts, flag = item.split(":"), _flag(name)
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise GridSpecError(f"{flag}: {item!r} is not a number or start:stop:count") from None
    if len(parts) == 1:
        return numbers, 1
    if len(parts) != 3 or not numbers[2].is_integer() or numbers[2] < 1:
        raise GridSpecError(f"{flag}: range {item!r} must be start:stop:count with count >= 1")
    return numbers, int(numbers[2])


def _expand(numbers: list[float], count: int) -> list[float]:
    """The values of a parsed item: the number itself, or the range's linspace."""
    if count == 1 and len(numbers) == 1:
        return numbers
    return [float(v) for v in np.linspace(numbers[0], numbers[1], count)]


def parse_values(text: str, name: str) -> list[float | int]:
    """Sorted distinct values from a comma list whose items are numbers or linspace ranges."""
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise GridSpecError(f"{_flag(name)}: no values given")
    parsed = [_numbers(item, name) for item in items]
    # Counted before any range is expanded: the count, not the memory, is what is refused.
    total = sum(count for _, count in parsed)
    if total > MAX_VALUES:
        raise GridSpecError(f"{_flag(name)}: at most {MAX_VALUES} values (got {total})")
    values = sorted({_clean(v) for numbers, count in parsed for v in _expand(numbers, count)})
    check, allowed = VALID[name]
    for value in values:
        if not np.isfinite(value) or not check(value):
            raise GridSpecError(f"{_flag(name)}: {value:g} is out of range; must be {allowed}")
    if name == "top_k":
        if any(not v.is_integer() for v in values):
            raise GridSpecError(f"--top-k: values must be integers (got {text!r})")
        return sorted({int(v) for v in values})
    return values


def build_grid(options: dict[str, str | None]) -> dict[str, list[float | int]]:
    """The full grid: every parameter, with the default as the single value when not swept."""
    grid = {}
    for name in PARAMETERS:
        text = options.get(name)
        # An empty string is a mistake (an unset shell variable), not a request for the default.
        grid[name] = parse_values(text, name) if text is not None else [DEFAULTS[name]]
    cells = math.prod(len(values) for values in grid.values())
    if cells > MAX_CELLS:
        raise GridSpecError(f"the grid has {cells} cells; at most {MAX_CELLS} (sweep fewer "
                            "values, or split the sweep into several runs)")
    return grid


def grid_cells(grid: dict[str, list[float | int]]) -> list[CellParams]:
    """Cartesian product in a stable order (temperature slowest, repetition_penalty fastest)."""
    axes = [grid.get(name, [DEFAULTS[name]]) for name in PARAMETERS]
    return [CellParams(*values) for values in itertools.product(*axes)]


def swept(grid: dict[str, list[float | int]]) -> list[str]:
    """Names of the parameters with more than one value."""
    return [name for name in PARAMETERS if len(grid.get(name, ())) > 1]
