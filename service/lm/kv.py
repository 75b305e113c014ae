"""Key/value-cached continuations: each generation step reads only the tokens it adds."""

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# (ids, cache or None) -> (next-token logits after them, float64; the cache grown by them)
Forward = Callable[[list[int], Any], tuple[np.ndarray, Any]]


class CachedContinuations:
    """One prompt's continuations over a transformer's key/value cache.

    The prompt is read once. Each choice starts from its own copy of the prompt's cache, then
    reads its tokens as they come: one token per step instead of the whole context, so a
    generation costs O(length) token reads rather than O(length^2). A choice goes through the
    same forward passes whether it runs alone or beside other choices, so its logits, and the
    seeded tokens drawn from them, do not depend on n. They differ from reading the context
    afresh (HFModel.logits) by float rounding only (~1e-6 relative). The caches of choices
    that are no longer asked for (finished) are dropped at the next step, and the prompt's
    once every choice asked for has its own.
    """

    def __init__(self, forward: Forward, prompt: Sequence[int], empty: Sequence[int]):
        self._forward = forward
        self._prompt = list(prompt)
        # A model without BOS reads a stand-in token for an empty context, which later
        # contexts do not start with: choices then start from no cache at all.
        self._empty = list(empty)
        self._prompt_row: np.ndarray | None = None
        self._prompt_cache: Any = None
        self._caches: dict[int, Any] = {}
        self._read: dict[int, int] = {}
        self._last: dict[int, np.ndarray] = {}
        # Set when the model returned no cache (it does not support one): read afresh.
        self._no_cache = False

    def _grow(self, ids: list[int], cache: Any) -> tuple[np.ndarray, Any]:
        row, grown = self._forward(ids, cache)
        self._no_cache |= grown is None
        return row, grown

    def _read_prompt(self) -> None:
        self._prompt_row, self._prompt_cache = self._grow(self._prompt, None)

    def _prompt_logits(self) -> np.ndarray:
        if self._prompt_row is None:
            if self._prompt:
                self._read_prompt()
            else:
                self._prompt_row, _ = self._forward(self._empty, None)
        return self._prompt_row

    def _start(self) -> Any:
        """A choice's own copy of the prompt's cache (read again if it was released)."""
        if not self._prompt:
            return None
        if self._prompt_cache is None:
            self._read_prompt()
        # The model grows a cache in place: each choice needs its own.
        return copy.deepcopy(self._prompt_cache)

    def logits(self, choices: Sequence[int], tokens: Sequence[Sequence[int]]) -> np.ndarray:
        """Rows for each choice id after the prompt and that choice's `tokens` so far."""
        if self._no_cache:
            return self._afresh(tokens)
        for gone in self._caches.keys() - set(choices):
            del self._caches[gone], self._read[gone], self._last[gone]
        rows = []
        for choice, seen in zip(choices, tokens, strict=True):
            if not seen:
                rows.append(self._prompt_logits())
                continue
            if choice not in self._caches:
                self._caches[choice], self._read[choice] = self._start(), 0
            read = self._read[choice]
            if len(seen) < read:
                raise ValueError(f"choice {choice} has {len(seen)} tokens, fewer than the "
                                 f"{read} already read: continuations only grow")
            if len(seen) > read:
                self._last[choice], self._caches[choice] = self._grow(
                    list(seen[read:]), self._caches[choice])
                self._read[choice] = len(seen)
            rows.append(self._last[choice])
        if self._no_cache:  # rows read on top of a missing cache lack their context
            return self._afresh(tokens)
        if all(tokens):  # every choice has its own cache: the prompt's is not needed now
            self._prompt_cache = None
        return np.stack(rows)

    def _afresh(self, tokens: Sequence[Sequence[int]]) -> np.ndarray:
        return np.stack([self._forward([*self._prompt, *seen] or self._empty, None)[0]
                         for seen in tokens])
