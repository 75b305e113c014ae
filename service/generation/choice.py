"""One choice's state: its tokens, where its text stops, and what may be shown so far."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


def held_back(text: str, stops: Sequence[str]) -> int:
    """How many trailing characters to withhold: a cut character and what could begin a stop."""
    return StopPrefixes(stops).held_back(text)


class StopPrefixes:
    """The longest end of a growing text that is a proper beginning of a stop string.

    Kept up to date as the text grows: each stop's KMP automaton reads only the characters
    added since the last call, so a choice costs O(its text) per stop, however long the stop.
    (Trying every length of every stop against the end of the text at each token cost
    O(text^2) per token: with stop strings of 100 000 characters, 16 choices took 31 s.)
    """

    def __init__(self, stops: Sequence[str]):
        self.stops = [stop for stop in stops if len(stop) > 1]  # others have no proper prefix
        self._borders: list[list[int]] = [[0] for _ in self.stops]  # KMP, grown as needed
        self._states = [0] * len(self.stops)
        self._read = ""  # the text the states describe

    def held_back(self, text: str) -> int:
        """How many trailing characters of `text` to withhold."""
        # A cut character reads as U+FFFD until it completes; a stop may then match across
        # it, so the stop prefixes are looked for in the text before it (trailing replacement
        # characters that are final are held too, which only delays them).
        stable = text.rstrip("\ufffd")
        return len(text) - len(stable) + self._longest(stable)

    def _longest(self, text: str) -> int:
        if not self.stops:
            return 0
        if text.startswith(self._read):
            new = text[len(self._read):]
        else:  # not a longer text (a decoder that rewrote its end): read the end afresh
            self._states = [0] * len(self.stops)
            new = text[len(text) - min(len(text), max(map(len, self.stops))):]
        for i, stop in enumerate(self.stops):
            self._states[i] = self._advance(i, stop, self._states[i], new)
        self._read = text
        return max(self._states)

    def _advance(self, i: int, stop: str, state: int, new: str) -> int:
        """The state (matched length of `stop`) after reading `new`; never all of `stop`."""
        borders = self._borders[i]
        for char in new:
            while state and stop[state] != char:
                state = borders[state - 1]
            if stop[state] == char:
                state += 1
                self._border(i, stop, state)
                if state == len(stop):  # the text holds the stop (the caller cuts there)
                    state = borders[state - 1]
        return state

    def _border(self, i: int, stop: str, upto: int) -> None:
        """Extend stop i's KMP border table to its first `upto` entries."""
        borders = self._borders[i]
        while len(borders) < upto:
            j, k = len(borders), borders[-1]
            while k and stop[k] != stop[j]:
                k = borders[k - 1]
            borders.append(k + 1 if stop[k] == stop[j] else 0)


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
    prefixes: StopPrefixes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.prefixes = StopPrefixes(self.stops)

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
        return self._delta(text[: len(text) - self.prefixes.held_back(text)])

    def _delta(self, visible: str) -> str:
        delta = visible[self.shown:]
        self.shown = max(self.shown, len(visible))
        return delta
