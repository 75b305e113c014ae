"""Sweep benchmark: the vectorized engine vs a naive per-cell loop over the transformers chain.

Both sides compute every statistic of every cell of the same grid (no database writes; the
end-to-end `logitlab sweep` time is measured separately). Torch runs on one thread, like
numpy, so the ratio compares algorithms rather than thread counts.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

from runner.crn import row_seeds
from runner.grid import CellParams, build_grid, grid_cells
from runner.prefix import SortedRows
from runner.prefix_stats import compute_prefix_chunk
from runner.sources import load_source
from runner.stats.empirical import pooled_counts, row_counts
from runner.sweep import chunk_cells_for
from service.sampling import row_uniforms

SOURCE = "zipf:V=32000,s=1.1,rows=64,seed=0"
GRID = {"temperature": "0.1:2.0:20", "top_p": "0.5:1.0:20"}


def vectorized(logits: np.ndarray, cells: list[CellParams], samples: int, seed: int) -> None:
    """The sweep engine's compute path (prefix engine), chunked as `logitlab sweep` does."""
    rows = SortedRows(logits)
    uniforms = row_uniforms(row_seeds(seed, logits.shape[0]), samples)
    size = chunk_cells_for(logits.shape[0], logits.shape[1], samples, engine="prefix")
    for first in range(0, len(cells), size):
        compute_prefix_chunk(rows, uniforms, cells[first : first + size], "vllm")


def naive(logits: np.ndarray, cells: list[CellParams], samples: int, seed: int) -> None:
    """One cell at a time: transformers warpers, softmax, torch.multinomial, dense statistics."""
    import torch
    from transformers import LogitsProcessorList, TemperatureLogitsWarper, TopPLogitsWarper

    torch.set_num_threads(1)
    scores_in = torch.tensor(logits, dtype=torch.float32)
    raw_logp = torch.log_softmax(torch.tensor(logits, dtype=torch.float64), dim=-1)
    generator = torch.Generator().manual_seed(seed)
    for cell in cells:
        chain = LogitsProcessorList([TemperatureLogitsWarper(cell.temperature)])
        if cell.top_p < 1:
            chain.append(TopPLogitsWarper(cell.top_p))
        scores = chain(None, scores_in.clone())
        tokens = torch.multinomial(torch.softmax(scores, dim=-1), samples, replacement=True,
                                   generator=generator)
        q = torch.softmax(scores.double(), dim=-1)
        kept = q > 0
        log_q = torch.where(kept, q.log(), torch.zeros_like(q))
        tempered = torch.softmax(scores_in.double() / cell.temperature, dim=-1)
        entropy = -(q * log_q).sum(-1)
        _ = (entropy, -torch.log((q * q).sum(-1)), -torch.log(q.max(-1).values),
             kept.sum(-1), (tempered * kept).sum(-1), (q * (log_q - raw_logp)).sum(-1),
             (1 - (1 - q) ** samples).sum(-1), entropy.mean().exp())
        pooled_counts(row_counts(tokens.numpy()), samples)


def timed(function: Callable[[], None], repeats: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each repeat (CPU time is steadier on shared cores)."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def run(source: str = SOURCE, grid: dict[str, str] | None = None, samples: int = 1000,
        seed: int = 0, repeats: int = 3, naive_repeats: int = 1) -> dict[str, float]:
    """Median wall-clock and CPU seconds of both sides, and their ratios."""
    logits = load_source(source).logits
    cells = grid_cells(build_grid(grid or GRID))
    fast, fast_cpu = timed(lambda: vectorized(logits, cells, samples, seed), repeats)
    slow, slow_cpu = timed(lambda: naive(logits, cells, samples, seed), naive_repeats)
    median = statistics.median
    return {"cells": len(cells), "vectorized_s": median(fast), "naive_s": median(slow),
            "ratio": median(slow) / median(fast), "vectorized_cpu_s": median(fast_cpu),
            "naive_cpu_s": median(slow_cpu), "cpu_ratio": median(slow_cpu) / median(fast_cpu)}
