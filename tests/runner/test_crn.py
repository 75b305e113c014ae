"""Common random numbers: every cell draws with the same per-row uniforms, in sorted order."""

import numpy as np
import pytest

from runner.chunk import padded_ids, process_chunk, sorted_positions
from runner.crn import row_seeds
from runner.grid import CellParams
from runner.prefix import SortedRows, kept_counts
from runner.prefix_stats import draw_positions
from runner.rowcontext import RowContext
from runner.sources import load_source
from service.sampling import PRESETS, row_uniforms

DRAWS = 400
ROWS = 5


def _setup():
    source = load_source(f"zipf:V=1000,s=1.1,rows={ROWS},seed=4")
    return source, row_uniforms(row_seeds(123, source.n_rows), DRAWS)


def _prefix_ranks(source, uniforms, cells):
    rows = SortedRows(source.logits)
    out = []
    for cell in cells:  # one temperature group per cell keeps this helper simple
        params = {name: np.array([getattr(cell, name)]) for name in CellParams._fields}
        kept = kept_counts(rows, cell.temperature, params, PRESETS["vllm"], exact_k=False)
        out.append(draw_positions(rows, cell.temperature, kept, uniforms)[0])
    return np.stack(out)


def _core_ranks(source, uniforms, cells):
    ctx = RowContext(source, "vllm")
    batch = process_chunk(ctx, cells, "vllm", None)
    return np.stack([sorted_positions(ctx, *padded_ids(batch, i * ROWS, (i + 1) * ROWS), cell,
                                      uniforms) for i, cell in enumerate(cells)])


def test_row_seeds_follow_the_documented_scheme():
    seeds = row_seeds(123, 3)
    for row, seed in enumerate(seeds.tolist()):
        state = np.random.SeedSequence(123, spawn_key=(row,)).generate_state(1, np.uint64)[0]
        assert seed == int(state) >> 1 and 0 <= seed < 2**63
    assert len(set(seeds.tolist())) == 3


@pytest.mark.parametrize("ranks_of", [_prefix_ranks, _core_ranks], ids=["prefix", "core"])
def test_cells_differing_only_in_top_p_share_uniforms(ranks_of):
    source, uniforms = _setup()
    full, truncated = ranks_of(source, uniforms, [CellParams(1.0, 1.0, 0, 0.0, 1.0),
                                                  CellParams(1.0, 0.5, 0, 0.0, 1.0)])
    # Inverse CDF in sorted order with the same u: a truncation can only move a draw to a
    # better (or equal) rank, and below the top token's mass both draw the top token.
    assert (truncated <= full).all()
    x = source.logits
    top_mass = 1 / np.exp(x - x.max(axis=1, keepdims=True)).sum(axis=1)
    head = uniforms < top_mass[:, None]
    assert head.mean() > 0.1 and (full[head] == 0).all() and (truncated[head] == 0).all()


def test_both_engines_draw_identically():
    source, uniforms = _setup()
    cells = [CellParams(t, p, k, m, 1.0) for t, p, k, m in
             [(0.0, 1.0, 0, 0.0), (0.3, 0.9, 0, 0.0), (1.0, 1.0, 0, 0.0), (1.7, 0.8, 50, 0.01)]]
    np.testing.assert_array_equal(_prefix_ranks(source, uniforms, cells),
                                  _core_ranks(source, uniforms, cells))


def test_prefix_draws_are_the_documented_inverse_cdf():
    source, uniforms = _setup()
    [positions] = _prefix_ranks(source, uniforms, [CellParams(1.0, 0.9, 0, 0.0, 1.0)])
    p = np.sort(np.exp(source.logits[0] - source.logits[0].max()))[::-1]
    cumulative = np.cumsum(p / p.sum())
    kept = int(np.argmax(cumulative >= 0.9 - 1e-9)) + 1
    cdf = cumulative[:kept] / cumulative[kept - 1]
    # The first token whose cumulative mass exceeds u.
    np.testing.assert_array_equal(positions[0], np.searchsorted(cdf, uniforms[0], side="right"))
