"""Common random numbers: every cell draws with the same per-row uniforms."""

import numpy as np

from runner.chunk import draw_chunk
from runner.crn import row_seeds
from runner.grid import CellParams
from runner.rowcontext import RowContext
from runner.sources import load_source
from service.sampling import row_uniforms, sample

DRAWS = 400


def _setup():
    source = load_source("zipf:V=1000,s=1.1,rows=5,seed=4")
    seeds = row_seeds(123, source.n_rows)
    return source, seeds, row_uniforms(seeds, DRAWS)


def test_each_cell_draws_what_sample_would_with_the_row_seeds():
    source, seeds, uniforms = _setup()
    cells = [CellParams(t, p, k, 0.0, 1.0) for t, p, k in [(1.0, 1.0, 0), (0.7, 0.5, 0),
                                                             (1.3, 0.9, 20)]]
    _, tokens = draw_chunk(RowContext(source, "vllm"), uniforms, cells, "vllm", None)
    for index, cell in enumerate(cells):
        expected = sample(source.logits, n=DRAWS, seed=seeds.tolist(),
                          temperature=cell.temperature, top_p=cell.top_p, top_k=cell.top_k)
        np.testing.assert_array_equal(tokens[index * 5 : (index + 1) * 5], expected.tokens)


def test_cells_differing_only_in_top_p_are_monotonically_coupled():
    source, _, uniforms = _setup()
    cells = [CellParams(1.0, 1.0, 0, 0.0, 1.0), CellParams(1.0, 0.5, 0, 0.0, 1.0)]
    _, tokens = draw_chunk(RowContext(source, "vllm"), uniforms, cells, "vllm", None)
    rank = np.argsort(np.argsort(-source.logits, axis=1, kind="stable"), axis=1)
    full = np.take_along_axis(rank, tokens[:5], axis=1)
    truncated = np.take_along_axis(rank, tokens[5:], axis=1)
    # Same u: truncation only moves mass to better ranks, so a draw never gets worse, and it
    # is unchanged whenever the untruncated draw already fell inside the kept prefix's CDF.
    assert (truncated <= full).all()
    assert (truncated == full).mean() > 0.3
