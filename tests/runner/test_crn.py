"""Common random numbers: every cell draws with the same per-row uniforms."""

import numpy as np
import pytest

from runner.chunk import draw_chunk
from runner.crn import row_seeds
from runner.grid import CellParams
from runner.prefix import SortedRows, kept_counts
from runner.prefix_stats import draw_positions
from runner.rowcontext import RowContext
from runner.sources import load_source
from service.sampling import PRESETS, row_uniforms, sample

DRAWS = 400
ROWS = 5


def _setup():
    source = load_source(f"zipf:V=1000,s=1.1,rows={ROWS},seed=4")
    seeds = row_seeds(123, source.n_rows)
    return source, seeds, row_uniforms(seeds, DRAWS)


def _ranks(source, tokens):
    rank = np.argsort(np.argsort(-source.logits, axis=1, kind="stable"), axis=1)
    return np.take_along_axis(rank, tokens, axis=1)


def _prefix_ranks(source, uniforms, top_ps):
    rows = SortedRows(source.logits)
    params = {"top_p": np.array(top_ps), "top_k": np.zeros(len(top_ps), int),
              "min_p": np.zeros(len(top_ps))}
    kept = kept_counts(rows, 1.0, params, PRESETS["vllm"], exact_k=False)
    return draw_positions(rows, 1.0, kept, uniforms)  # sorted positions are the ranks


def _core_ranks(source, uniforms, top_ps):
    cells = [CellParams(1.0, p, 0, 0.0, 1.0) for p in top_ps]
    _, tokens = draw_chunk(RowContext(source, "vllm"), uniforms, cells, "vllm", None)
    return np.stack([_ranks(source, block) for block in tokens.reshape(len(top_ps), ROWS, -1)])


def test_core_cells_draw_what_sample_would_with_the_row_seeds():
    source, seeds, uniforms = _setup()
    cells = [CellParams(1.0, 1.0, 0, 0.0, 1.0), CellParams(0.7, 0.5, 0, 0.0, 1.0),
             CellParams(1.3, 0.9, 20, 0.0, 1.0)]
    _, tokens = draw_chunk(RowContext(source, "vllm"), uniforms, cells, "vllm", None)
    for index, cell in enumerate(cells):
        expected = sample(source.logits, n=DRAWS, seed=seeds.tolist(),
                          temperature=cell.temperature, top_p=cell.top_p, top_k=cell.top_k)
        np.testing.assert_array_equal(tokens[index * ROWS : (index + 1) * ROWS], expected.tokens)


@pytest.mark.parametrize("ranks_of", [_prefix_ranks, _core_ranks], ids=["prefix", "core"])
def test_cells_differing_only_in_top_p_share_uniforms(ranks_of):
    source, _, uniforms = _setup()
    full, truncated = ranks_of(source, uniforms, [1.0, 0.5])
    # docs/sampling.md: inverse CDF in sorted order, so with the same u a truncation can only
    # move a draw to a better (or equal) rank; below the top token's mass both draw it.
    assert (truncated <= full).all()
    x = source.logits
    top_mass = 1 / np.exp(x - x.max(axis=1, keepdims=True)).sum(axis=1)
    head = uniforms < top_mass[:, None]
    assert head.mean() > 0.1 and (full[head] == 0).all() and (truncated[head] == 0).all()


def test_prefix_draws_are_the_documented_inverse_cdf():
    source, _, uniforms = _setup()
    [positions] = _prefix_ranks(source, uniforms, [0.9])
    p = np.sort(np.exp(source.logits[0] - source.logits[0].max()))[::-1]
    cumulative = np.cumsum(p / p.sum())
    kept = int(np.argmax(cumulative >= 0.9 - 1e-9)) + 1
    cdf = cumulative[:kept] / cumulative[kept - 1]
    # The first token whose cumulative mass exceeds u.
    np.testing.assert_array_equal(positions[0], np.searchsorted(cdf, uniforms[0], side="right"))
