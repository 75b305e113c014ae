"""Run the benchmark suite: medians of interleaved repeats, ratios within one run."""

import time
import tracemalloc
from dataclasses import dataclass

import numpy as np

from service.sampling import sample

from .baselines import CONFIGS, TRUNCATING, TransformersChain, naive_numpy, zipf_logits


@dataclass
class Row:
    """One configuration's medians (milliseconds) and the core's peak memory ratio."""

    batch: int
    config: str
    core: float
    transformers: float | None
    naive: float
    exp_floor: float
    peak_ratio: float

    @property
    def vs_transformers(self) -> float | None:
        return None if self.transformers is None else self.transformers / self.core

    @property
    def vs_naive(self) -> float:
        return self.naive / self.core

    @property
    def vs_exp(self) -> float:
        return self.exp_floor / self.core


def _peak_ratio(z, params) -> float:
    tracemalloc.start()
    try:
        sample(z, seed=0, **params)
        return tracemalloc.get_traced_memory()[1] / z.nbytes
    finally:
        tracemalloc.stop()


def run_config(z, context, params, repeats: int, chain: TransformersChain | None) -> dict:
    """Time every implementation on the same logits, interleaved, and return medians."""
    core_params = dict(params, context=context) if "repetition_penalty" in params else params
    tasks = {
        "core": lambda: sample(z, seed=0, **core_params),
        "naive": lambda: naive_numpy(z, context, **params),
        "exp_floor": lambda: np.exp(z),
    }
    if chain is not None:
        prepared = chain.prepare(z, context, params)
        tasks["transformers"] = lambda: chain(*prepared)
    times = {name: [] for name in tasks}
    for task in tasks.values():  # warm-up: imports, caches, allocator
        task()
    for _ in range(repeats):
        for name, task in tasks.items():
            start = time.perf_counter()
            task()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) * 1e3 for name, t in times.items()}


def run_suite(batches=(32, 1), vocab=128_256, repeats=15, with_transformers=True,
              progress=None) -> list[Row]:
    """Every configuration at every batch size; `progress(description)` is called per step."""
    chain = TransformersChain() if with_transformers else None
    rng = np.random.default_rng(1)
    rows = []
    for batch in batches:
        z = zipf_logits(batch, vocab)
        context = rng.integers(0, vocab, size=(batch, 256))
        for name, params in CONFIGS:
            if progress:
                progress(f"B={batch} {name}")
            medians = run_config(z, context, params, repeats if batch > 1 else repeats * 4, chain)
            core_params = (dict(params, context=context)
                           if "repetition_penalty" in params else params)
            rows.append(Row(batch, name, medians["core"], medians.get("transformers"),
                            medians["naive"], medians["exp_floor"], _peak_ratio(z, core_params)))
    return rows


def geometric_mean(values) -> float:
    values = [v for v in values if v is not None]
    return float(np.exp(np.mean(np.log(values)))) if values else float("nan")


def summary(rows: list[Row], batch: int) -> dict:
    """Targets: geo-mean vs transformers, worst config, truncating configs under exp."""
    mine = [r for r in rows if r.batch == batch]
    return {
        "geomean_vs_transformers": geometric_mean(r.vs_transformers for r in mine),
        "min_vs_transformers": min((r.vs_transformers or np.inf) for r in mine),
        "truncating_faster_than_exp": all(r.core < r.exp_floor for r in mine
                                          if r.config in TRUNCATING),
        "max_peak_ratio": max(r.peak_ratio for r in mine),
    }
