"""Logits sources for sweeps: synthetic `zipf:` and `gaussian:` (no downloads) and `npy:PATH`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_SOURCE = "zipf:V=32000,s=1.1,rows=64,seed=0"
# rows x V of a synthetic source (8 bytes each): a typo like V=1e10 is refused, not allocated.
MAX_SYNTHETIC_VALUES = 10**8

# key -> (type, default) for each synthetic family; `context=C` gives every row a context of
# its C most likely tokens, so that --repetition-penalty has something to penalise.
FAMILIES: dict[str, dict[str, tuple[type, float | int]]] = {
    "zipf": {"V": (int, 32000), "s": (float, 1.1), "rows": (int, 64), "seed": (int, 0),
             "context": (int, 0)},
    "gaussian": {"V": (int, 32000), "sigma": (float, 1.0), "outliers": (int, 0),
                 "shift": (float, 5.0), "rows": (int, 64), "seed": (int, 0), "context": (int, 0)},
}


class SourceSpecError(ValueError):
    """A --source spec that cannot be parsed or loaded; the message says what to fix."""


@dataclass(frozen=True)
class Source:
    """Rows of raw logits (rows, V) plus an optional per-row context of token ids."""

    spec: str
    logits: np.ndarray
    contexts: list[list[int]] | None = None

    @property
    def n_rows(self) -> int:
        return int(self.logits.shape[0])

    @property
    def vocab_size(self) -> int:
        return int(self.logits.shape[1])

    def digest(self) -> str:
        """SHA-256 of the logits (dtype, shape and values): what a resume must find again."""
        logits = np.ascontiguousarray(self.logits)
        digest = hashlib.sha256(f"{logits.dtype.str}{logits.shape}".encode())
        digest.update(logits.data)
        return digest.hexdigest()


def _parse_options(family: str, body: str) -> dict[str, float | int]:
    schema = FAMILIES[family]
    options = {key: kind(default) for key, (kind, default) in schema.items()}
    given: set[str] = set()
    for item in filter(None, (part.strip() for part in body.split(","))):
        key, sep, raw = item.partition("=")
        if not sep or key not in schema:
            allowed = ", ".join(f"{k}=" for k in schema)
            raise SourceSpecError(f"{family}: cannot read {item!r}; expected {allowed}")
        if key in given:  # zipf:V=10,V=20 is a typo, not "the last one wins"
            raise SourceSpecError(f"{family}: {key} given twice")
        given.add(key)
        try:
            options[key] = schema[key][0](raw)
        except ValueError:
            raise SourceSpecError(f"{family}: {key}={raw!r} is not a valid "
                                  f"{schema[key][0].__name__}") from None
        if not np.isfinite(options[key]):
            raise SourceSpecError(f"{family}: {key} must be finite (got {raw!r})")
    _validate(family, options)
    return options


def _validate(family: str, o: dict[str, float | int]) -> None:
    if o["V"] < 2 or o["rows"] < 1:
        raise SourceSpecError(f"{family}: need V >= 2 and rows >= 1 (got V={o['V']}, "
                              f"rows={o['rows']})")
    if not 0 <= o["context"] <= o["V"] or o["seed"] < 0:
        raise SourceSpecError(f"{family}: need 0 <= context <= V and seed >= 0")
    if family == "zipf" and o["s"] < 0:
        raise SourceSpecError(f"zipf: exponent s must be >= 0 (got {o['s']})")
    if family == "gaussian" and (o["sigma"] < 0 or not 0 <= o["outliers"] <= o["V"]):
        raise SourceSpecError("gaussian: need sigma >= 0 and 0 <= outliers <= V")
    if o["rows"] * o["V"] > MAX_SYNTHETIC_VALUES:
        raise SourceSpecError(f"{family}: rows x V = {o['rows'] * o['V']} logits; at most "
                              f"{MAX_SYNTHETIC_VALUES}")


def _row_rng(seed: int, row: int) -> np.random.Generator:
    """Each row has its own stream, so row r does not depend on how many rows there are."""
    return np.random.default_rng([seed, row])


def zipf_logits(V: int, s: float, rows: int, seed: int) -> np.ndarray:
    """Row r: z_i = -s ln i for ranks i = 1..V, placed at a seeded permutation of token ids."""
    ranked = -s * np.log(np.arange(1, V + 1, dtype=np.float64))
    out = np.empty((rows, V))
    for r in range(rows):
        out[r, _row_rng(seed, r).permutation(V)] = ranked
    return out


def gaussian_logits(V: int, sigma: float, outliers: int, shift: float, rows: int,
                    seed: int) -> np.ndarray:
    """Row r: iid N(0, sigma^2) logits; `outliers` random tokens get +shift*sigma on top."""
    out = np.empty((rows, V))
    for r in range(rows):
        rng = _row_rng(seed, r)
        out[r] = rng.normal(0.0, sigma, V)
        out[r, rng.choice(V, size=outliers, replace=False)] += shift * sigma
    return out


def _top_contexts(logits: np.ndarray, size: int) -> list[list[int]] | None:
    if size == 0:
        return None
    order = np.argsort(-logits, axis=1, kind="stable")[:, :size]
    return [row.tolist() for row in order]


def load_npy(path: str) -> np.ndarray:
    """[V] or [rows, V] float logits; -inf marks masked tokens."""
    file = Path(path)
    if not file.is_file():
        raise SourceSpecError(f"npy: no such file {path!r}")
    try:
        logits = np.load(file, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise SourceSpecError(f"npy: cannot load {path!r}: {exc}") from None
    if logits.ndim == 1:
        logits = logits[None, :]
    if logits.ndim != 2 or logits.shape[1] < 2 or not np.issubdtype(logits.dtype, np.floating):
        raise SourceSpecError(f"npy: expected float logits of shape [V] or [rows, V], got "
                              f"{logits.dtype} {logits.shape}")
    if logits.shape[0] == 0:
        raise SourceSpecError(f"npy: {path!r} has no rows (shape {logits.shape})")
    check_logits(logits, f"npy: {path!r}")
    return np.ascontiguousarray(logits)


def check_logits(logits: np.ndarray, what: str) -> None:
    """Refuse NaN, +inf and rows without a finite logit (nothing to sample), as the core does."""
    if np.isnan(logits).any() or np.isposinf(logits).any():
        raise SourceSpecError(f"{what} contains NaN or +inf (logits are not finite)")
    empty = np.flatnonzero(~(logits > -np.inf).any(axis=1))
    if empty.size:
        raise SourceSpecError(f"{what}: row {int(empty[0])} has no finite logit: every token is "
                              "masked (-inf)")


def load_source(spec: str) -> Source:
    """Parse a --source spec and build its logits."""
    family, sep, body = spec.partition(":")
    if family == "npy" and sep and body:
        return Source(spec, load_npy(body))
    if family not in FAMILIES or not sep:
        raise SourceSpecError(f"unknown source {spec!r}: use zipf:V=..,s=..,rows=..,seed=.., "
                              "gaussian:V=..,sigma=..,outliers=..,rows=..,seed=.. or npy:PATH")
    o = _parse_options(family, body)
    # A huge s or sigma overflows: -inf logits are masked tokens, +inf is refused just below.
    with np.errstate(over="ignore"):
        if family == "zipf":
            logits = zipf_logits(o["V"], o["s"], o["rows"], o["seed"])
        else:
            logits = gaussian_logits(o["V"], o["sigma"], o["outliers"], o["shift"], o["rows"],
                                     o["seed"])
    check_logits(logits, family)
    return Source(spec, logits, _top_contexts(logits, int(o["context"])))
