"""`logitlab sweep`: a temperature x top-p (x top-k x min-p x penalty) sweep into the database."""

from __future__ import annotations

import sys

import click
from click.core import ParameterSource

from runner import storage
from runner.cli import generation_sweep as generation
from runner.cli.common import cell_progress, cell_rows, console, db_option, open_sessions
from runner.cli.runs import SHOW_METRICS, print_cells
from runner.executors import (
    EXECUTORS,
    Executor,
    ExecutorError,
    ExecutorOptionError,
    make_executor,
)
from runner.grid import GridSpecError, build_grid, swept
from runner.sources import DEFAULT_SOURCE, SourceSpecError
from runner.sweep import MEMORY_BUDGET, SweepError, SweepSpec, create, execute
from service.db.models import PARAMETERS
from service.sampling.errors import SamplingError
from service.sampling.presets import PRESETS

SUMMARY_ROWS = 40
GRID_HELP = "Comma list and/or start:stop:count ranges, e.g. 0.2,0.5,1.0 or 0.1:2.0:20."
# 1 TiB: far above any machine's memory, and small enough to size chunks without overflow.
MAX_MEMORY_MB = 2**20
# What a run records when it is created: --resume reuses these, so giving one is a mistake.
RECORDED = ("source", "preset", "samples", "seed", "name", "memory_mb", "engine", "prompts",
            "max_tokens", "self_bleu")
# How a token-level sweep computes: meaningless for a generation sweep.
TOKEN_ONLY = ("engine", "memory_mb", "executor_name", "scheduler")


def _given(names: tuple[str, ...]) -> list[str]:
    """The flags among the named parameters that the user set (not left at their default)."""
    context = click.get_current_context()
    flags = {param.name: param.opts[0] for param in context.command.params}
    return [flags[name] for name in names
            if context.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)]


def _refuse_fixed_options(resume: int | None, prompts: object) -> None:
    """Usage errors for options that the run being resumed, or a generation sweep, ignores."""
    if resume is not None:
        fixed = _given(PARAMETERS + RECORDED)
        if fixed:
            raise click.UsageError(f"--resume reuses the run's grid and settings; drop "
                                   f"{', '.join(fixed)}")
    token_only = _given(TOKEN_ONLY)
    if prompts is not None and token_only:
        raise click.UsageError("a generation sweep (--prompts) computes in this process, cell "
                               f"by cell: drop {', '.join(token_only)}")


def _run_with_progress(sessions, run_id: int, total: int, executor: Executor) -> None:
    with cell_progress(run_id, total) as advance:
        execute(sessions, run_id, on_cells=advance, executor=executor)


@click.command()
@click.option("--source", default=DEFAULT_SOURCE, show_default=True,
              help="zipf:V=..,s=..,rows=..,seed=.. | gaussian:V=..,sigma=..,outliers=..,rows=..,"
                   "seed=.. | npy:PATH (synthetic sources also take context=N).")
@click.option("--temperature", help=GRID_HELP + " [default: 1.0]")
@click.option("--top-p", "top_p", help="Values in (0, 1] [default: 1.0].")
@click.option("--top-k", "top_k", help="Integers in [0, 2**31 - 1]; 0 = off [default: 0].")
@click.option("--min-p", "min_p", help="Values in [0, 1]; 0 = off [default: 0].")
@click.option("--repetition-penalty", "repetition_penalty", help="Values > 0 [default: 1.0].")
@click.option("--preset", type=click.Choice(list(PRESETS)), default="vllm", show_default=True)
@click.option("--samples", type=int, default=1000, show_default=True,
              help="Draws per source row per cell.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--name", help="A label for the run.")
@click.option("--memory-mb", type=click.IntRange(1, MAX_MEMORY_MB),
              default=MEMORY_BUDGET // 2**20, show_default=True,
              help="Working-memory budget that sizes each chunk of cells.")
@click.option("--engine", type=click.Choice(["auto", "prefix", "core"]), default="auto",
              show_default=True,
              help="prefix: sort each row once and share it across cells (truncation-only "
                   "sweeps); core: batches through service.sampling (needed for penalties).")
@click.option("--executor", "executor_name", type=click.Choice(EXECUTORS), default="local",
              show_default=True, help="Where cells are computed: this process, every local "
                                      "core, or Dask distributed.")
@click.option("--scheduler", metavar="tcp://HOST:8786",
              help="Dask scheduler address for --executor dask [default: a local cluster].")
@click.option("--resume", "resume", type=int, metavar="RUN_ID",
              help="Finish an interrupted run: compute only its missing cells.")
@generation.generation_options
@db_option
def sweep(source, preset, samples, seed, name, memory_mb, engine, executor_name, scheduler,
          resume, db_url, prompts, max_tokens, self_bleu, **grid_options) -> None:
    """Sweep sampling parameters over a logits source and store per-cell statistics."""
    _refuse_fixed_options(resume, prompts)
    if scheduler is not None and executor_name != "dask":
        raise click.UsageError(f"--scheduler is for --executor dask, not {executor_name}")
    sessions = open_sessions(db_url)
    if prompts is not None or (resume is not None and generation.is_generation_run(sessions,
                                                                                   resume)):
        token_only = _given(TOKEN_ONLY)
        if token_only:  # only a resume gets here with them: a new run was refused above
            raise click.UsageError(f"run {resume} is a generation sweep: drop "
                                   f"{', '.join(token_only)}")
        return generation.run_or_resume(sessions, resume, source, prompts, grid_options, samples,
                                        seed, preset, name, max_tokens, self_bleu)
    try:  # before any run is recorded: an unreachable scheduler leaves nothing behind
        executor = make_executor(executor_name, scheduler)
    except ExecutorOptionError as error:
        raise click.UsageError(str(error)) from None
    except ExecutorError as error:
        raise click.ClickException(str(error)) from None
    click.get_current_context().call_on_close(executor.close)
    if resume is not None:
        run_id = resume
        run = storage.get_run(sessions, run_id)
        if run is None:
            raise click.ClickException(f"no run with id {run_id}")
    else:
        try:
            spec = SweepSpec(source, build_grid(grid_options), samples, seed, preset, name,
                             memory_mb * 2**20, engine)
            run_id = create(sessions, spec)
        except (GridSpecError, SourceSpecError, SweepError) as error:
            raise click.UsageError(str(error)) from None
        run = storage.get_run(sessions, run_id)
    click.echo(f"run id {run_id}")
    sys.stdout.flush()
    try:
        _run_with_progress(sessions, run_id, run.n_cells, executor)
    except KeyboardInterrupt:
        storage.set_status(sessions, run_id, "interrupted")
        click.echo(f"interrupted; resume with: logitlab sweep --resume {run_id}", err=True)
        sys.exit(130)
    except (SourceSpecError, SweepError, ExecutorError, SamplingError) as error:
        # SamplingError: the core refused a cell's parameters (a penalty that overflows).
        storage.set_status(sessions, run_id, "failed")  # resumable like an interrupted run
        raise click.ClickException(str(error)) from None
    except Exception:
        storage.set_status(sessions, run_id, "failed")
        raise
    _summary(sessions, run_id, run.grid)


def _summary(sessions, run_id: int, grid: dict) -> None:
    rows = cell_rows(sessions, run_id)
    out = console()
    print_cells(out, rows[:SUMMARY_ROWS], swept(grid) or ["temperature"], SHOW_METRICS)
    if len(rows) > SUMMARY_ROWS:
        out.print(f"... {len(rows) - SUMMARY_ROWS} more cells: logitlab runs show {run_id}")
