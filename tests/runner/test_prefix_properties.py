"""Property test: on random small rows (ties, masked tokens) the prefix engine keeps exactly
the tokens the core keeps, for every preset.

Logits are multiples of 1/4: exact ties are common, while distinct logits stay distinct after
x - max and x / T. (Logits closer than float64 rounding, like 0 and 1e-73 next to a max of 1,
are a tie for some of the core's code paths and not for others; the contract does not say.)
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from runner.prefix import SortedRows, kept_counts
from service.sampling import PRESETS, process

LEVELS = [-np.inf, *(k / 4 for k in range(-20, 21))]


@st.composite
def rows_and_cells(draw):
    vocab = draw(st.integers(2, 30))
    rows = draw(st.integers(1, 3))
    values = draw(st.lists(st.sampled_from(LEVELS), min_size=rows * vocab,
                           max_size=rows * vocab))
    logits = np.array(values, dtype=np.float64).reshape(rows, vocab)
    logits[:, 0] = np.where(np.isinf(logits[:, 0]), 1.0, logits[:, 0])  # one finite per row
    cells = draw(st.integers(1, 4))
    params = {
        "top_p": np.array(draw(st.lists(st.sampled_from([0.05, 0.3, 0.5, 0.8, 0.95, 1.0])
                                        | st.floats(0.01, 1.0), min_size=cells,
                                        max_size=cells))),
        "top_k": np.array(draw(st.lists(st.integers(0, vocab + 2), min_size=cells,
                                        max_size=cells))),
        "min_p": np.array(draw(st.lists(st.sampled_from([0.0, 0.1, 0.5, 1.0]) |
                                        st.floats(0.0, 1.0), min_size=cells, max_size=cells))),
    }
    temperature = draw(st.sampled_from([0.0, 0.3, 1.0, 2.5]))
    return logits, params, temperature, draw(st.sampled_from(list(PRESETS)))


@settings(max_examples=150, deadline=None)
@given(rows_and_cells())
def test_prefix_kept_counts_equal_the_cores(case):
    logits, params, temperature, preset = case
    rows, cells = logits.shape[0], len(params["top_p"])
    kept = kept_counts(SortedRows(logits), temperature, params, PRESETS[preset],
                       exact_k=preset == "llama.cpp")
    batch = process(np.tile(logits, (cells, 1)), temperature=temperature, preset=preset,
                    **{name: np.repeat(values, rows).tolist() for name, values in params.items()})
    np.testing.assert_array_equal(kept.ravel(), batch.kept)
