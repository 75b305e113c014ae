"""Where custom instructions and history go: their own turns, or inlined atop the user turn."""

from collections.abc import Mapping, Sequence
from typing import Any

PLACEMENTS = ("turns", "inline")


def _system_turn(system: str | None, extra: str | None) -> list[dict[str, str]]:
    parts = [part for part in (system, extra) if part]
    return [{"role": "system", "content": "\n\n".join(parts)}] if parts else []


def inline_user_turn(history: Sequence[Mapping[str, Any]], instructions: str | None,
                     question: str) -> str:
    """One user message carrying the instructions and the transcript above the question."""
    parts = []
    if instructions:
        parts.append(f"Custom instructions:\n{instructions}")
    if history:
        lines = [f"{m['role']}: {m['content']}" for m in history]
        parts.append("Conversation so far:\n" + "\n".join(lines))
    parts.append(question)
    return "\n\n".join(parts)


def place(messages: Sequence[Mapping[str, Any]], system: str | None, instructions: str | None,
          placement: str = "turns") -> list[dict[str, Any]]:
    """The messages a template sees.

    turns: system prompt and custom instructions in the system turn, history as its own turns.
    inline: system prompt alone in the system turn; instructions and earlier history are
    written at the top of the last user turn, which must end the conversation.
    """
    from service.templates.render import TemplateError

    turns = [dict(m) for m in messages]
    if placement not in PLACEMENTS:
        raise TemplateError(f"placement must be one of {PLACEMENTS}", "placement")
    if placement == "turns":
        leading = turns[:1] if turns and turns[0].get("role") == "system" else []
        given = leading[0]["content"] if leading else None
        merged = _system_turn(system or given, instructions)
        if system and given:
            merged = _system_turn(f"{system}\n\n{given}", instructions)
        return merged + turns[len(leading):]
    if not turns or turns[-1].get("role") != "user":
        raise TemplateError("placement 'inline' needs the last message to be the user's",
                            "messages")
    history = [m for m in turns[:-1] if m.get("role") != "system"]
    earlier_system = [m["content"] for m in turns[:-1] if m.get("role") == "system"]
    question = inline_user_turn(history, instructions, turns[-1]["content"])
    system_turn = _system_turn(system, "\n\n".join(earlier_system) or None)
    return [*system_turn, {"role": "user", "content": question}]
