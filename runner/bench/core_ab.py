"""A/B of the sampling core: sample() of this checkout against another one's, in one process.

Run: .venv/bin/python -m runner.bench.core_ab OTHER [--vocab 3965] [--batch 1 --batch 8]
     [--rounds 11] [--source zipf|model]
where OTHER is another checkout of Logit Lab, e.g. `git worktree add /tmp/base REV`.

The other checkout's `service/sampling` (pure numpy, relative imports only) is loaded beside
this one under another package name, and every round times each suite configuration on both in
turn, so both see the same machine: on a shared machine two separate runs can differ by 20 %,
and only interleaved rounds compare two versions. Both must return the same tokens and
entropies, or the comparison stops.
"""

import importlib.util
import statistics
import sys
import timeit
from pathlib import Path

import click
import numpy as np

from runner.bench.baselines import CONFIGS, zipf_logits
from service import allocator
from service.sampling import sample


def load_other(checkout: Path):
    """The other checkout's sampling package, imported as `other_sampling`."""
    package = checkout / "service" / "sampling"
    for name in [name for name in sys.modules if name.split(".")[0] == "other_sampling"]:
        del sys.modules[name]  # a package loaded before, from another checkout
    spec = importlib.util.spec_from_file_location(
        "other_sampling", package / "__init__.py", submodule_search_locations=[str(package)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["other_sampling"] = module
    spec.loader.exec_module(module)
    return module


def model_logits(batch: int) -> np.ndarray:
    """The built-in model's next-token logits at `batch` steps of a text it writes greedily:
    peaked rows, as a language model gives them, unlike the flat Zipf rows."""
    from service.lm.registry import DEFAULT_MODEL, load_model

    model = load_model(DEFAULT_MODEL)
    ids = model.encode("Once upon a time, in a small village by the sea, there lived")
    rows = []
    for _ in range(batch):
        rows.append(model.logits([ids])[0])
        ids = [*ids, int(np.argmax(rows[-1]))]
    return np.stack(rows)


def compare(other_sample, z: np.ndarray, params: dict, rounds: int) -> dict:
    """Median microseconds per call of both, and the quartiles of the per-round speed-up."""
    seeds = list(range(len(z)))
    calls = {"other": lambda: other_sample(z, seed=seeds, **params),
             "this": lambda: sample(z, seed=seeds, **params)}
    first, second = calls["other"](), calls["this"]()
    if not (np.array_equal(first.tokens, second.tokens)
            and np.array_equal(first.entropy, second.entropy)):
        raise click.ClickException(f"the two checkouts disagree on {params}")
    number = max(10, int(2e6 / (z.size + 4000)))  # ~0.1 s per timing at any size
    times: dict[str, list[float]] = {"other": [], "this": []}
    for _ in range(rounds):
        for label, call in calls.items():
            times[label].append(timeit.timeit(call, number=number) / number * 1e6)
    speedups = sorted(o / t for o, t in zip(times["other"], times["this"], strict=True))
    return {"other": statistics.median(times["other"]), "this": statistics.median(times["this"]),
            "low": speedups[len(speedups) // 4], "high": speedups[3 * len(speedups) // 4]}


@click.command()
@click.argument("other", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--vocab", type=int, default=3965, show_default=True)
@click.option("--batch", "batches", type=int, multiple=True, default=(1, 8), show_default=True)
@click.option("--rounds", type=int, default=11, show_default=True)
@click.option("--source", type=click.Choice(["zipf", "model"]), default="zipf", show_default=True,
              help="Flat Zipf rows of --vocab tokens, or the built-in model's next-token logits.")
def main(other: Path, vocab: int, batches: tuple[int, ...], rounds: int, source: str) -> None:
    """Time the suite's configurations on this checkout's core and on OTHER's."""
    if not (other / "service" / "sampling" / "__init__.py").is_file():
        raise click.UsageError(f"{other} is not a Logit Lab checkout (no service/sampling)")
    allocator.tune()  # as in every logitlab process
    other_sample = load_other(other).sample
    click.echo(f"| V | B | config | other µs | this µs | speed-up (quartiles of {rounds} rounds) |")
    click.echo("| --- | --- | --- | --- | --- | --- |")
    for batch in batches:
        z = zipf_logits(batch, vocab) if source == "zipf" else model_logits(batch)
        for name, params in CONFIGS:
            if "ctx" in name:
                params = {**params, "context": [list(range(256))] * batch}
            found = compare(other_sample, z, params, rounds)
            click.echo(f"| {z.shape[1]} | {batch} | {name} | {found['other']:.1f} | "
                       f"{found['this']:.1f} | {found['other'] / found['this']:.2f}x "
                       f"({found['low']:.2f}-{found['high']:.2f}) |")


if __name__ == "__main__":
    main()
