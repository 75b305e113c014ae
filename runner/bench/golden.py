"""Bit-for-bit fingerprints of the core's results over a fixed grid of inputs and parameters.

A speed-up of `service.sampling` must keep every result. Save the fingerprints before the
change and check them after it:

    .venv/bin/python -m runner.bench.golden save /tmp/before.json
    ...change the core...
    .venv/bin/python -m runner.bench.golden check /tmp/before.json

To fingerprint an older commit, run this file by path with that commit's tree first on the path:
`git worktree add /tmp/old REV && PYTHONPATH=/tmp/old .venv/bin/python runner/bench/golden.py
save /tmp/old.json`.
"""

import hashlib
import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import numpy as np

from service.sampling import process, sample

VOCABS = (50, 1000, 3965, 6000, 20000)  # whole-row path up to 4096, candidate windows above
BATCHES = (1, 3)
PARAMETERS: list[dict] = [
    {}, {"temperature": 0.8}, {"temperature": 0.0}, {"temperature": 1.0}, {"temperature": 0.05},
    {"top_p": 0.9}, {"temperature": 0.8, "top_p": 0.95}, {"top_k": 40},
    {"temperature": 0.7, "top_k": 5, "top_p": 0.9}, {"min_p": 0.05},
    {"temperature": 1.3, "min_p": 0.1}, {"typical_p": 0.8, "preset": "hf"},
    {"top_n_sigma": 1.0, "preset": "llama.cpp"},
    {"xtc_probability": 0.5, "xtc_threshold": 0.05, "preset": "llama.cpp"},
    {"repetition_penalty": 1.2, "frequency_penalty": 0.5, "presence_penalty": 0.3,
     "context": [1, 2, 3, 3, 7]},
    {"logit_bias": {0: 5.0, 3: -100.0}, "temperature": 0.9, "top_p": 0.8},
    {"temperature": [0.5, 1.0, 0.0], "top_p": [0.9, 1.0, 0.5]},
    {"preset": "llama.cpp", "temperature": 0.8, "top_k": 40, "top_p": 0.95, "min_p": 0.05},
]


def cases() -> Iterator[tuple[str, np.ndarray, dict]]:
    """(name, logits, parameters) for every vocabulary, batch, dtype, masking and parameter set."""
    rng = np.random.default_rng(123)
    for vocab, batch, dtype, masked in itertools.product(
            VOCABS, BATCHES, (np.float32, np.float64), (False, True)):
        logits = (rng.standard_normal((batch, vocab)) * rng.uniform(1, 6)).astype(dtype)
        if masked:
            logits[:, rng.choice(vocab, vocab // 3, replace=False)] = -np.inf
        for index, params in enumerate(PARAMETERS):
            per_row = {name: (value[:batch] if isinstance(value, list) and name != "context"
                              else value) for name, value in params.items()}
            name = f"V{vocab}-B{batch}-{np.dtype(dtype).name}-masked{int(masked)}-p{index}"
            yield name, logits, per_row


def fingerprint(logits: np.ndarray, params: dict) -> str:
    """SHA-256 (16 hex digits) of the processed batch and of 20 seeded draws with top-3."""
    seeds = list(range(7, 7 + logits.shape[0]))
    try:
        batch = process(logits, seed=seeds, **params)
        result = sample(logits, n=20, seed=seeds, logprobs=3, **params)
    except ValueError as error:  # a refused input is a result too
        return f"error {type(error).__name__}: {error}"
    digest = hashlib.sha256()
    for array in (batch.indptr, batch.token_ids, batch.probs, batch.entropy, result.tokens,
                  result.logprobs, *result.top_logprobs):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


def fingerprints(limit: int | None = None) -> dict[str, str]:
    """Every case's fingerprint (the first `limit` cases only, when given)."""
    return {name: fingerprint(logits, params)
            for name, logits, params in itertools.islice(cases(), limit)}


@click.group()
def main() -> None:
    """Save or check fingerprints of the sampling core's results."""


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--limit", type=int, default=None, help="Only the first N cases.")
def save(path: Path, limit: int | None) -> None:
    """Write the fingerprints of the code on the path now to PATH (JSON)."""
    found = fingerprints(limit)
    path.write_text(json.dumps(found, indent=0, sort_keys=True))
    click.echo(f"{len(found)} cases saved to {path}")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(path: Path) -> None:
    """Compare the code on the path now with the fingerprints in PATH; exit 1 on a difference."""
    saved = json.loads(path.read_text())
    found = fingerprints(len(saved))
    changed = sorted(name for name in saved if found.get(name) != saved[name])
    for name in changed:
        click.echo(f"changed: {name}")
    click.echo(f"{len(saved) - len(changed)} of {len(saved)} cases identical")
    sys.exit(1 if changed else 0)


if __name__ == "__main__":
    main()
