"""Model names to loaded models: `ngram-pydoc` (built in), `ngram:PATH.npz`, `hf:PATH`."""

import functools
import os

from service.lm.base import LanguageModel, NgramLM

DEFAULT_MODEL = "ngram-pydoc"


class UnknownModelError(ValueError):
    """The name is not a model, or its file cannot be loaded."""


def _kind(name: str) -> tuple[str, str]:
    kind, sep, path = name.partition(":")
    if name == DEFAULT_MODEL:
        return "default", ""
    if not sep or kind not in ("ngram", "hf") or not path:
        raise UnknownModelError(
            f"unknown model {name!r}: use {DEFAULT_MODEL!r}, 'ngram:PATH.npz' or 'hf:PATH'")
    return kind, path


@functools.lru_cache(maxsize=8)
def _load(name: str, stamp: float) -> LanguageModel:
    """`stamp` (the file's mtime) makes a rewritten model file load afresh."""
    kind, path = _kind(name)
    if kind == "default":
        from service.lm.default import default_model

        return NgramLM(name, default_model())
    if kind == "ngram":
        from service.lm.ngram import NgramModel

        try:
            return NgramLM(name, NgramModel.load(path))
        except (OSError, ValueError, KeyError) as error:
            raise UnknownModelError(f"cannot load n-gram model {path!r}: {error}") from None
    from service.lm.hf import HFModel

    return HFModel(name, path)


def load_model(name: str) -> LanguageModel:
    """The model called `name`, cached per process."""
    _, path = _kind(name)
    try:
        stamp = os.path.getmtime(path) if path else 0.0
    except OSError:
        raise UnknownModelError(f"model {name!r}: no such file or directory {path!r}") from None
    return _load(name, stamp)


def parse_source(name: str) -> str:
    """Validate a model name without loading it (for CLI options); returns it unchanged."""
    _kind(name)
    return name
