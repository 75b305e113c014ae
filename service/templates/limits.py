"""Bounds on what a custom template may cost: loop steps, sequence sizes, powers, output."""

import contextvars
import time
from collections.abc import Iterator
from typing import Any

import jinja2

MAX_RANGE_STEPS = 1_000_000  # iterations over range() in one render, all loops together
MAX_SEQUENCE = 1_000_000  # items a `*` may build ('ab' * n, [x] * n)
MAX_EXPONENT = 10_000
MAX_OUTPUT_CHARS = 4_000_000
MAX_SECONDS = 5.0

_steps: contextvars.ContextVar[list[int]] = contextvars.ContextVar("template_steps")


def _refuse(message: str) -> jinja2.exceptions.SecurityError:
    return jinja2.exceptions.SecurityError(message)


class BoundedRange:
    """range() whose iterations count against the render's step budget."""

    def __init__(self, *args: int):
        self._range = range(*args)

    def __len__(self) -> int:
        return len(self._range)

    def __getitem__(self, index: Any) -> Any:
        return self._range[index]

    def __contains__(self, value: Any) -> bool:
        return value in self._range

    def __iter__(self) -> Iterator[int]:
        return _counted(iter(self._range))

    def __reversed__(self) -> Iterator[int]:
        return _counted(reversed(self._range))


def _counted(values: Iterator[int]) -> Iterator[int]:
    counter = _steps.get([0])
    for value in values:
        counter[0] += 1
        if counter[0] > MAX_RANGE_STEPS:
            raise _refuse(f"the template looped more than {MAX_RANGE_STEPS} times")
        yield value


def bounded_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse `*` that builds a huge sequence and `**` with a huge exponent."""
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(count, int) \
                    and len(seq) * count > MAX_SEQUENCE:
                raise _refuse(f"the template built a sequence of over {MAX_SEQUENCE} items")
    if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
        raise _refuse(f"the template raised a number to a power above {MAX_EXPONENT}")


def render_bounded(template: jinja2.Template, context: dict[str, Any]) -> str:
    """Render chunk by chunk, refusing output or time beyond the limits."""
    token = _steps.set([0])
    try:
        parts, size, started = [], 0, time.monotonic()
        for chunk in template.generate(**context):
            parts.append(chunk)
            size += len(chunk)
            if size > MAX_OUTPUT_CHARS:
                raise _refuse(f"the template wrote more than {MAX_OUTPUT_CHARS} characters")
            if time.monotonic() - started > MAX_SECONDS:
                raise _refuse(f"the template ran longer than {MAX_SECONDS} seconds")
        return "".join(parts)
    finally:
        _steps.reset(token)
