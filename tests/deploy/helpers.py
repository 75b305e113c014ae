"""Lookups over parsed deployment files."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The image's WORKDIR: a path under it in a container is the same path in the checkout.
APP = "/app/"


def repo_path(container_path: str) -> Path:
    """The checkout file a /app/... path in the image comes from."""
    assert container_path.startswith(APP), container_path
    return ROOT / container_path.removeprefix(APP)


def directives(block: list[dict], name: str) -> list[dict]:
    """Every crossplane directive called `name` directly inside `block`."""
    return [d for d in block if d["directive"] == name]


def only(block: list[dict], name: str) -> dict:
    """The single directive `name` inside `block`."""
    found = directives(block, name)
    assert len(found) == 1, f"{len(found)} {name!r} directives"
    return found[0]


def exec_form(value: str) -> list[str]:
    """A Dockerfile CMD/ENTRYPOINT/HEALTHCHECK CMD value in JSON exec form."""
    parsed = json.loads(value)
    assert isinstance(parsed, list) and all(isinstance(p, str) for p in parsed), value
    return parsed


def command_words(service: dict) -> list[str]:
    """A compose service's command as a list (exec form is required here)."""
    command = service["command"]
    assert isinstance(command, list), f"use exec form, not {command!r}"
    return command
