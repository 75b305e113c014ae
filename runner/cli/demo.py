"""`logitlab demo linear`: a numpy MLP learns y = 2x + 3, next to the exact line."""

import click

from runner.cli.common import db_option, open_sessions
from runner.storage import code_version
from service.demo.linear import train
from service.demo.store import save_linear


@click.group(name="demo")
def demo() -> None:
    """Small demonstrations."""


@demo.command(name="linear")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--epochs", type=click.IntRange(1, 20_000), default=2000, show_default=True)
@click.option("--hidden", type=click.IntRange(1, 256), default=16, show_default=True)
@click.option("--lr", "learning_rate", type=float, default=0.01, show_default=True)
@click.option("--x", type=float, default=50.0, show_default=True, help="Where to predict y.")
@db_option
def linear(seed, epochs, hidden, learning_rate, x, db_url):
    """Train on x = 0..99, y = 2x + 3; predict y at --x; compare with least squares."""
    click.echo(f"training a 1-{hidden}-1 tanh MLP on x = 0..99, y = 2x + 3 (seed {seed})")

    def progress(epoch: int, loss: float) -> None:
        click.echo(f"  epoch {epoch:>6}  loss (MSE) {loss:.6f}")

    result = train(seed=seed, epochs=epochs, hidden=hidden, learning_rate=learning_rate, x=x,
                   on_progress=progress)
    # Each epoch's line is the loss before that epoch's step; this one is after the last.
    click.echo(f"  after training  loss (MSE) {result.final_loss:.6f}")
    click.echo(f"MLP prediction at x = {x:g}:   {result.mlp_prediction:.6f}")
    click.echo(f"least squares y = {result.lstsq_slope:.6f}x + {result.lstsq_intercept:.6f}: "
               f"{result.lstsq_prediction:.6f}")
    click.echo(f"exact 2x + 3:                {result.exact:.6f}")
    with open_sessions(db_url).begin() as session:
        run_id = save_linear(session, result, code_version())
    click.echo(f"stored as demo run {run_id}", err=True)
