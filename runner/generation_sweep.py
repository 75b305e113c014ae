"""Generation sweeps: continuations of prompts from a built-in model over a knob grid."""

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from runner.generation_stats import SELF_BLEU_SMOOTHING, generation_stats
from service.generation.loop import GenerationRequest, generate
from service.lm.base import LanguageModel
from service.lm.registry import load_model

GRID_KNOBS = ("temperature", "top_p", "top_k", "min_p", "repetition_penalty")


@dataclass
class GenerationSweepSpec:
    """The model, the prompts, the grid and how much to generate per cell."""

    source: str  # a model name: ngram-pydoc, ngram:PATH.npz or hf:PATH
    prompts: list[str]
    grid: dict[str, list[float]]  # knob -> values; the cells are their product
    max_tokens: int = 64
    samples: int = 8  # continuations per prompt per cell
    seed: int = 0
    preset: str = "vllm"
    self_bleu: bool = False
    stop: list[str] = field(default_factory=list)

    def cells(self) -> list[dict[str, float]]:
        """Every combination of the grid's values, in a fixed order."""
        names = [k for k in GRID_KNOBS if k in self.grid]
        return [dict(zip(names, values, strict=True))
                for values in itertools.product(*(self.grid[k] for k in names))]

    def conventions(self) -> dict[str, Any]:
        """How the statistics are defined (stored with the run)."""
        return {"tokens": "model token ids", "distinct_n": "pooled over all continuations",
                "repetition_rate": "seq-rep-4, mean over continuations",
                "self_bleu": SELF_BLEU_SMOOTHING if self.self_bleu else None,
                "seeds": "prompt i uses seed + i in every cell (common random numbers)"}


def read_prompts(text: str) -> list[str]:
    """One prompt per non-empty line; `\\n` inside a line is a newline."""
    return [line.replace("\\n", "\n") for line in text.splitlines() if line.strip()]


def run_cell(model: LanguageModel, spec: GenerationSweepSpec, knobs: dict[str, float],
             prompt_ids: Sequence[list[int]]) -> dict[str, Any]:
    """Generate `samples` continuations per prompt with these knobs; their statistics."""
    params = {**knobs, "preset": spec.preset}
    if "top_k" in params:
        params["top_k"] = int(params["top_k"])
    groups = []
    for index, ids in enumerate(prompt_ids):
        request = GenerationRequest(ids, max_tokens=spec.max_tokens, n=spec.samples,
                                    params=params, stop_strings=spec.stop)
        groups.append([c.tokens for c in generate(model, request, spec.seed + index)])
    return generation_stats(groups, with_self_bleu=spec.self_bleu)


def run_sweep(spec: GenerationSweepSpec,
              on_cell: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Every cell's knobs and statistics, in grid order."""
    model = load_model(spec.source)
    prompt_ids = [model.encode(p) for p in spec.prompts]
    rows = []
    for knobs in spec.cells():
        row = {**knobs, **run_cell(model, spec, knobs, prompt_ids)}
        rows.append(row)
        if on_cell:
            on_cell(row)
    return rows
