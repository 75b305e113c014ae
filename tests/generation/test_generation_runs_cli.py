"""`logitlab runs list/show/export/plot` on a real generation sweep next to a token-level one."""

import csv
import io
import json

import pytest
from click.testing import CliRunner

from runner.cli.runs import runs
from runner.generation_storage import generation_rows
from service.db import open_database
from service.db.models import GENERATION_STATS, PARAMETERS
from tests.generation.stored_runs import generation_run, token_run


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('generation-cli') / 'lab.db'}"
    engine, sessions = open_database(url)
    gen, tokens = generation_run(sessions), token_run(sessions)
    rows = generation_rows(sessions, gen)
    engine.dispose()
    return url, gen, tokens, rows


def invoke(*args):
    return CliRunner().invoke(runs, [str(a) for a in args])


def test_list_counts_generation_cells(stored):
    url, gen, tokens, _ = stored
    listed = invoke("list", "--db", url)
    assert listed.exit_code == 0, listed.output
    rows = [line.replace("│", " ").split() for line in listed.output.splitlines()]
    cells = {row[0]: row[-3] for row in rows if "finished" in row}
    assert cells == {str(gen): "4/4", str(tokens): "4/4"}


def test_show_prints_generation_statistics(stored):
    url, gen, _, rows = stored
    shown = invoke("show", gen, "--db", url)
    assert shown.exit_code == 0, shown.output
    assert "4/4 cells, 3 continuations/prompt" in shown.output
    header = shown.output.splitlines()[2]
    for column in ("temperature", "top_p", "distinct_2", "mean_length", "self_bleu"):
        assert column in header
    assert "entropy" not in shown.output
    assert f"{rows[0]['distinct_2']:.4g}" in shown.output
    picked = invoke("show", gen, "--metric", "self_bleu", "--db", url)
    assert picked.exit_code == 0 and f"{rows[-1]['self_bleu']:.4g}" in picked.output


def test_show_rejects_another_engines_metric(stored):
    url, gen, tokens, _ = stored
    wrong = invoke("show", gen, "--metric", "entropy", "--db", url)
    assert wrong.exit_code == 2 and "distinct_2" in wrong.output and "entropy" in wrong.output
    other = invoke("show", tokens, "--metric", "mean_length", "--db", url)
    assert other.exit_code == 2 and "kept_mass" in other.output


def test_export_has_the_generation_columns(stored, tmp_path):
    url, gen, _, rows = stored
    as_json = invoke("export", gen, "--format", "json", "--db", url)
    assert as_json.exit_code == 0, as_json.output
    cells = json.loads(as_json.output)
    assert cells == rows and list(cells[0]) == list(PARAMETERS + GENERATION_STATS)
    as_csv = invoke("export", gen, "--db", url)
    table = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert list(table[0]) == list(PARAMETERS + GENERATION_STATS) and len(table) == 4
    assert [float(r["self_bleu"]) for r in table] == [r["self_bleu"] for r in rows]
    out = tmp_path / "gen.parquet"
    assert invoke("export", gen, "--format", "parquet", "--out", out, "--db", url).exit_code == 0
    import pyarrow.parquet as pq

    assert pq.read_table(out).column("mean_length").to_pylist() == [r["mean_length"] for r in rows]


def test_plot_defaults_to_a_generation_metric(stored, tmp_path):
    url, gen, tokens, _ = stored
    out = tmp_path / "gen.png"
    plotted = invoke("plot", gen, "--out", out, "--db", url)
    assert plotted.exit_code == 0, plotted.output
    assert out.read_bytes().startswith(b"\x89PNG") and out.stat().st_size > 2000
    bleu = invoke("plot", gen, "--metric", "self_bleu", "--out", tmp_path / "b.png", "--db", url)
    assert bleu.exit_code == 0, bleu.output
    wrong = invoke("plot", gen, "--metric", "kl_to_original", "--out", out, "--db", url)
    assert wrong.exit_code == 2 and "distinct_2" in wrong.output
    token_plot = invoke("plot", tokens, "--out", tmp_path / "t.png", "--db", url)
    assert token_plot.exit_code == 0 and (tmp_path / "t.png").exists()
