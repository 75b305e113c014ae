"""Server-sent events: `event:` and `data:` lines, and the parser the tests and CLI use."""

from collections.abc import Iterable, Iterator
from typing import Any

import orjson


def sse(data: Any, event: str | None = None) -> bytes:
    """One event; `data` is JSON (or the literal text [DONE])."""
    body = data.encode() if isinstance(data, str) else orjson.dumps(data)
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + body + b"\n\n"


def parse_sse(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(event name or "message", data text) for each event in a text stream."""
    event, data = "message", []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield event, "\n".join(data)
