"""Exact statistics and common-random-number draws of kept prefixes, from prefix sums."""

from __future__ import annotations

from typing import Any

import numpy as np

from runner.grid import CellParams
from runner.prefix import SortedRows, Tempered, kept_counts
from runner.stats.empirical import pooled_counts, row_counts
from service.sampling.presets import PRESETS


def _expected_distinct(t: Tempered, kept: np.ndarray, mass: np.ndarray, draws: int) -> np.ndarray:
    """sum over the kept prefix of 1 - (1 - w_i / C)^N, term by term in float64."""
    out = np.empty(kept.shape)
    for cell in range(kept.shape[0]):
        width = int(kept[cell].max())
        # In place: a = -q, then ln(1 - q), then N ln(1 - q), then (1 - q)^N - 1 = -f(q).
        terms = t.w[:, :width] * (-1.0 / mass[cell])[:, None]
        with np.errstate(divide="ignore"):  # q = 1 (a single kept token) gives -inf: f = 1
            np.log1p(terms, out=terms)
        terms *= draws
        np.expm1(terms, out=terms)
        if (kept[cell] < width).any():
            terms[np.arange(width)[None, :] >= kept[cell][:, None]] = 0.0
        out[cell] = -terms.sum(axis=1)
    return out


def exact_stats(rows: SortedRows, temperature: float, kept: np.ndarray,
                draws: int) -> dict[str, np.ndarray]:
    """(cells, rows) arrays of every exact statistic (docs/statistics.md)."""
    row = np.arange(rows.n_rows)[None, :]
    raw_log_z = np.log(rows.raw.cum[row, rows.finite - 1])
    if temperature == 0:
        ones, zeros = np.ones(kept.shape), np.zeros(kept.shape)
        return {"entropy": zeros, "renyi2_entropy": zeros, "min_entropy": zeros,
                "kept_count": ones, "kept_mass": ones, "expected_distinct": ones,
                "kl_to_original": np.broadcast_to(raw_log_z, kept.shape).copy()}
    t = rows.at(temperature)
    last = kept - 1
    mass = t.cum[row, last]  # C = sum of w over the kept prefix; w_0 = 1 so C >= 1
    log_mass = np.log(mass)
    return {
        "entropy": np.maximum(log_mass - t.cum_wlogw[row, last] / mass, 0.0),
        "renyi2_entropy": np.maximum(2 * log_mass - np.log(t.cum_w2[row, last]), 0.0),
        "min_entropy": log_mass,
        "kept_count": kept.astype(np.float64),
        "kept_mass": mass / t.cum[row, rows.finite - 1],
        # KL(q || p_raw) = sum q (ln w - ln C - (x - x_0) + ln Z_raw), and x - x_0 = T ln w.
        "kl_to_original": np.maximum((1 - temperature) * t.cum_wlogw[row, last] / mass
                                     - log_mass + raw_log_z, 0.0),
        "expected_distinct": _expected_distinct(t, kept, mass, draws),
    }


def inverse_cdf(cumulative: np.ndarray, kept: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """(cells, rows, N) first positions whose cumulative weight exceeds u times the kept mass.

    cumulative: (rows, width) running sums of each row's weights in sorted order; kept:
    (cells, rows) prefix lengths; uniforms: (rows, N), shared by every cell (CRN).
    """
    cells = kept.shape[0]
    out = np.empty((cells, *uniforms.shape), dtype=np.int64)
    # Sorted needles let each binary search start where the previous one ended.
    order = np.argsort(uniforms, axis=1)
    ascending = np.take_along_axis(uniforms, order, axis=1)
    for row in range(uniforms.shape[0]):
        mass = cumulative[row, kept[:, row] - 1]
        targets = ascending[row][None, :] * mass[:, None]
        found = np.searchsorted(cumulative[row], targets.ravel(), side="right")
        out[:, row, order[row]] = np.minimum(found.reshape(cells, -1), kept[:, row, None] - 1)
    return out


def draw_positions(rows: SortedRows, temperature: float, kept: np.ndarray,
                   uniforms: np.ndarray) -> np.ndarray:
    """(cells, rows, N) sorted positions drawn by inverse CDF over each kept prefix."""
    if temperature == 0:
        return np.zeros((kept.shape[0], *uniforms.shape), dtype=np.int64)
    return inverse_cdf(rows.at(temperature).cum, kept, uniforms)


def compute_prefix_chunk(rows: SortedRows, uniforms: np.ndarray, cells: list[CellParams],
                         preset: str) -> list[dict[str, Any]]:
    """Every cell's statistics, cells grouped by temperature."""
    samples = uniforms.shape[1]
    results: list[dict[str, Any]] = []
    start = 0
    while start < len(cells):
        stop = start
        while stop < len(cells) and cells[stop].temperature == cells[start].temperature:
            stop += 1
        group = cells[start:stop]
        temperature = group[0].temperature
        params = {name: np.array([getattr(c, name) for c in group]) for name in CellParams._fields}
        kept = kept_counts(rows, temperature, params, PRESETS[preset], preset == "llama.cpp")
        exact = exact_stats(rows, temperature, kept, samples)
        positions = draw_positions(rows, temperature, kept, uniforms)
        counts = row_counts(positions.reshape(-1, samples))
        for index in range(len(group)):
            span = slice(index * rows.n_rows, (index + 1) * rows.n_rows)
            means = {name: float(values[index].mean()) for name, values in exact.items()}
            means["perplexity"] = float(np.exp(means["entropy"]))
            cell_counts = {key: value[span] for key, value in counts.items()}
            results.append(means | pooled_counts(cell_counts, samples))
        start = stop
    return results
