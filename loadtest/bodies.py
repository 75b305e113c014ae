"""Request bodies, each built and serialized once per process and reused for every request."""

from __future__ import annotations

import io
import json
from functools import cache

import numpy as np

SMALL_V, REALISTIC_V, LLAMA3_V = 1000, 32_000, 128_256
SEED = 0  # the logits are the same in every run, so runs are comparable


def _logits(rows: int, vocab: int) -> np.ndarray:
    return np.random.default_rng(SEED).normal(0.0, 3.0, (rows, vocab))


def _json(vocab: int, **params: object) -> bytes:
    row = _logits(1, vocab)[0].round(4).tolist()
    return json.dumps({"logits": row, **params}, separators=(",", ":")).encode()


@cache
def small_json() -> bytes:
    """V = 1000 JSON row, fixed seed: the cheapest /sample request."""
    return _json(SMALL_V, seed=1)


@cache
def realistic_json() -> bytes:
    """V = 32 000 JSON row with common chat settings."""
    return _json(REALISTIC_V, temperature=0.8, top_p=0.95, seed=1)


@cache
def npy(rows: int) -> bytes:
    """A (rows, 128 256) float32 .npy file."""
    buffer = io.BytesIO()
    np.save(buffer, _logits(rows, LLAMA3_V).astype("<f4"))
    return buffer.getvalue()


# The query string that goes with the .npy bodies (binary bodies carry no parameters).
NPY_QUERY = "temperature=0.8&top_p=0.95&seed=1"


def _context(length: int) -> list[int]:
    return np.random.default_rng(SEED + 1).integers(0, REALISTIC_V, length).tolist()


# Parameter sets of the mixed scenario, by the name its requests are reported under.
MIXED_PARAMS: dict[str, dict[str, object]] = {
    "top-k": {"temperature": 0.8, "top_k": 50, "seed": 1},
    "top-p": {"temperature": 0.7, "top_p": 0.9, "seed": 2},
    "min-p": {"temperature": 1.0, "min_p": 0.05, "seed": 3},
    "penalties": {"repetition_penalty": 1.2, "frequency_penalty": 0.5, "presence_penalty": 0.3,
                  "penalty_last_n": 64, "context": _context(256), "seed": 4},
    "combined": {"temperature": 1.1, "top_k": 40, "top_p": 0.95, "min_p": 0.02,
                 "repetition_penalty": 1.1, "context": _context(64), "n": 4, "logprobs": 5,
                 "seed": 5},
}


@cache
def mixed() -> tuple[tuple[str, bytes], ...]:
    """One V = 32 000 JSON body per parameter set, as (name, body) pairs."""
    return tuple((name, _json(REALISTIC_V, **params)) for name, params in MIXED_PARAMS.items())


# Prompts of the /generate scenario; ignore_eos makes every request produce max_tokens tokens.
GENERATE_PROMPTS = ("def read_config(path):", "The cat sat on the", "import numpy as np\n")
GENERATE_TOKENS = 32


@cache
def generate() -> tuple[bytes, ...]:
    """POST /generate bodies for the built-in model: one per prompt, 32 tokens each."""
    return tuple(json.dumps({"prompt": prompt, "max_tokens": GENERATE_TOKENS, "ignore_eos": True,
                             "temperature": 0.8, "top_p": 0.95, "seed": seed}).encode()
                 for seed, prompt in enumerate(GENERATE_PROMPTS))
