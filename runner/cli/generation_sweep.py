"""`logitlab sweep --prompts FILE`: the generation sweep branch of the sweep command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from click.core import ParameterSource
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from runner import storage
from runner.cli.common import cell_progress, console
from runner.generation_storage import (
    ENGINE,
    create_generation_run,
    execute_generation,
    generation_rows,
    written,
)
from runner.generation_sweep import GenerationSweepSpec, read_prompts
from runner.grid import GridSpecError, build_grid, swept
from service.lm.registry import UnknownModelError, load_model

DEFAULT_SAMPLES = 8  # continuations per prompt per cell when --samples is not given
SHOWN = ("distinct_1", "distinct_2", "distinct_4", "repetition_rate", "mean_length",
         "self_bleu")


def generation_options(command: Callable) -> Callable:
    """--prompts, --max-tokens and --self-bleu on the sweep command."""
    command = click.option("--self-bleu", is_flag=True,
                           help="With --prompts: also Self-BLEU (Chen & Cherry smoothing 1).")(
        command)
    command = click.option("--max-tokens", type=click.IntRange(1, 4096), default=64,
                           show_default=True, help="With --prompts: tokens per continuation.")(
        command)
    return click.option(
        "--prompts", type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A generation sweep: one prompt per line, continued by --source ngram-pydoc | "
             "ngram:PATH.npz | hf:PATH; --samples continuations per prompt per cell "
             f"(default {DEFAULT_SAMPLES}).")(command)


def is_generation_run(sessions: sessionmaker[Session], run_id: int) -> bool:
    """Whether a run to resume is a generation sweep."""
    run = storage.get_run(sessions, run_id)
    return run is not None and run.engine == ENGINE


def start(sessions: sessionmaker[Session], source: str, prompts: Path, grid_options: dict,
          samples: int, seed: int, preset: str, name: str | None, max_tokens: int,
          self_bleu: bool) -> int:
    """Validate and record a generation run; returns its id."""
    context = click.get_current_context()
    if context.get_parameter_source("samples") == ParameterSource.DEFAULT:
        samples = DEFAULT_SAMPLES
    # Every check before the model loads and the run is recorded: a refused sweep leaves nothing.
    try:
        grid = build_grid(grid_options)
    except GridSpecError as error:
        raise click.UsageError(str(error)) from None
    texts = _read_prompts(prompts)
    if not 1 <= samples <= 1000:
        raise click.UsageError("--samples must be in 1..1000 for a generation sweep")
    if not 0 <= seed < 2**63:  # the stored seed is a BIGINT; numpy refuses negative seeds
        raise click.UsageError(f"--seed must be in [0, 2**63) (got {seed})")
    try:
        model = load_model(source)
    except UnknownModelError as error:
        raise click.UsageError(f"--prompts needs a model as --source: {error}") from None
    spec = GenerationSweepSpec(source, texts, grid, max_tokens, samples, seed, preset, self_bleu)
    return create_generation_run(sessions, spec, model.vocab_size, name)


def _read_prompts(path: Path) -> list[str]:
    """The prompts of a UTF-8 file, or a usage error naming the file."""
    try:
        texts = read_prompts(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise click.UsageError(f"--prompts {path}: not UTF-8 text ({error})") from None
    except OSError as error:
        raise click.UsageError(f"--prompts {path}: cannot read it ({error.strerror})") from None
    if not texts:
        raise click.UsageError(f"{path}: no prompts (one per non-empty line)")
    return texts


def finish(sessions: sessionmaker[Session], run_id: int) -> None:
    """Compute the missing cells with a progress line, then print the cells."""
    run = storage.get_run(sessions, run_id)
    click.echo(f"run id {run_id}")
    try:
        with cell_progress(run_id, run.n_cells, len(written(sessions, run_id))) as advance:
            execute_generation(sessions, run_id, on_cell=advance)
    except KeyboardInterrupt:
        storage.set_status(sessions, run_id, "interrupted")
        click.echo(f"interrupted; resume with: logitlab sweep --resume {run_id}", err=True)
        raise SystemExit(130) from None
    print_generation_cells(generation_rows(sessions, run_id), swept(run.grid) or ["temperature"])


def print_generation_cells(rows: list[dict], parameters: list[str]) -> None:
    """One table row per cell: the swept parameters and the generation statistics."""
    table = Table()
    shown = [s for s in SHOWN if any(r.get(s) is not None for r in rows)]
    for name in (*parameters, *shown):
        table.add_column(name, justify="right")
    for row in rows:
        table.add_row(*(f"{row[p]:g}" for p in parameters),
                      *(f"{row[s]:.4f}" for s in shown))
    console().print(table)


def run_or_resume(sessions: sessionmaker[Session], resume: int | None, source: str,
                  prompts: Path | None, grid_options: dict, samples: int, seed: int,
                  preset: str, name: str | None, max_tokens: int, self_bleu: bool) -> None:
    """The sweep command's generation branch: start a run (or resume one) and print it."""
    if resume is not None:
        given = ["--" + k.replace("_", "-") for k, v in grid_options.items() if v is not None]
        if given or prompts is not None:
            raise click.UsageError("--resume reuses the run's grid and prompts; drop "
                                   f"{', '.join(given + (['--prompts'] if prompts else []))}")
        finish(sessions, resume)
        return
    finish(sessions, start(sessions, source, prompts, grid_options, samples, seed, preset,
                           name, max_tokens, self_bleu))
