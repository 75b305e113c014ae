"""The `logitlab` command: one click group whose subcommands live in sibling modules."""

import importlib

import click

from service import __version__, allocator

# Each entry is "module:command"; a module owns one subcommand (or group) and nothing else.
SUBCOMMANDS = [
    "runner.cli.sample:sample",
    "runner.cli.bench:bench",
    "runner.cli.sweep:sweep",
    "runner.cli.runs:runs",
    "runner.cli.db:db",
    "runner.cli.bench_sweep:bench_sweep",
    "runner.cli.serve:serve",
    "runner.cli.generate:generate",
    "runner.cli.render:render",
    "runner.cli.lm:lm",
    "runner.cli.demo:demo",
    "runner.cli.loadtest:loadtest",
    "runner.cli.loadtest:loadtests",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="logitlab")
def main() -> None:
    """Logit Lab: see, measure and serve how LLM decoding works."""
    allocator.tune()  # every subcommand runs numpy; `serve`'s workers inherit it


for _spec in SUBCOMMANDS:
    _module, _name = _spec.split(":")
    main.add_command(getattr(importlib.import_module(_module), _name))
