"""The CLI end to end with click's CliRunner: sweep into SQLite, then list/show/export/plot."""

import csv
import io
import json

import pytest
from click.testing import CliRunner

from runner.cli.db import db
from runner.cli.runs import runs
from runner.cli.sweep import sweep
from service.db.models import METRICS, PARAMETERS

SOURCE = "zipf:V=300,s=1.1,rows=4,seed=0"


@pytest.fixture
def swept(db_url):
    result = CliRunner().invoke(sweep, [
        "--source", SOURCE, "--temperature", "0.5,1.0", "--top-p", "0.5:1:3", "--samples", "30",
        "--seed", "9", "--name", "cli", "--db", db_url,
    ])
    assert result.exit_code == 0, result.output
    return result


def test_sweep_prints_run_id_and_summary(swept):
    assert swept.output.startswith("run id 1\n")
    assert "temperature" in swept.output and "kept_mass" in swept.output


def test_runs_list_and_show(swept, db_url):
    listed = CliRunner().invoke(runs, ["list", "--db", db_url])
    assert listed.exit_code == 0 and "cli" in listed.output and "6/6" in listed.output
    shown = CliRunner().invoke(runs, ["show", "1", "--db", db_url, "--metric", "entropy"])
    assert shown.exit_code == 0 and "finished" in shown.output and "entropy" in shown.output
    missing = CliRunner().invoke(runs, ["show", "42", "--db", db_url])
    assert missing.exit_code == 1 and "no run with id 42" in missing.output


def test_export_json_csv_and_parquet(swept, db_url, tmp_path):
    as_json = CliRunner().invoke(runs, ["export", "1", "--format", "json", "--db", db_url])
    cells = json.loads(as_json.output)
    assert len(cells) == 6 and list(cells[0]) == list(PARAMETERS + METRICS)
    assert {(c["temperature"], c["top_p"]) for c in cells} == {
        (t, p) for t in (0.5, 1.0) for p in (0.5, 0.75, 1.0)}
    as_csv = CliRunner().invoke(runs, ["export", "1", "--db", db_url])
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert len(rows) == 6 and float(rows[0]["entropy"]) == cells[0]["entropy"]
    out = tmp_path / "cells.parquet"
    result = CliRunner().invoke(runs, ["export", "1", "--format", "parquet", "--out", str(out),
                                       "--db", db_url])
    assert result.exit_code == 0, result.output
    import pyarrow.parquet as pq

    table = pq.read_table(out)
    assert table.num_rows == 6 and table.column("entropy").to_pylist()[0] == cells[0]["entropy"]


def test_plot_writes_a_png(swept, db_url, tmp_path):
    out = tmp_path / "entropy.png"
    result = CliRunner().invoke(runs, ["plot", "1", "--metric", "entropy", "--out", str(out),
                                       "--db", db_url])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG") and out.stat().st_size > 2000


def test_plot_needs_other_swept_knobs_fixed(db_url, tmp_path):
    CliRunner().invoke(sweep, ["--source", SOURCE, "--top-p", "0.5,1", "--top-k", "0,5",
                               "--samples", "5", "--db", db_url])
    out = tmp_path / "k.png"
    loose = CliRunner().invoke(runs, ["plot", "1", "--out", str(out), "--db", db_url])
    assert loose.exit_code == 2 and "pick one with --top-k" in loose.output
    fixed = CliRunner().invoke(runs, ["plot", "1", "--out", str(out), "--top-k", "5",
                                      "--db", db_url])
    assert fixed.exit_code == 0 and out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--temperature", "0.1:2"], "must be start:stop:count"),
        (["--top-p", "1.5"], "--top-p: 1.5 is out of range"),
        (["--source", "zipf:V=abc"], "V='abc' is not a valid int"),
        (["--source", "npy:/missing.npy"], "no such file"),
        (["--repetition-penalty", "1.2"], "needs a context"),
        (["--samples", "0"], "--samples must be in 1..10000"),
        (["--source", "zipf:V=50,context=2", "--repetition-penalty", "1.5", "--engine",
          "prefix"], "--engine prefix cannot apply a repetition penalty"),
        (["--resume", "1", "--top-p", "0.5"],
         "--resume reuses the run's grid and settings; drop --top-p"),
    ],
)
def test_bad_options_are_usage_errors(db_url, args, message):
    result = CliRunner().invoke(sweep, ["--source", SOURCE, *args, "--db", db_url])
    assert result.exit_code == 2 and message in result.output


def test_repetition_penalty_with_a_context(db_url):
    result = CliRunner().invoke(sweep, ["--source", "zipf:V=200,rows=2,context=3",
                                        "--repetition-penalty", "1.0,2.0", "--samples", "20",
                                        "--db", db_url])
    assert result.exit_code == 0, result.output
    cells = json.loads(CliRunner().invoke(
        runs, ["export", "1", "--format", "json", "--db", db_url]).output)
    off, on = cells
    # Penalising the three most likely tokens flattens the distribution.
    assert on["entropy"] > off["entropy"] and on["kl_to_original"] > off["kl_to_original"] == 0


def test_db_upgrade(db_url):
    result = CliRunner().invoke(db, ["upgrade", "--db", db_url])
    assert result.exit_code == 0 and "database at head" in result.output


def test_npy_source_is_recorded_with_an_absolute_path(db_url, tmp_path, monkeypatch):
    import numpy as np

    monkeypatch.chdir(tmp_path)
    np.save("rows.npy", np.log(np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])))
    result = CliRunner().invoke(sweep, ["--source", "npy:rows.npy", "--top-p", "0.8,1",
                                        "--samples", "10", "--db", db_url])
    assert result.exit_code == 0, result.output
    listed = CliRunner(env={"COLUMNS": "300"}).invoke(runs, ["list", "--db", db_url])
    assert f"npy:{tmp_path / 'rows.npy'}" in listed.output
    cells = json.loads(CliRunner().invoke(runs, ["export", "1", "--format", "json",
                                                 "--db", db_url]).output)
    # [0.5, 0.3, 0.2] at top_p 0.8 stops at 0.5 + 0.3 (the 1e-9 rule), [0.8, ...] at 0.8.
    assert [c["kept_count"] for c in cells] == [1.5, 3.0]
    assert cells[0]["kept_mass"] == pytest.approx((0.8 + 0.8) / 2)
