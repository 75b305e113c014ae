"""Fuzzed sweep inputs: bounded grids, finite sources, extreme logits, no garbage stored."""

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from runner import grid as grid_module
from runner import sources as sources_module
from runner import storage
from runner.chunk import compute_chunk
from runner.cli.runs import runs
from runner.cli.sweep import sweep
from runner.crn import row_seeds
from runner.executors import Executor, ExecutorError
from runner.grid import GridSpecError, build_grid, grid_cells, parse_values
from runner.prefix import SortedRows
from runner.prefix_stats import compute_prefix_chunk
from runner.rowcontext import RowContext
from runner.sources import Source, SourceSpecError, load_source
from runner.sweep import SweepError, SweepSpec, chunk_cells_for, create, execute
from service.db.models import EMPIRICAL_STATS, EXACT_STATS, METRICS, RAW_COUNTS
from service.sampling import process, row_uniforms

SMALL = "zipf:V=100,rows=2"


def _invoke(db_url, *args):
    return CliRunner().invoke(sweep, [*map(str, args), "--db", db_url])


def _no_run(sessions, run_id=1):
    return storage.get_run(sessions, run_id) is None


# --- bug 1: bounded grids -------------------------------------------------------------------


@pytest.fixture
def no_big_linspace(monkeypatch):
    """Fail (instead of eating memory) if a range is expanded past the cap."""
    real = np.linspace

    def guarded(start, stop, num, *args, **kwargs):
        assert num <= 100_000, f"linspace with {num} points"
        return real(start, stop, num, *args, **kwargs)

    monkeypatch.setattr(np, "linspace", guarded)


@pytest.mark.usefixtures("no_big_linspace")
@pytest.mark.parametrize("text", ["1:2:1e9", "1:2:10001", "0:1:6000,2:3:6000"])
def test_a_parameter_has_at_most_max_values(text):
    with pytest.raises(GridSpecError, match="--temperature: at most 10000 values"):
        parse_values(text, "temperature")


def test_the_range_cap_is_inclusive():
    assert len(parse_values("0:1:10000", "temperature")) == grid_module.MAX_VALUES == 10_000


def test_the_grid_has_at_most_max_cells():
    assert grid_module.MAX_CELLS == 1_000_000
    options = {"temperature": "0.01:2:1000", "top_p": "0.001:1:1000", "min_p": "0,0.5"}
    with pytest.raises(GridSpecError, match="2000000 cells; at most 1000000"):
        build_grid(options)
    allowed = build_grid(options | {"min_p": "0"})
    assert math.prod(map(len, allowed.values())) == 1_000_000


def test_an_empty_option_is_an_error_not_the_default():
    with pytest.raises(GridSpecError, match="--temperature: no values given"):
        build_grid({"temperature": ""})


# --- bug 4: top_k ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["1e30", "9223372036854775808", "2147483648"])
def test_top_k_is_bounded(text):
    with pytest.raises(GridSpecError, match=r"--top-k: .* is out of range"):
        parse_values(text, "top_k")


def test_the_largest_top_k_is_exact():
    assert parse_values("2147483647,5", "top_k") == [5, 2**31 - 1]


@pytest.mark.parametrize("engine", ["prefix", "core"])
def test_top_k_beyond_the_bound_is_a_usage_error(db_url, sessions, engine):
    result = _invoke(db_url, "--source", SMALL, "--samples", 5, "--top-k", "1e30",
                     "--engine", engine)
    assert result.exit_code == 2 and "--top-k" in result.output, result.output
    assert _no_run(sessions)


def test_a_top_k_above_the_vocabulary_is_off(db_url):
    result = _invoke(db_url, "--source", SMALL, "--samples", 5, "--top-k", "0,2147483647")
    assert result.exit_code == 0, result.output
    off, huge = json.loads(CliRunner().invoke(runs, ["export", "1", "--format", "json",
                                                     "--db", db_url]).output)
    assert huge["kept_count"] == off["kept_count"] == 100


# --- bug 2: sources -------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [
    "zipf:s=nan", "zipf:s=inf", "gaussian:sigma=nan", "gaussian:sigma=inf",
    "gaussian:shift=inf,outliers=2,V=100,rows=2", "gaussian:shift=nan,outliers=2,V=100,rows=2",
    "gaussian:shift=-inf,outliers=2,V=100,rows=2",
])
def test_source_parameters_must_be_finite(spec):
    with pytest.raises(SourceSpecError, match="must be finite"):
        load_source(spec)


def test_a_synthetic_source_that_overflows_is_refused():
    with pytest.raises(SourceSpecError, match="not finite"):
        load_source("gaussian:V=10,rows=1,sigma=1e300,shift=1e300,outliers=1")


def test_a_repeated_source_key_is_refused():
    with pytest.raises(SourceSpecError, match="V given twice"):
        load_source("zipf:V=10,V=20")


def test_a_synthetic_source_is_bounded(monkeypatch):
    monkeypatch.setattr(sources_module, "MAX_SYNTHETIC_VALUES", 1000)
    with pytest.raises(SourceSpecError, match="rows x V = 2000"):
        load_source("zipf:V=1000,rows=2")
    assert load_source("zipf:V=500,rows=2").logits.shape == (2, 500)


def test_an_npy_row_without_a_finite_logit_is_refused(tmp_path):
    np.save(tmp_path / "allmask.npy", np.array([[0.0, 1.0], [-np.inf, -np.inf]]))
    with pytest.raises(SourceSpecError, match="row 1 has no finite logit"):
        load_source(f"npy:{tmp_path / 'allmask.npy'}")


def test_an_npy_without_rows_is_refused(tmp_path):
    np.save(tmp_path / "empty.npy", np.zeros((0, 5)))
    with pytest.raises(SourceSpecError, match="no rows"):
        load_source(f"npy:{tmp_path / 'empty.npy'}")


@pytest.mark.parametrize("spec", ["zipf:s=nan,V=100,rows=2",
                                  "gaussian:shift=nan,outliers=2,V=100,rows=2",
                                  "gaussian:shift=inf,outliers=2,V=100,rows=2",
                                  "zipf:V=10,V=20", "npy:allmask.npy", "npy:empty.npy"])
def test_bad_sources_are_usage_errors_and_record_nothing(db_url, sessions, tmp_path,
                                                         monkeypatch, spec):
    monkeypatch.chdir(tmp_path)
    np.save("allmask.npy", np.array([[0.0, 1.0], [-np.inf, -np.inf]]))
    np.save("empty.npy", np.zeros((0, 5)))
    result = _invoke(db_url, "--source", spec, "--samples", 5)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and _no_run(sessions)


# --- bug 2: extreme finite logits -----------------------------------------------------------

EXTREME = np.array([
    [1e308, -1e308, 0.0, -np.inf],
    [-1e308, 1e308, 1e308, 5e307],
    [1.7e308, -1.7e308, 1e300, -np.inf],
    [-1e308, -1.5e308, -1.7e308, -np.inf],
    [0.0, -1e308, 1.0, -1.7e308],
])
EXTREME_GRID = build_grid({"temperature": "0,0.3,0.5,1,2", "top_p": "0.5,1", "top_k": "0,1,2",
                           "min_p": "0,0.1"})


@pytest.mark.parametrize("preset", ["vllm", "hf", "llama.cpp"])
def test_extreme_logits_give_finite_statistics_in_both_engines(preset):
    source = Source("npy:extreme", EXTREME)
    cells = grid_cells(EXTREME_GRID)
    uniforms = row_uniforms(row_seeds(3, source.n_rows), 40)
    # No numpy warning either (pytest turns them into errors): overflows are expected, not hit.
    core = compute_chunk(RowContext(source, preset), uniforms, cells, preset, None)
    fast = compute_prefix_chunk(SortedRows(source.logits), uniforms, cells, preset)
    for cell, a, b in zip(cells, core, fast, strict=True):
        for stats in (a, b):
            assert all(math.isfinite(stats[name]) for name in METRICS), (cell, stats)
            assert all(stats[name] >= 0 for name in METRICS), (cell, stats)
        assert a["kept_count"] == b["kept_count"], cell
        for stat in EXACT_STATS:
            assert b[stat] == pytest.approx(a[stat], rel=1e-10, abs=1e-13), (cell, stat)
        assert {k: a[k] for k in EMPIRICAL_STATS + RAW_COUNTS} == \
               {k: b[k] for k in EMPIRICAL_STATS + RAW_COUNTS}, cell


@pytest.mark.parametrize("engine", ["prefix", "core"])
def test_an_extreme_row_matches_the_core_sampler(engine, sessions, tmp_path):
    np.save(tmp_path / "big.npy", np.array([[1e308, -1e308, 0.0]]))
    spec = SweepSpec(f"npy:{tmp_path / 'big.npy'}", build_grid({"temperature": "0.5"}), 5, 0,
                     engine=engine)
    run_id = create(sessions, spec)
    execute(sessions, run_id)
    (cell,) = storage.cell_rows(sessions, run_id)
    # The core keeps every finite token; x / T puts all the mass on token 0.
    kept = process(np.array([[1e308, -1e308, 0.0]]), temperature=0.5)
    assert cell["kept_count"] == np.diff(kept.indptr)[0] == 3
    assert cell["entropy"] == 0 and cell["kept_mass"] == 1 and cell["kl_to_original"] == 0
    assert cell["expected_distinct"] == 1 and cell["distinct_tokens"] == 1
    assert storage.get_run(sessions, run_id).status == "finished"


# --- no NaN or negative count ever reaches the database -------------------------------------


class _Garbage(Executor):
    """Yields statistics with a NaN, as a bug in an engine would."""

    def map(self, job, chunks):
        for chunk in chunks:
            yield chunk, [dict.fromkeys(METRICS, 1) | {"entropy": math.nan} for _ in chunk]


class _Negative(Executor):
    """Yields a negative count, as the NaN-source bug did (unique_3 = -2)."""

    def map(self, job, chunks):
        for chunk in chunks:
            yield chunk, [dict.fromkeys(METRICS, 1) | {"unique_3": -2} for _ in chunk]


@pytest.mark.parametrize(("executor", "message"), [(_Garbage, "entropy = nan"),
                                                   (_Negative, "unique_3 = -2")])
def test_invalid_statistics_fail_the_run_and_are_not_stored(sessions, executor, message):
    run_id = create(sessions, SweepSpec(SMALL, build_grid({"top_p": "0.5,1"}), 5, 0))
    with pytest.raises(SweepError, match=message):
        execute(sessions, run_id, executor=executor())
    assert storage.cell_rows(sessions, run_id) == []
    assert storage.get_run(sessions, run_id).status == "failed"


class _Broken(Executor):
    def map(self, job, chunks):
        raise ExecutorError("workers died")
        yield


def test_an_executor_error_marks_the_run_failed(db_url, sessions, monkeypatch):
    monkeypatch.setattr("runner.cli.sweep.make_executor", lambda *args: _Broken())
    result = _invoke(db_url, "--source", SMALL, "--samples", 5)
    assert result.exit_code == 1 and "workers died" in result.output
    assert storage.get_run(sessions, 1).status == "failed"


# --- bugs 3 and 5: chunk sizes --------------------------------------------------------------


def test_chunk_cells_never_divide_by_zero_and_fit_the_grid():
    assert chunk_cells_for(0, 5, 10) >= 1
    assert chunk_cells_for(4, 100, 10, budget=2**80, cells=7) == 7
    assert chunk_cells_for(4, 100, 10, budget=1, cells=7) == 1


def test_a_huge_memory_budget_is_clamped_to_the_grid(sessions):
    run_id = create(sessions, SweepSpec(SMALL, build_grid({"top_p": "0.5,1"}), 5, 0,
                                        memory_budget=2**100))
    assert storage.get_run(sessions, run_id).chunk_cells == 2


def test_memory_mb_is_bounded(db_url, sessions):
    result = _invoke(db_url, "--source", SMALL, "--samples", 5, "--memory-mb",
                     "99999999999999999")
    assert result.exit_code == 2 and "--memory-mb" in result.output, result.output
    assert _no_run(sessions)


# --- bug 8: options that cannot apply -------------------------------------------------------


@pytest.fixture
def finished(db_url):
    result = _invoke(db_url, "--source", SMALL, "--samples", 5)
    assert result.exit_code == 0, result.output


@pytest.mark.usefixtures("finished")
@pytest.mark.parametrize("option", [["--seed", "999"], ["--samples", "3"], ["--preset", "hf"],
                                    ["--source", SMALL], ["--name", "x"], ["--engine", "core"],
                                    ["--memory-mb", "10"], ["--max-tokens", "5"],
                                    ["--self-bleu"]])
def test_resume_refuses_options_it_cannot_change(db_url, option):
    result = _invoke(db_url, "--resume", 1, *option)
    assert result.exit_code == 2, result.output
    assert f"drop {option[0]}" in result.output


@pytest.mark.usefixtures("finished")
def test_resume_may_choose_the_executor(db_url):
    result = _invoke(db_url, "--resume", 1, "--executor", "local")
    assert result.exit_code == 0, result.output


def test_a_core_refusal_mid_run_is_a_clear_error_and_fails_the_run(db_url, sessions):
    result = _invoke(db_url, "--source", "gaussian:V=50,rows=2,context=2", "--samples", 5,
                     "--repetition-penalty", "1e-310")
    assert result.exit_code == 1, result.output
    assert "repetition_penalty 1e-310 makes the logit" in result.output
    assert isinstance(result.exception, SystemExit)  # a ClickException, not a traceback
    assert storage.get_run(sessions, 1).status == "failed"
