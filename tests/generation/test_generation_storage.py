"""Generation sweeps in the database, through the engine and `logitlab sweep --prompts`."""

import signal

import pytest
from click.testing import CliRunner
from sqlalchemy import event

from runner import generation_storage
from runner.cli import main
from runner.generation_storage import (
    create_generation_run,
    execute_generation,
    generation_rows,
    load_spec,
    write,
    written,
)
from runner.generation_sweep import GenerationSweepSpec, compute_cells
from runner.grid import build_grid
from runner.storage import get_run
from service.db import open_database

PROMPTS = ["The for statement", "A class"]


@pytest.fixture
def sessions(tmp_path):
    engine, factory = open_database(f"sqlite:///{tmp_path / 'lab.db'}")
    yield factory
    engine.dispose()


def _spec(**changes):
    grid = build_grid({"temperature": "0,1.5"})
    values = {"source": "ngram-pydoc", "prompts": PROMPTS, "grid": grid, "max_tokens": 12,
              "samples": 3, "seed": 4, "self_bleu": True}
    return GenerationSweepSpec(**{**values, **changes})


def test_a_run_is_stored_like_other_sweeps_and_resumes(sessions):
    spec = _spec()
    run_id = create_generation_run(sessions, spec, vocab_size=3965, name="gen")
    run = get_run(sessions, run_id)
    assert (run.engine, run.n_rows, run.n_cells, run.status) == ("generation", 2, 2, "running")
    assert load_spec(sessions, run_id) == spec
    first_cell, first_stats = next(compute_cells(spec))
    assert write(sessions, run_id, first_cell, first_stats)
    assert not write(sessions, run_id, first_cell, first_stats)  # never twice
    assert execute_generation(sessions, run_id) == 1  # only the missing cell
    rows = generation_rows(sessions, run_id)
    assert [r["temperature"] for r in rows] == [0.0, 1.5]
    assert rows[0]["distinct_2"] < rows[1]["distinct_2"]
    assert rows[0]["self_bleu"] > rows[1]["self_bleu"]
    assert written(sessions, run_id) == {cell for cell, _ in compute_cells(spec)}
    assert get_run(sessions, run_id).status == "finished"


def test_a_run_that_fails_midway_is_marked_failed_and_resumes(sessions, monkeypatch):
    spec = _spec()
    run_id = create_generation_run(sessions, spec, vocab_size=3965, name="gen")

    def first_then_fail(spec, skip=None):
        yield next(compute_cells(spec, skip=skip))
        raise RuntimeError("the model went away")

    monkeypatch.setattr(generation_storage, "compute_cells", first_then_fail)
    with pytest.raises(RuntimeError, match="went away"):
        execute_generation(sessions, run_id)
    assert get_run(sessions, run_id).status == "failed"
    monkeypatch.undo()
    assert execute_generation(sessions, run_id) == 1  # the cell written before the failure stays
    assert get_run(sessions, run_id).status == "finished"


def test_sweep_cli_with_prompts_end_to_end(tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("The for statement\nA class\n")
    db = f"sqlite:///{tmp_path / 'lab.db'}"
    args = ["sweep", "--source", "ngram-pydoc", "--prompts", str(prompts), "--max-tokens", "16",
            "--samples", "4", "--temperature", "0,0.7,1.5", "--seed", "2", "--self-bleu",
            "--db", db]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "run id 1" in result.output and "distinct_2" in result.output
    engine, sessions = open_database(db)
    rows = generation_rows(sessions, 1)
    engine.dispose()
    distinct = [r["distinct_2"] for r in rows]
    assert distinct == sorted(distinct) and distinct[0] < distinct[-1]
    resumed = CliRunner().invoke(main, ["sweep", "--resume", "1", "--db", db])
    assert resumed.exit_code == 0, resumed.output


def test_prompts_need_a_model_source(tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("x\n")
    result = CliRunner().invoke(main, ["sweep", "--source", "zipf:V=10", "--prompts",
                                       str(prompts), "--db", f"sqlite:///{tmp_path / 'a.db'}"])
    assert result.exit_code == 2 and "model" in result.output


def test_ctrl_c_inside_a_cell_commit_interrupts_the_run_with_the_cell_whole(sessions,
                                                                            monkeypatch):
    spec = _spec()
    run_id = create_generation_run(sessions, spec, vocab_size=3965, name="gen")

    def ctrl_c_in_the_first_commit(spec, skip=None):
        # Listening from here on: the next transaction to end is the first cell's write.
        event.listen(sessions, "after_transaction_end",
                     lambda *_: signal.raise_signal(signal.SIGINT), once=True)
        yield from compute_cells(spec, skip=skip)

    monkeypatch.setattr(generation_storage, "compute_cells", ctrl_c_in_the_first_commit)
    # Not a ResourceClosedError from the transaction's cleanup (which marks the run failed).
    with pytest.raises(KeyboardInterrupt):
        execute_generation(sessions, run_id)
    assert get_run(sessions, run_id).status == "running"  # the CLI marks it interrupted
    assert len(written(sessions, run_id)) == 1
