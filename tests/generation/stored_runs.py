"""A real generation run and a real token-level run in one database, built in about a second."""

from runner.generation_storage import create_generation_run, execute_generation
from runner.generation_sweep import GenerationSweepSpec
from runner.grid import build_grid
from runner.sweep import SweepSpec, create, execute

PROMPTS = ["The for statement", "A class"]


def generation_run(sessions, self_bleu=True, name="gen"):
    """A 2 x 2 temperature x top_p generation sweep of the default model; returns its id."""
    grid = build_grid({"temperature": "0.3,1.5", "top_p": "0.5,1.0"})
    spec = GenerationSweepSpec("ngram-pydoc", PROMPTS, grid, max_tokens=12, samples=3, seed=4,
                               self_bleu=self_bleu)
    run_id = create_generation_run(sessions, spec, vocab_size=3965, name=name)
    execute_generation(sessions, run_id)
    return run_id


def token_run(sessions):
    """A 2 x 2 token-level sweep of a Zipf source; returns its id."""
    grid = build_grid({"temperature": "0.5,1.0", "top_p": "0.5,1.0"})
    run_id = create(sessions, SweepSpec("zipf:V=100,rows=2", grid, 8, 1, name="tokens"))
    execute(sessions, run_id)
    return run_id
