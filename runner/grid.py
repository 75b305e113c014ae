"""Parameter grids: parse `0.2,0.5,1.0` lists and `0.1:2.0:20` linspace ranges; cartesian cells."""

from __future__ import annotations

import itertools
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

# name -> (predicate, description of the valid range)
VALID: dict[str, tuple[Callable[[float], bool], str]] = {
    "temperature": (lambda v: v >= 0, ">= 0"),
    "top_p": (lambda v: 0 < v <= 1, "in (0, 1]"),
    "top_k": (lambda v: v >= 0, "an integer >= 0"),
    "min_p": (lambda v: 0 <= v <= 1, "in [0, 1]"),
    "repetition_penalty": (lambda v: v > 0, "> 0"),
}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _clean(value: float) -> float:
    """Round away linspace noise (0.30000000000000004 -> 0.3) so keys print and match cleanly."""
    return float(f"{value:.12g}")


def _expand(item: str, name: str) -> list[float]:
    parts, flag = item.split(":"), _flag(name)
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise GridSpecError(f"{flag}: {item!r} is not a number or start:stop:count") from None
    if len(parts) == 1:
        return numbers
    if len(parts) != 3 or not numbers[2].is_integer() or numbers[2] < 1:
        raise GridSpecError(f"{flag}: range {item!r} must be start:stop:count with count >= 1")
    return [float(v) for v in np.linspace(numbers[0], numbers[1], int(numbers[2]))]


def parse_values(text: str, name: str) -> list[float | int]:
    """Sorted distinct values from a comma list whose items are numbers or linspace ranges."""
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise GridSpecError(f"{_flag(name)}: no values given")
    values = sorted({_clean(v) for item in items for v in _expand(item, name)})
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
        grid[name] = parse_values(text, name) if text else [DEFAULTS[name]]
    return grid


def grid_cells(grid: dict[str, list[float | int]]) -> list[CellParams]:
    """Cartesian product in a stable order (temperature slowest, repetition_penalty fastest)."""
    axes = [grid.get(name, [DEFAULTS[name]]) for name in PARAMETERS]
    return [CellParams(*values) for values in itertools.product(*axes)]


def swept(grid: dict[str, list[float | int]]) -> list[str]:
    """Names of the parameters with more than one value."""
    return [name for name in PARAMETERS if len(grid.get(name, ())) > 1]
