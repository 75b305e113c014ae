"""One choice's state: its tokens, where its text stops, and what may be shown so far."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


def held_back(text: str, stops: Sequence[str]) -> int:
    """How many trailing characters to withhold: a cut character and what could begin a stop."""
    # A cut character reads as U+FFFD until it completes; a stop may then match across it, so
    # the stop prefixes are looked for in the text before it (trailing replacement characters
    # that are final are held too, which only delays them).
    stable = text.rstrip("\ufffd")
    return len(text) - len(stable) + _stop_prefix(stable, stops)


def _stop_prefix(text: str, stops: Sequence[str]) -> int:
    """Length of the longest end of `text` that is a proper beginning of a stop string."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:size]):
                longest = size
                break
    return longest


def first_stop(text: str, stops: Sequence[str]) -> int:
    """Index of the earliest stop string in `text`, or -1."""
    found = [i for i in (text.find(stop) for stop in stops) if i >= 0]
    return min(found) if found else -1


@dataclass
class ChoiceState:
    """Tokens so far; `text` is final once `finish_reason` is set."""

    index: int
    decode: Callable[[Sequence[int]], str]  # of this choice's tokens, which only grow
    stops: Sequence[str]
    tokens: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    top_logprobs: list[list[tuple[int, float]]] = field(default_factory=list)
    text: str = ""
    shown: int = 0  # characters of text already streamed
    finish_reason: str | None = None

    def stop(self) -> str:
        """A stop token ended the choice; the token itself is not part of the output."""
        self.text = self.decode(self.tokens)
        self.finish_reason = "stop"
        return self._delta(self.text)

    def add(self, token: int, logprob: float, top: list[tuple[int, float]], limit: int) -> str:
        """Append a token; returns the text that may now be shown (its streaming delta)."""
        self.tokens.append(token)
        self.logprobs.append(logprob)
        self.top_logprobs.append(top)
        text = self.decode(self.tokens)
        cut = first_stop(text, self.stops)
        if cut >= 0:
            self.text, self.finish_reason = text[:cut], "stop"
            return self._delta(self.text)
        if len(self.tokens) >= limit:
            self.text, self.finish_reason = text, "length"
            return self._delta(text)
        return self._delta(text[: len(text) - held_back(text, self.stops)])

    def _delta(self, visible: str) -> str:
        delta = visible[self.shown:]
        self.shown = max(self.shown, len(visible))
        return delta
