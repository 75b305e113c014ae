"""`logitlab render`: a chat through a prompt template, printed exactly as a model reads it."""

from pathlib import Path

import click

from runner.cli.chat import read_messages, template_source
from service.templates import TemplateError, render_chat
from service.templates.named import TEMPLATES
from service.templates.placement import PLACEMENTS


@click.command(name="render")
@click.argument("messages_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--template", default="chatml", show_default=True,
              help=f"{', '.join(TEMPLATES)}, or a file holding a Jinja chat_template")
@click.option("--system", help="System prompt.")
@click.option("--instructions", help="Custom instructions.")
@click.option("--placement", type=click.Choice(PLACEMENTS), default="turns", show_default=True)
@click.option("--add-generation-prompt/--no-generation-prompt", default=True, show_default=True)
def render(messages_file, template, system, instructions, placement, add_generation_prompt):
    """Render MESSAGES_FILE (JSON [{role, content}, ...]) with a template."""
    messages = read_messages(messages_file)
    try:
        rendered = render_chat(messages, template_source(template),
                               add_generation_prompt=add_generation_prompt, system=system,
                               instructions=instructions, placement=placement)
    except TemplateError as error:
        raise click.UsageError(str(error)) from None
    click.echo(rendered.text, nl=False)
