"""`logitlab sample` and `logitlab bench` through click's runner."""

import json

from click.testing import CliRunner

from runner.cli import main


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_sample_demo_row_is_reproducible_and_json():
    first = run("sample", "--top-p", "0.9", "--temperature", "0.8", "-n", "5", "--seed", "3",
                "--json")
    again = run("sample", "--top-p", "0.9", "--temperature", "0.8", "-n", "5", "--seed", "3",
                "--json")
    assert first.exit_code == 0, first.output
    result = json.loads(first.output)
    assert result == json.loads(again.output)
    assert len(result["tokens"][0]) == 5 and result["seed"] == [3]
    assert [step["stage"] for step in result["trace"][0]][-1] == "top_p"


def test_sample_reads_json_logits_and_never_draws_a_masked_token(tmp_path):
    path = tmp_path / "logits.json"
    path.write_text(json.dumps([[0.0, None, 0.0], [None, 1.0, 1.0]]))
    out = run("sample", "--logits", str(path), "-n", "200", "--seed", "1", "--json")
    assert out.exit_code == 0, out.output
    tokens = json.loads(out.output)["tokens"]
    assert 1 not in tokens[0] and 0 not in tokens[1]


def test_sample_reports_bad_parameters_without_a_traceback():
    out = run("sample", "--top-p", "2")
    assert out.exit_code != 0
    assert "top_p must be in [0, 1]" in out.output and "Traceback" not in out.output
    out = run("sample", "--context", "1,x")
    assert out.exit_code == 2 and "comma-separated token ids" in out.output


def test_bench_without_transformers_writes_the_table(tmp_path):
    table = tmp_path / "bench.md"
    out = run("bench", "--no-transformers", "--batch", "2", "--vocab", "4096", "--repeats", "1",
              "--markdown", str(table))
    assert out.exit_code == 0, out.output
    lines = table.read_text().splitlines()
    assert lines[0].startswith("| B | config | core ms")
    assert sum(line.startswith("| 2 |") for line in lines) == 5
    assert "B=2: transformers skipped; truncating configs faster than np.exp" in out.output
