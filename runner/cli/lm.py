"""`logitlab lm train`: an interpolated Kneser-Ney n-gram model from any text file."""

from pathlib import Path

import click

from service.lm.ngram import NgramModel


@click.group(name="lm")
def lm() -> None:
    """Built-in language models."""


@lm.command(name="train")
@click.argument("corpus", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--order", type=click.IntRange(1, 6), default=3, show_default=True)
@click.option("--max-vocab", type=click.IntRange(258), default=8192, show_default=True,
              help="Tokens in all (EOS and 256 byte tokens included).")
@click.option("--min-count", type=click.IntRange(1), default=2, show_default=True,
              help="A piece needs this many occurrences to become a token.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def train(corpus, order, max_vocab, min_count, out):
    """Train on CORPUS files (one document each); write a .npz for --model ngram:OUT."""
    texts = [path.read_text(encoding="utf-8") for path in corpus]
    try:
        model = NgramModel.train(texts, order=order, max_vocab=max_vocab, min_count=min_count)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    model.save(out)
    sizes = ", ".join(f"{k}-grams {len(keys)}" for k, (keys, _) in enumerate(model.tables, 1))
    click.echo(f"{out}: order {order}, {model.vocab_size} tokens, {sizes}")
