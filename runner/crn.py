"""Common random numbers: one seed per source row, derived from the run seed alone."""

from __future__ import annotations

import numpy as np

CRN_SCHEME = ("row r: Philox key = SeedSequence(run_seed, spawn_key=(r,)).generate_state(1, "
              "uint64)[0] >> 1; draw j of every cell uses uniform j of row r")


def row_seed(run_seed: int, row: int) -> int:
    """The sampling seed of source row `row`, in [0, 2**63), shared by every cell of the run."""
    state = np.random.SeedSequence(run_seed, spawn_key=(row,)).generate_state(1, np.uint64)
    return int(state[0] >> np.uint64(1))


def row_seeds(run_seed: int, rows: int) -> np.ndarray:
    """Seeds of rows 0..rows-1 as int64."""
    return np.array([row_seed(run_seed, r) for r in range(rows)], dtype=np.int64)
