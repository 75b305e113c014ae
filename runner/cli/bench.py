"""`logitlab bench`: benchmark the sampling core against its baselines in one run."""

import click
from rich.console import Console
from rich.table import Table

from runner.cli.common import check_writable, output_path, write_output


def _fmt(value, suffix="") -> str:
    return "n/a" if value is None else f"{value:.2f}{suffix}"


@click.command()
@click.option("--batch", "batches", multiple=True, type=click.IntRange(1), default=(32, 1),
              show_default=True, help="Batch sizes to run (repeat the option).")
@click.option("--vocab", type=click.IntRange(1), default=128_256, show_default=True,
              help="Vocabulary size.")
@click.option("--repeats", type=click.IntRange(1), default=15, show_default=True,
              help="Timed repeats per implementation at B > 1 (x4 at B = 1); medians reported.")
@click.option("--no-transformers", is_flag=True,
              help="Skip the transformers chain (needs the 'bench' extra: torch, transformers).")
@click.option("--markdown", type=click.Path(dir_okay=False), callback=output_path,
              help="Also write the table here.")
def bench(batches, vocab, repeats, no_transformers, markdown):
    """Time the core, the transformers chain, naive numpy and one np.exp pass on the same
    Zipf-like logits; print medians, speed-ups and the core's peak memory."""
    from runner.bench.suite import run_suite, summary

    if markdown is not None:
        check_writable(markdown)  # before minutes of benchmarking, not after
    console = Console(width=None if Console().is_terminal else 160)
    if not no_transformers:
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError:
            raise click.ClickException(
                "the transformers baseline needs the bench extra: "
                "pip install -e '.[bench]' (or pass --no-transformers)") from None
    with console.status("benchmarking") as status:
        rows = run_suite(batches, vocab, repeats, not no_transformers,
                         progress=lambda text: status.update(f"benchmarking {text}"))
    headers = ["B", "config", "core ms", "transformers ms", "naive ms", "np.exp ms",
               "x transformers", "x naive", "exp/core", "peak mem / logits"]
    table = Table(*headers, title=f"Sampling core, V = {vocab}, medians of interleaved repeats")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in rows:
        cells = [str(r.batch), r.config, _fmt(r.core), _fmt(r.transformers), _fmt(r.naive),
                 _fmt(r.exp_floor), _fmt(r.vs_transformers, "x"), _fmt(r.vs_naive, "x"),
                 _fmt(r.vs_exp), _fmt(r.peak_ratio, "x")]
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    console.print(table)
    for batch in batches:
        s = summary(rows, batch)
        versus = ("transformers skipped" if no_transformers else
                  f"geo-mean x{s['geomean_vs_transformers']:.1f} vs transformers "
                  f"(worst x{s['min_vs_transformers']:.1f})")
        line = (f"B={batch}: {versus}; truncating configs faster than "
                f"np.exp: {'yes' if s['truncating_faster_than_exp'] else 'no'}; "
                f"peak memory {s['max_peak_ratio']:.2f}x the logits")
        console.print(line)
        lines.append("")
        lines.append(line)
    if markdown is not None:
        write_output(markdown, "\n".join(lines) + "\n")
