"""Fuzzed CLI input: stored text printed verbatim, and every bad input a clear error, never a
traceback."""

import json
import sqlite3

import numpy as np
import pytest
from click.testing import CliRunner

from runner import storage
from runner.cli import main
from runner.cli.loadtest import summary_lines
from runner.loadtest.storage import save
from runner.sweep import SweepSpec, create

TOO_BIG = str(2**63)  # no 64-bit key holds it; SQLite cannot even bind it
SOURCE = "zipf:V=50,rows=2"


def cli(*args, **kwargs):
    """Invoke `logitlab`; an uncaught exception fails the test with its traceback."""
    return CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=False,
                              **kwargs)


@pytest.fixture
def run_id(db_url):
    result = cli("sweep", "--source", SOURCE, "--samples", "5", "--db", db_url)
    assert result.exit_code == 0, result.output
    return 1


def loadtest_record(**changes):
    """A record as `logitlab loadtest` stores it; a run that made requests against a baseline."""
    endpoint = {"method": "POST", "name": "/echo", "requests": 10, "failures": 0, "rps": 5.0,
                "p50_ms": 4.0, "p95_ms": 9.0, "p99_ms": 15.0, "avg_ms": 5.1, "max_ms": 40.2}
    base = {"scenario": "small-json", "host": "http://127.0.0.1:1234", "self_hosted": True,
            "users": 2, "spawn_rate": 2.0, "duration_s": 1.0, "workers": 2,
            "config": {"user_rate": 0.0, "thresholds": {"max_failure_ratio": 0.0}},
            "requests": 10, "failures": 0, "failure_ratio": 0.0, "rps": 5.0, "p50_ms": 4.0,
            "p95_ms": 9.0, "p99_ms": 15.0, "avg_ms": 5.1, "max_ms": 40.2,
            "endpoints": [endpoint], "failure_messages": [],
            "baseline": {**endpoint, "endpoints": []}, "baseline_rps": 5.0,
            "baseline_ratio": 1.0, "rss": None, "rss_growth_pct": None, "fault": None,
            "passed": True, "problems": [], "code_version": "0.1.0", "locust_version": "2.47.0",
            "csv_dir": "/tmp/x"}
    return base | changes


# A run that made no request, against a baseline that made none either.
NO_REQUESTS = {"requests": 0, "failures": 0, "failure_ratio": 0.0, "rps": 0.0, "p50_ms": None,
               "p95_ms": None, "p99_ms": None, "avg_ms": None, "max_ms": None, "endpoints": [],
               "baseline": {"requests": 0, "failures": 0, "rps": 0.0, "p50_ms": None,
                            "p95_ms": None, "endpoints": []},
               "baseline_rps": 0.0, "baseline_ratio": None, "passed": False,
               "problems": ["no request was made"]}


# 1. Stored and user text is printed as is, never read as rich markup.

@pytest.mark.parametrize("name", ["[/]", "[red]x[/red] [bold]y", "a\\", "[link=x]z"])
def test_runs_list_and_show_print_names_verbatim(db_url, name):
    result = cli("sweep", "--source", SOURCE, "--samples", "5", "--name", name, "--db", db_url)
    assert result.exit_code == 0, result.output
    listed = cli("runs", "list", "--db", db_url)
    assert listed.exit_code == 0 and name in listed.output
    shown = cli("runs", "show", "1", "--db", db_url)
    assert shown.exit_code == 0 and f"run 1 {name} finished: {SOURCE}," in shown.output


def test_loadtests_list_prints_stored_text_verbatim(sessions, db_url):
    save(sessions, loadtest_record(scenario="[/]"))
    save(sessions, loadtest_record(scenario="[red]x[/red]"))
    listed = cli("loadtests", "list", "--db", db_url)
    assert listed.exit_code == 0 and "[/]" in listed.output and "[red]x[/red]" in listed.output


# 2. Ids beyond 64 bits are missing ids.

@pytest.mark.parametrize("command", [("runs", "show"), ("runs", "export"),
                                     ("runs", "plot", "--out", "x.png")])
def test_runs_ids_beyond_64_bits_are_missing(db_url, run_id, command):
    result = cli(*command[:2], TOO_BIG, *command[2:], "--db", db_url)
    assert result.exit_code == 1 and f"no run with id {TOO_BIG}" in result.output


def test_resume_and_loadtests_ids_beyond_64_bits_are_missing(db_url, sessions):
    result = cli("sweep", "--resume", TOO_BIG, "--db", db_url)
    assert result.exit_code == 1 and f"no run with id {TOO_BIG}" in result.output
    result = cli("loadtests", "show", TOO_BIG, "--db", db_url)
    assert result.exit_code == 1 and f"no load test with id {TOO_BIG}" in result.output
    assert storage.get_run(sessions, 2**63) is None and storage.get_run(sessions, -1) is None


# 3. Output files that cannot be written are click errors naming the path.

@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_export_to_a_missing_directory(db_url, run_id, fmt):
    result = cli("runs", "export", "1", "--format", fmt, "--out", "/nonexistent/dir/x.out",
                 "--db", db_url)
    assert result.exit_code == 1
    assert "cannot write /nonexistent/dir/x.out: No such file or directory" in result.output


def test_plot_to_a_missing_directory(db_url, run_id):
    result = cli("runs", "plot", "1", "--out", "/nonexistent/p.png", "--db", db_url)
    assert result.exit_code == 1
    assert "cannot write /nonexistent/p.png: No such file or directory" in result.output


@pytest.mark.parametrize("command", [("runs", "plot", "1", "--out"),
                                     ("runs", "export", "1", "--out"),
                                     ("bench", "--no-transformers", "--markdown")])
def test_an_empty_output_path_is_a_usage_error(db_url, run_id, command):
    db = ("--db", db_url) if command[0] == "runs" else ()
    result = cli(*command, "", *db)
    assert result.exit_code == 2 and "the path is empty" in result.output, result.output


def test_bench_markdown_to_a_missing_directory_fails_before_benchmarking(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("benchmarked before checking --markdown")

    monkeypatch.setattr("runner.bench.suite.run_suite", never)
    result = cli("bench", "--no-transformers", "--batch", "1", "--vocab", "100", "--repeats", "1",
                 "--markdown", "/nonexistent/x.md")
    assert result.exit_code == 1
    assert "cannot write /nonexistent/x.md: No such file or directory" in result.output


# 4. `logitlab sample`: unreadable .npy files and --show.

def test_sample_refuses_files_that_are_not_npy_arrays_of_numbers(tmp_path):
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"not npy")
    pickled = tmp_path / "pickled.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object))
    text = tmp_path / "text.npy"
    np.save(text, np.array(["a", "b"]))
    for path in (bad, pickled, text):
        result = cli("sample", "--logits", path)
        assert result.exit_code == 2, result.output
        assert str(path) in result.output and "not a .npy array of numbers" in result.output


def test_sample_show_zero_lists_no_top_tokens_and_negative_is_a_usage_error():
    result = cli("sample", "--show", "0", "-n", "3", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "drawn:" in result.output and "most likely" not in result.output
    result = cli("sample", "--show", "-1")
    assert result.exit_code == 2 and "--show" in result.output


# 5. `logitlab bench` bounds.

@pytest.mark.parametrize(("option", "value"), [("--batch", "0"), ("--batch", "-1"),
                                               ("--vocab", "0"), ("--vocab", "-5"),
                                               ("--repeats", "0"), ("--repeats", "-1")])
def test_bench_refuses_non_positive_sizes(option, value):
    args = {"--batch": "1", "--vocab": "100", "--repeats": "1"} | {option: value}
    result = cli("bench", "--no-transformers", *(x for pair in args.items() for x in pair))
    assert result.exit_code == 2 and option in result.output, result.output


# 6. `logitlab loadtest`: missing numbers, bad ports, validation before any side effect.

def test_summary_of_a_run_without_requests():
    lines = summary_lines(loadtest_record(**NO_REQUESTS), 1)
    text = "\n".join(lines)
    assert "ratio to baseline n/a" in text and "FAIL: no request was made" in text


def test_summary_with_missing_numbers_everywhere():
    record = loadtest_record(duration_s=None, failure_ratio=None, rps=None, baseline_ratio=None,
                             baseline={"rps": None, "failures": None},
                             config={"user_rate": None, "thresholds": {"max_p95_ms": None}},
                             rss={"warmup_s": None, "workers": {"11": {"start_mib": 1.0}}},
                             fault={"killed_pid": None, "killed_at_s": None, "replaced": False,
                                    "failed_requests": 0, "in_flight_bound": 1})
    assert "n/a" in "\n".join(summary_lines(record))


def test_loadtests_show_a_stored_run_without_requests(sessions, db_url):
    loadtest_id = save(sessions, loadtest_record(**NO_REQUESTS))
    result = cli("loadtests", "show", loadtest_id, "--db", db_url)
    assert result.exit_code == 0 and "ratio to baseline n/a" in result.output
    endpoint = loadtest_record()["endpoints"][0] | {"rps": None, "p50_ms": None}
    loadtest_id = save(sessions, loadtest_record(endpoints=[endpoint]))
    result = cli("loadtests", "show", loadtest_id, "--db", db_url)
    assert result.exit_code == 0 and "/echo: 10 requests, 0 failures, n/a rps" in result.output


@pytest.mark.parametrize("host", ["http://127.0.0.1:abc", "http://127.0.0.1:99999",
                                  "http://127.0.0.1:0", "http://[::1]:65536"])
def test_loadtest_refuses_invalid_ports(db_url, host, monkeypatch):
    monkeypatch.setattr("runner.loadtest.run.execute", lambda *a, **k: pytest.fail("ran"))
    result = cli("loadtest", "--scenario", "echo", "--duration", "1s", "--host", host,
                 "--db", db_url)
    assert result.exit_code == 2 and "port" in result.output and "1..65535" in result.output


@pytest.mark.parametrize("args", [("--host", "http://192.0.2.1:80"),
                                  ("--host", "http://127.0.0.1:1", "--kill-worker-at", "0.5"),
                                  ("--db", "nosuch://x")])
def test_loadtest_validates_before_making_a_temporary_directory(db_url, monkeypatch, args):
    monkeypatch.setattr("tempfile.mkdtemp", lambda *a, **k: pytest.fail("made a directory"))
    result = cli("loadtest", "--scenario", "echo", "--duration", "1s", "--db", db_url, *args)
    assert result.exit_code in (1, 2), result.output


def test_loadtest_out_dir_that_cannot_be_made(db_url, tmp_path, monkeypatch):
    monkeypatch.setattr("runner.loadtest.run.execute", lambda *a, **k: pytest.fail("ran"))
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = cli("loadtest", "--scenario", "echo", "--duration", "1s", "--no-baseline",
                 "--out-dir", blocker / "sub", "--db", db_url)
    assert result.exit_code == 1 and f"cannot create {blocker / 'sub'}" in result.output


# 7. and 8. Database errors.

def test_database_password_is_hidden_in_errors():
    for url in ("postgresql+psycopg://user:secret@127.0.0.1:1/x",
                "postgresql+psycopg://user:secret@127.0.0.1:abc/x",
                "nosuch://user:secret@host/x"):
        result = cli("runs", "list", "--db", url)
        assert result.exit_code == 1 and "cannot open database" in result.output
        assert "secret" not in result.output and "user:***@" in result.output


def test_database_of_a_newer_logit_lab(tmp_path, db_url, sessions):
    with sqlite3.connect(tmp_path / "lab.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099'")
    result = cli("runs", "list", "--db", db_url)
    assert result.exit_code == 1
    assert "the database was written by a newer Logit Lab (revision 0099; " in result.output
    assert result.output.rstrip().endswith("upgrade the code")


# 8. Messages.

def test_plot_of_a_run_without_cells(sessions, db_url, tmp_path):
    create(sessions, SweepSpec(SOURCE, {"temperature": [1.0], "top_p": [1.0], "top_k": [0],
                                        "min_p": [0.0], "repetition_penalty": [1.0]}, 5, 0))
    result = cli("runs", "plot", "1", "--out", tmp_path / "p.png", "--db", db_url)
    assert result.exit_code == 1 and "run 1 has no cells\n" in result.output
    result = cli("runs", "plot", "1", "--out", tmp_path / "p.png", "--top-k", "3",
                 "--db", db_url)
    assert result.exit_code == 1 and "run 1 has no cells at top_k=3" in result.output


def test_export_json_still_works(db_url, run_id, tmp_path):
    out = tmp_path / "cells.json"
    result = cli("runs", "export", "1", "--format", "json", "--out", out, "--db", db_url)
    assert result.exit_code == 0 and len(json.loads(out.read_text())) == 1


def test_sample_refuses_deeply_nested_json(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    result = cli("sample", "--logits", path)
    assert result.exit_code == 2 and "not a JSON array of numbers" in result.output


@pytest.mark.parametrize("command", [["render"], ["generate", "--max-tokens", "1", "--messages"]])
@pytest.mark.parametrize(("text", "expected"), [
    ("{bad", "not valid JSON"),
    ('{"role": "user", "content": "hi"}', "a JSON list"),
    ('[{"role": "user"}]', "0.content: Missing data for required field."),
    ('[{"role": "user", "content": 3}]', "0.content: Not a valid string."),
])
def test_a_bad_messages_file_is_a_usage_error_naming_what_is_wrong(tmp_path, command, text,
                                                                   expected):
    path = tmp_path / "chat.json"
    path.write_text(text, encoding="utf-8")
    result = cli(*command, path)
    assert result.exit_code == 2 and expected in result.output, result.output
    assert "{'" not in result.output  # no Python dict of messages


def test_generate_reads_a_template_file_as_render_does(tmp_path):
    template = tmp_path / "tpl.jinja"
    template.write_text("{% for m in messages %}<{{ m['content'] }}>{% endfor %}",
                        encoding="utf-8")
    chat = tmp_path / "chat.json"
    chat.write_text('[{"role": "user", "content": "The for"}]', encoding="utf-8")
    rendered = cli("render", chat, "--template", template)
    assert rendered.exit_code == 0 and rendered.output == "<The for>"
    result = cli("generate", "--messages", chat, "--template", template, "--max-tokens", "2",
                 "--seed", "1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.splitlines()[0])["prompt"] == "<The for>"
    missing = cli("generate", "--chat", "hi", "--template", "nope.jinja")
    assert missing.exit_code == 2 and "template: unknown template 'nope.jinja'" in missing.output
