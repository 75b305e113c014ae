"""`logitlab sweep --prompts`: inputs checked before a run exists, failures recorded."""

import pytest
from click.testing import CliRunner

from runner import storage
from runner.cli.sweep import sweep


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGITLAB_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def prompts(tmp_path):
    path = tmp_path / "prompts.txt"
    path.write_text("The for statement\n")
    return path


def _invoke(db_url, *args):
    return CliRunner().invoke(sweep, ["--source", "ngram-pydoc", *map(str, args),
                                      "--db", db_url])


def _small(prompts):
    return ["--prompts", prompts, "--max-tokens", 2, "--samples", 1]


def test_a_prompts_file_that_is_not_utf8_is_a_usage_error(db_url, sessions, tmp_path):
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"\xff\xfebad\n")
    result = _invoke(db_url, "--prompts", latin)
    assert result.exit_code == 2 and "not UTF-8" in result.output, result.output
    assert storage.get_run(sessions, 1) is None


@pytest.mark.parametrize("seed", ["-1", str(2**63)])
def test_the_seed_is_checked_before_the_run_exists(db_url, sessions, prompts, seed):
    result = _invoke(db_url, *_small(prompts), "--seed", seed)
    assert result.exit_code == 2 and "--seed must be in [0, 2**63)" in result.output, \
        result.output
    assert storage.get_run(sessions, 1) is None


def test_a_grid_error_is_not_blamed_on_the_model(db_url, prompts):
    result = _invoke(db_url, *_small(prompts), "--temperature", "-1")
    assert result.exit_code == 2 and "--temperature: -1 is out of range" in result.output
    assert "needs a model" not in result.output


def test_an_unknown_model_still_says_so(db_url, prompts):
    result = CliRunner().invoke(sweep, ["--source", "zipf:V=10", "--prompts", str(prompts),
                                        "--db", db_url])
    assert result.exit_code == 2 and "--prompts needs a model as --source" in result.output


@pytest.mark.parametrize("option", [["--executor", "processes"], ["--engine", "core"],
                                    ["--memory-mb", "10"],
                                    ["--executor", "dask", "--scheduler", "tcp://h:1"]])
def test_token_sweep_options_are_refused_with_prompts(db_url, sessions, prompts, option):
    result = _invoke(db_url, *_small(prompts), *option)
    assert result.exit_code == 2 and "a generation sweep (--prompts)" in result.output
    assert f"drop {option[0]}" in result.output, result.output
    assert storage.get_run(sessions, 1) is None


def test_an_unexpected_error_marks_the_run_failed(db_url, sessions, prompts, monkeypatch):
    def broken(spec, skip=None):
        raise RuntimeError("model exploded")
        yield

    monkeypatch.setattr("runner.generation_storage.compute_cells", broken)
    result = _invoke(db_url, *_small(prompts))
    assert result.exit_code == 1 and isinstance(result.exception, RuntimeError)
    assert storage.get_run(sessions, 1).status == "failed"


def test_resume_refuses_options_it_cannot_change(db_url, prompts):
    assert _invoke(db_url, *_small(prompts)).exit_code == 0
    for option in (["--seed", "3"], ["--samples", "2"], ["--max-tokens", "3"],
                   ["--engine", "core"]):
        result = CliRunner().invoke(sweep, ["--resume", "1", *option, "--db", db_url])
        assert result.exit_code == 2 and f"drop {option[0]}" in result.output, result.output
    resumed = CliRunner().invoke(sweep, ["--resume", "1", "--db", db_url])
    assert resumed.exit_code == 0, resumed.output
