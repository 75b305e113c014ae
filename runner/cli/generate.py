"""`logitlab generate`: text from a built-in model, as POST /generate makes it."""

import json
import sys
from pathlib import Path

import click
import marshmallow as ma

from runner.cli.chat import read_messages, template_source, validation_message
from service.generate import output
from service.generate.prepare import build
from service.generate.schemas import GenerateRequestSchema
from service.generation.loop import run, start
from service.lm.registry import DEFAULT_MODEL, UnknownModelError, load_model
from service.sampling import SamplingError
from service.templates.placement import PLACEMENTS

MAX_CONTEXT = 1 << 20


def _knobs(command):
    """--temperature ... --penalty-last-n: the sampling knobs /generate takes."""
    for name, kind in reversed([("temperature", float), ("top_k", int), ("top_p", float),
                                ("min_p", float), ("typical_p", float), ("top_n_sigma", float),
                                ("repetition_penalty", float), ("frequency_penalty", float),
                                ("presence_penalty", float), ("penalty_last_n", int)]):
        command = click.option(f"--{name.replace('_', '-')}", name, type=kind)(command)
    return command


def _messages(path: Path | None, chat: str | None) -> list[dict] | None:
    if path is not None:
        return read_messages(path)
    return [{"role": "user", "content": chat}] if chat is not None else None


def _stop(values: tuple[str, ...]) -> list:
    """`--stop` values; `id:N` is a token id."""
    return [int(v[3:]) if v.startswith("id:") and v[3:].isdigit() else v for v in values]


@click.command(name="generate")
@click.argument("prompt", required=False)
@click.option("--model", default=DEFAULT_MODEL, show_default=True,
              help="ngram-pydoc, ngram:PATH.npz or hf:PATH")
@click.option("--chat", help="A one-turn chat (rendered with --template) instead of PROMPT.")
@click.option("--messages", "messages_file", type=click.Path(exists=True, path_type=Path),
              help="A JSON file of [{role, content}, ...] instead of PROMPT.")
@click.option("--template", help="chatml, llama-3, mistral, gemma, alpaca, a file holding a "
              "Jinja chat_template, or a Jinja string")
@click.option("--system", help="System prompt (chat only).")
@click.option("--instructions", help="Custom instructions (chat only).")
@click.option("--placement", type=click.Choice(PLACEMENTS))
@click.option("--max-tokens", type=int, default=64, show_default=True)
@click.option("--stop", multiple=True, help="Stop string (repeatable, up to 4); id:N = token id.")
@click.option("-n", "n", type=int, default=1, show_default=True)
@click.option("--seed", type=int)
@click.option("--logprobs", type=int, help="Top-k alternatives per token (with --json).")
@click.option("--penalize-prompt", is_flag=True, help="Penalties count the prompt too.")
@click.option("--stream/--no-stream", default=True, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print /generate's JSON answer.")
@_knobs
def generate(prompt, model, chat, messages_file, template, system, instructions, placement,
             max_tokens, stop, n, seed, logprobs, penalize_prompt, stream, as_json, **knobs):
    """Continue PROMPT (or a chat) with a built-in model; same seed, same text."""
    body = {"model": model, "prompt": prompt, "messages": _messages(messages_file, chat),
            "template": template_source(template), "system": system, "instructions": instructions,
            "placement": placement, "max_tokens": max_tokens, "stop": _stop(stop) or None,
            "n": n, "seed": seed, "logprobs": logprobs, "penalize_prompt": penalize_prompt,
            **knobs}
    try:
        args = GenerateRequestSchema().load({k: v for k, v in body.items() if v is not None})
        prepared = build(args, load_model(model), MAX_CONTEXT)
        choices = start(prepared.model, prepared.request)
        events = run(prepared.model, prepared.request, prepared.seed, choices)
        for event in events:
            if stream and not as_json and n == 1:
                sys.stdout.write(event.text)
                sys.stdout.flush()
    except (ma.ValidationError, UnknownModelError, SamplingError) as error:
        raise click.UsageError(validation_message(error.messages)
                               if isinstance(error, ma.ValidationError) else str(error)) from None
    if as_json:
        click.echo(json.dumps(output.response(prepared, choices), ensure_ascii=False))
    elif stream and n == 1:
        click.echo()
    else:
        for choice in choices:
            click.echo(f"--- choice {choice.index} ({choice.finish_reason})\n{choice.text}")
    click.echo(f"[seed {prepared.seed}]", err=True)
