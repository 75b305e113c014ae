"""The prefix engine keeps the core's kept sets, agrees on exact statistics, draws the same."""

import numpy as np
import pytest

from runner.chunk import compute_chunk
from runner.crn import row_seeds
from runner.grid import build_grid, grid_cells
from runner.prefix import SortedRows
from runner.prefix_stats import compute_prefix_chunk
from runner.rowcontext import RowContext
from runner.sources import Source, load_source
from service.db.models import EMPIRICAL_STATS, EXACT_STATS, RAW_COUNTS
from service.sampling import row_uniforms


def _tied_and_masked() -> Source:
    """Logits rounded to 0.5 (many ties) with masked tokens, as an npy dump might hold."""
    rng = np.random.default_rng(8)
    logits = np.round(rng.normal(0, 2, (4, 400)) * 2) / 2
    logits[:, rng.choice(400, 50, replace=False)] = -np.inf
    return Source("npy:tied", logits)


EMPIRICAL = EMPIRICAL_STATS + RAW_COUNTS
SOURCES = {
    "zipf": lambda: load_source("zipf:V=1500,s=1.1,rows=4,seed=0"),
    "gaussian": lambda: load_source("gaussian:V=2000,sigma=2,outliers=3,rows=4,seed=1"),
    "tied": _tied_and_masked,
}
GRID = build_grid({"temperature": "0,0.4,1,1.8", "top_p": "0.2,0.8,0.95,1",
                   "top_k": "0,1,9,300", "min_p": "0,0.02,0.3"})


@pytest.mark.parametrize("preset", ["vllm", "hf", "llama.cpp"])
@pytest.mark.parametrize("name", list(SOURCES))
def test_prefix_engine_matches_the_core(name, preset):
    source = SOURCES[name]()
    cells = grid_cells(GRID)
    uniforms = row_uniforms(row_seeds(5, source.n_rows), 50)
    core = compute_chunk(RowContext(source, preset), uniforms, cells, preset, None)
    fast = compute_prefix_chunk(SortedRows(source.logits), uniforms, cells, preset)
    for cell, a, b in zip(cells, core, fast, strict=True):
        assert a["kept_count"] == b["kept_count"], cell
        for stat in EXACT_STATS:
            assert b[stat] == pytest.approx(a[stat], rel=1e-10, abs=1e-13), (cell, stat)
        # Same uniforms, same sorted order, same cumulative sums: the very same draws.
        assert {k: a[k] for k in EMPIRICAL} == {k: b[k] for k in EMPIRICAL}, cell
