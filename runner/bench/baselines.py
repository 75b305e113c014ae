"""The implementations the core is measured against, each doing the same job end to end."""

import numpy as np

# Suite configurations: (name, parameters). The last one carries a 256-token context.
CONFIGS = [
    ("T=0.8 k=50 p=0.9", dict(temperature=0.8, top_k=50, top_p=0.9)),
    ("T=1.0 p=0.95", dict(temperature=1.0, top_p=0.95)),
    ("T=0.7 min_p=0.05", dict(temperature=0.7, min_p=0.05)),
    ("T=1.5", dict(temperature=1.5)),
    ("T=0.8 k=40 p=0.95 min_p=0.05 rep=1.1 ctx=256",
     dict(temperature=0.8, top_k=40, top_p=0.95, min_p=0.05, repetition_penalty=1.1)),
]
TRUNCATING = {name for name, params in CONFIGS if set(params) - {"temperature"}}


def zipf_logits(batch: int, vocab: int, s: float = 1.1, seed: int = 0) -> np.ndarray:
    """Zipf-like float32 logits: z_i = -s ln(rank), each row a different permutation."""
    rng = np.random.default_rng(seed)
    ranked = (-s * np.log(np.arange(1, vocab + 1))).astype(np.float32)
    return np.stack([rng.permutation(ranked) for _ in range(batch)])


def naive_numpy(z, context, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0,
                repetition_penalty=1.0, seed=0):
    """A straightforward full-sort implementation (vLLM order), as people write it."""
    x = z.astype(np.float64)
    if repetition_penalty != 1.0:
        rows = np.arange(len(x))[:, None]
        picked = x[rows, context]
        x[rows, context] = np.where(picked > 0, picked / repetition_penalty,
                                    picked * repetition_penalty)
    x = x / temperature
    probs = np.exp(x - x.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    if min_p > 0:
        probs[probs < min_p * probs.max(axis=1, keepdims=True)] = 0
    order = np.argsort(-probs, axis=1, kind="stable")
    ranked = np.take_along_axis(probs, order, axis=1)
    if top_k > 0:
        ranked[:, top_k:] = 0
    if top_p < 1:
        ranked /= ranked.sum(axis=1, keepdims=True)
        cumulative = np.cumsum(ranked, axis=1)
        ranked[(cumulative - ranked) >= top_p] = 0
    ranked /= ranked.sum(axis=1, keepdims=True)
    u = np.random.default_rng(seed).random((len(x), 1))
    position = (np.cumsum(ranked, axis=1) < u).sum(axis=1)
    return np.take_along_axis(order, position[:, None], axis=1)


class TransformersChain:
    """Hugging Face's warpers in generate()'s order, then softmax and torch.multinomial."""

    def __init__(self):
        import torch
        from transformers import (
            LogitsProcessorList,
            MinPLogitsWarper,
            RepetitionPenaltyLogitsProcessor,
            TemperatureLogitsWarper,
            TopKLogitsWarper,
            TopPLogitsWarper,
        )

        torch.set_num_threads(1)
        self.torch = torch
        self.classes = dict(
            repetition_penalty=RepetitionPenaltyLogitsProcessor,
            temperature=TemperatureLogitsWarper,
            top_k=TopKLogitsWarper,
            top_p=TopPLogitsWarper,
            min_p=MinPLogitsWarper,
        )
        self.list_class = LogitsProcessorList

    def prepare(self, z, context, params):
        """Build the processor list and tensors once, outside the timed region."""
        chain = self.list_class(
            self.classes[name](params[name])
            for name in ("repetition_penalty", "temperature", "top_k", "top_p", "min_p")
            if name in params
        )
        scores = self.torch.from_numpy(z)
        ids = self.torch.from_numpy(np.asarray(context, dtype=np.int64))
        return chain, scores, ids

    def __call__(self, chain, scores, ids):
        processed = chain(ids, scores.clone())
        probs = self.torch.softmax(processed, dim=-1)
        return self.torch.multinomial(probs, num_samples=1)
