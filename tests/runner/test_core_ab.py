"""runner.bench.core_ab: two checkouts' sampling cores timed in interleaved rounds."""

import shutil
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from runner.bench import core_ab
from runner.bench.baselines import CONFIGS

ROOT = Path(__file__).resolve().parents[2]


def test_refuses_a_directory_that_is_not_a_checkout(tmp_path):
    result = CliRunner().invoke(core_ab.main, [str(tmp_path)])
    assert result.exit_code == 2
    assert "is not a Logit Lab checkout" in result.output


def test_times_every_configuration_on_both_cores():
    # This checkout against itself: the same results, so the comparison runs to the end.
    result = CliRunner().invoke(core_ab.main, [str(ROOT), "--vocab", "300", "--batch", "1",
                                               "--batch", "2", "--rounds", "1"])
    assert result.exit_code == 0, result.output
    rows = [line.split("|") for line in result.output.splitlines()
            if line.startswith("| 300 |")]
    assert [(cells[2].strip(), cells[3].strip()) for cells in rows] == [
        (str(batch), name) for batch in (1, 2) for name, _ in CONFIGS]
    for cells in rows:
        assert float(cells[4]) > 0 and float(cells[5]) > 0


def test_stops_when_the_two_cores_disagree(tmp_path):
    other = tmp_path / "other"
    shutil.copytree(ROOT / "service" / "sampling", other / "service" / "sampling")
    api = other / "service" / "sampling" / "api.py"
    # A core that draws from the wrong end of each uniform returns different tokens.
    api.write_text(api.read_text().replace("row_uniforms(batch.seeds, n)",
                                           "1 - row_uniforms(batch.seeds, n)"))
    result = CliRunner().invoke(core_ab.main, [str(other), "--vocab", "300", "--batch", "1",
                                               "--rounds", "1"])
    assert result.exit_code == 1
    assert "disagree" in result.output


def test_the_built_in_model_supplies_peaked_rows():
    rows = core_ab.model_logits(3)
    assert rows.shape[0] == 3 and rows.shape[1] > 1000
    # A language model's rows put more mass on their top 50 tokens than the Zipf rows (0.62).
    probs = np.exp(rows - rows.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    assert (np.sort(probs, axis=1)[:, -50:].sum(axis=1) > 0.75).all()
    assert len({row.tobytes() for row in rows}) == 3  # three different steps of the text
    result = CliRunner().invoke(core_ab.main, [str(ROOT), "--source", "model", "--batch", "1",
                                               "--rounds", "1"])
    assert result.exit_code == 0, result.output
    assert sum(line.startswith(f"| {rows.shape[1]} | 1 |")
               for line in result.output.splitlines()) == len(CONFIGS)
