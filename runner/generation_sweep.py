"""Generation sweeps: continuations of prompts from a built-in model over a knob grid."""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from runner.generation_stats import SELF_BLEU_SMOOTHING, generation_stats
from runner.grid import CellParams, grid_cells
from service.generation.loop import GenerationRequest, generate
from service.lm.base import LanguageModel
from service.lm.registry import load_model

CRN_SCHEME = "prompt i uses seed + i in every cell; choice j, step t: SeedSequence([s, j, t])"


@dataclass
class GenerationSweepSpec:
    """The model, the prompts, the grid and how much to generate per cell."""

    source: str  # a model name: ngram-pydoc, ngram:PATH.npz or hf:PATH
    prompts: list[str]
    grid: dict[str, list[float | int]]  # knob -> values (runner.grid); missing = default
    max_tokens: int = 64
    samples: int = 8  # continuations per prompt per cell
    seed: int = 0
    preset: str = "vllm"
    self_bleu: bool = False
    stop: list[str] = field(default_factory=list)

    def cells(self) -> list[CellParams]:
        """Every combination of the grid's values, in the runner's stable order."""
        return grid_cells(self.grid)

    def conventions(self) -> dict[str, Any]:
        """How the statistics are defined (stored with the run)."""
        return {"tokens": "model token ids", "distinct_n": "pooled over all continuations",
                "repetition_rate": "seq-rep-4, mean over continuations",
                "self_bleu": SELF_BLEU_SMOOTHING if self.self_bleu else None,
                "seeds": CRN_SCHEME}


def read_prompts(text: str) -> list[str]:
    """One prompt per non-empty line; `\\n` inside a line is a newline."""
    return [line.replace("\\n", "\n") for line in text.splitlines() if line.strip()]


def run_cell(model: LanguageModel, spec: GenerationSweepSpec, cell: CellParams,
             prompt_ids: Sequence[list[int]]) -> dict[str, Any]:
    """Generate `samples` continuations per prompt with the cell's knobs; their statistics."""
    params = {**cell._asdict(), "top_k": int(cell.top_k), "preset": spec.preset}
    groups = []
    for index, ids in enumerate(prompt_ids):
        request = GenerationRequest(ids, max_tokens=spec.max_tokens, n=spec.samples,
                                    params=params, stop_strings=spec.stop)
        groups.append([c.tokens for c in generate(model, request, spec.seed + index)])
    return generation_stats(groups, with_self_bleu=spec.self_bleu)


def compute_cells(spec: GenerationSweepSpec, skip: set[CellParams] | None = None
                  ) -> Iterator[tuple[CellParams, dict[str, Any]]]:
    """(cell, statistics) for every cell not in `skip`, in grid order."""
    model = load_model(spec.source)
    prompt_ids = [model.encode(p) for p in spec.prompts]
    for cell in spec.cells():
        if not skip or cell not in skip:
            yield cell, run_cell(model, spec, cell, prompt_ids)


def run_sweep(spec: GenerationSweepSpec,
              on_cell: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Every cell's knobs and statistics, in grid order (no database)."""
    rows = []
    for cell, stats in compute_cells(spec):
        rows.append({**cell._asdict(), **stats})
        if on_cell:
            on_cell(rows[-1])
    return rows
