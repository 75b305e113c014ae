"""`logitlab sample`: run the sampling core on a file of logits or a built-in demo row."""

import json
from pathlib import Path

import click
import numpy as np
from rich.console import Console
from rich.table import Table

from service import sampling as core
from service.sampling import PRESETS, RANGES, SamplingError
from service.sampling.params import DEFAULT_LIMITS

DEMO_VOCAB = 32_000


def _parse_ids(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(t) for t in text.replace(" ", "").split(",") if t]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated token ids, got {text!r}") from None


def _parse_bias(text: str | None) -> dict[int, float] | None:
    if not text:
        return None
    try:
        pairs = (item.split("=") for item in text.replace(" ", "").split(",") if item)
        return {int(token): float(bias) for token, bias in pairs}
    except ValueError:
        raise click.BadParameter(f"expected TOKEN=BIAS pairs, got {text!r}") from None


def _load_logits(path: Path | None) -> np.ndarray:
    """A .npy file, a JSON array ([V] or [[V], ...], null = masked), or the demo row."""
    if path is None:
        ranks = np.random.default_rng(0).permutation(DEMO_VOCAB) + 1
        return (-1.1 * np.log(ranks)).astype(np.float32)
    if path.suffix == ".npy":
        return _load_npy(path)
    try:
        logits = np.array(json.loads(path.read_text()), dtype=np.float64)
    except (ValueError, TypeError, RecursionError) as exc:  # RecursionError: deep nesting
        raise click.BadParameter(f"{path}: not a JSON array of numbers ({exc})") from None
    return np.where(np.isnan(logits), -np.inf, logits)  # JSON null (NaN here) masks a token


def _load_npy(path: Path) -> np.ndarray:
    """A .npy array of numbers; anything else (no .npy header, pickled objects, text) is a
    usage error, and objects are never unpickled."""
    with path.open("rb") as file:
        if file.read(6) != b"\x93NUMPY":  # else numpy talks of pickled data
            raise click.BadParameter(f"{path}: not a .npy array of numbers (no .npy header)",
                                     param_hint="'--logits'")
    try:
        logits = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise click.BadParameter(f"{path}: not a .npy array of numbers ({exc})",
                                 param_hint="'--logits'") from None
    if not isinstance(logits, np.ndarray) or logits.dtype.kind not in "iuf":
        raise click.BadParameter(f"{path}: not a .npy array of numbers (dtype {logits.dtype})",
                                 param_hint="'--logits'")
    return logits


def _knob_options(command):
    """One --option per numeric sampling parameter, named and ranged as in the core."""
    for name, (default, *_) in reversed(RANGES.items()):
        kind = int if name == "top_k" else float
        command = click.option(f"--{name.replace('_', '-')}", name, type=kind, default=None,
                               help=f"Default {default}.")(command)
    return command


@click.command(name="sample")
@click.option("--logits", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A .npy or .json file of logits, [V] or [B, V]. Default: a Zipf demo row.")
@_knob_options
@click.option("--preset", type=click.Choice(list(PRESETS)), default="vllm", show_default=True)
@click.option("--order", help="Comma-separated stage names; overrides the preset's order.")
@click.option("--context", help="Comma-separated token ids the penalties count.")
@click.option("--penalty-last-n", type=int, help="Count only the last N context ids.")
@click.option("--logit-bias", help="TOKEN=BIAS pairs, comma-separated.")
@click.option("-n", "--samples", "n", type=int, default=10, show_default=True)
@click.option("--seed", type=int, help="Seed for reproducible draws (default: fresh).")
@click.option("--show", type=click.IntRange(0, DEFAULT_LIMITS.max_logprobs), default=10,
              show_default=True,
              help="How many of the most likely processed tokens to list per row (0: none).")
@click.option("--json", "as_json", is_flag=True, help="Print the raw result as JSON.")
def sample(path, preset, order, context, penalty_last_n, logit_bias, n, seed, show,
                   as_json, **knobs):
    """Apply the sampling stages to logits, draw N tokens, and show each stage's effect."""
    logits = _load_logits(path)
    params = {k: v for k, v in knobs.items() if v is not None}
    try:
        result = core.sample(
            logits, n=n, seed=seed, preset=preset, logprobs=show, trace=True,
            order=order.split(",") if order else None, context=_parse_ids(context),
            penalty_last_n=penalty_last_n, logit_bias=_parse_bias(logit_bias), **params)
    except SamplingError as exc:
        raise click.ClickException(f"{exc.field}: {exc}") from None
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    console = Console()
    for row, record in enumerate(result.to_dict()["trace"]):
        table = Table("stage", "kept", "removed mass", "entropy (nats)",
                      title=f"row {row}: seed {result.seed[row]}")
        for step in record:
            table.add_row(step["stage"], str(step["kept"]), f"{step['removed_mass']:.4f}",
                          f"{step['entropy']:.4f}")
        console.print(table)
        if result.top_logprobs is not None:  # None with --show 0
            ids, logprobs = result.top_logprobs
            top = ", ".join(f"{t}:{np.exp(lp):.3f}" for t, lp in zip(ids[row], logprobs[row],
                                                                        strict=True) if t >= 0)
            console.print(f"most likely after processing (token:prob): {top}")
        console.print(f"drawn: {result.tokens[row].tolist()}")

