"""The embedded default model: a trigram KN model of CPython's own `pydoc_data.topics` text."""

import functools
import hashlib
import os
import sys
from pathlib import Path

from service.lm.ngram import FORMAT, NgramModel

ORDER, MAX_VOCAB, MIN_COUNT = 3, 8192, 2


def corpus() -> list[str]:
    """The pydoc topics (the text behind `help('for')`) in sorted order: one document each."""
    from pydoc_data.topics import topics

    return [topics[key] for key in sorted(topics)]


def cache_path(texts: list[str]) -> Path:
    """Where the built model is kept: keyed by the text, the settings and the file format."""
    root = Path(os.environ.get("LOGITLAB_CACHE_DIR") or Path.home() / ".cache" / "logitlab")
    digest = hashlib.sha256("\0".join(texts).encode("utf-8"))
    digest.update(f"{ORDER}/{MAX_VOCAB}/{MIN_COUNT}/{FORMAT}".encode())
    return root / f"ngram-pydoc-{digest.hexdigest()[:16]}.npz"


def _build() -> NgramModel:
    return NgramModel.train(corpus(), order=ORDER, max_vocab=MAX_VOCAB, min_count=MIN_COUNT)


@functools.cache
def default_model() -> NgramModel:
    """Build once per process (well under a second); reuse a disk copy when one is there."""
    path = cache_path(corpus())
    try:
        return NgramModel.load(path)
    except (OSError, ValueError, KeyError):
        pass  # missing, unreadable or stale: rebuilding is cheap and deterministic
    model = _build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        model.save(partial)
        partial.replace(path)  # atomic: a concurrent reader never sees half a file
    except OSError as error:  # a read-only home is fine: the model is in memory
        print(f"logitlab: not caching the default model ({error})", file=sys.stderr)
    return model
