"""Render a metric as a PNG heatmap over the temperature x top_p grid (shared by CLI and REST)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


class HeatmapError(ValueError):
    """The cells do not form a temperature x top_p grid (another knob varies), or hold no
    value of the metric (`field` then names it)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def metric_grid(cells: Sequence[Mapping], metric: str) -> tuple[list, list, np.ndarray]:
    """Temperatures, top_p values and the (T, P) metric matrix; NaN where a cell (or its value,
    such as a Self-BLEU the sweep did not compute) is missing."""
    temperatures = sorted({c["temperature"] for c in cells})
    top_ps = sorted({c["top_p"] for c in cells})
    values = np.full((len(temperatures), len(top_ps)), np.nan)
    row = {t: i for i, t in enumerate(temperatures)}
    col = {p: j for j, p in enumerate(top_ps)}
    seen: set[tuple[int, int]] = set()
    for cell in cells:
        i, j = row[cell["temperature"]], col[cell["top_p"]]
        if (i, j) in seen:
            raise HeatmapError(
                f"several cells at temperature={cell['temperature']:g}, top_p={cell['top_p']:g}:"
                " fix the other swept parameters (top_k, min_p, repetition_penalty)"
            )
        seen.add((i, j))
        values[i, j] = np.nan if cell[metric] is None else cell[metric]
    return temperatures, top_ps, values


def _labels(values: list) -> list[str]:
    return [f"{v:.3g}" for v in values]


def heatmap_png(cells: Sequence[Mapping], metric: str, title: str = "") -> bytes:
    """PNG bytes of `metric` with temperature on the y axis and top_p on the x axis."""
    if not cells:
        raise HeatmapError("no cells to plot")
    temperatures, top_ps, values = metric_grid(cells, metric)
    if np.isnan(values).all():
        raise HeatmapError(f"no cell has a value of {metric}", field="metric")
    # No pyplot: a bare Figure on the Agg canvas is safe in threads and needs no display.
    width = 1.6 + 0.45 * max(len(top_ps), 4)
    figure = Figure(figsize=(width, 1.2 + 0.35 * max(len(temperatures), 4)))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(np.ma.masked_invalid(values), origin="lower", aspect="auto", cmap="viridis")
    axes.set_xticks(range(len(top_ps)), _labels(top_ps), rotation=90 if len(top_ps) > 8 else 0)
    axes.set_yticks(range(len(temperatures)), _labels(temperatures))
    axes.set_xlabel("top_p")
    axes.set_ylabel("temperature")
    axes.set_title(title or metric)
    figure.colorbar(image, ax=axes, label=metric)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
