"""Generation with a Hugging Face model: key/value-cached steps against reading afresh.

Run: .venv/bin/python -m runner.bench.hf_generation [--layers 12] [--tokens 128] [--n 1 --n 4]
Needs the [hf] extra (torch, transformers). Builds a GPT-2-shaped model with random weights
(seeded) and a byte-level BPE tokenizer trained on CPython's pydoc topics in a temporary
directory: nothing is downloaded, and the cost of a forward pass depends on the shapes only.
First the same tokens are read both ways, step by step (teacher forcing), and the logits are
compared; then whole seeded generations are timed both ways, interleaved, and their tokens
compared.
"""

import statistics
import tempfile
import time
from pathlib import Path

import click
import numpy as np

from service.generation.loop import GenerationRequest, generate
from service.lm.base import Recompute, continuations


def build_model(path: Path, layers: int, width: int, vocab: int, positions: int) -> None:
    """A seeded random GPT-2 and a pydoc-trained byte-level BPE tokenizer, saved to `path`."""
    import torch
    import transformers
    from tokenizers import ByteLevelBPETokenizer

    from service.lm.default import corpus

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus(), vocab_size=vocab, special_tokens=["<|endoftext|>"],
                            show_progress=False)
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=bpe._tokenizer, bos_token="<|endoftext|>", eos_token="<|endoftext|>")
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_layer=layers, n_head=max(1, width // 64), n_embd=width,
                                     n_positions=positions, vocab_size=len(tokenizer),
                                     bos_token_id=tokenizer.bos_token_id,
                                     eos_token_id=tokenizer.eos_token_id)
    transformers.GPT2LMHeadModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)


class Afresh:
    """The model without its key/value reader: generation reads every context afresh."""

    def __init__(self, model):
        self._model = model

    def __getattr__(self, name):
        if name == "continuations":
            raise AttributeError(name)
        return getattr(self._model, name)


def teacher_forced(model, prompt: list[int], text: list[int]) -> dict:
    """Seconds to read `text` after `prompt` one token per step, both ways; largest logit gap."""
    seconds, rows = {}, {}
    for label, reader in (("afresh", Recompute(model, prompt)),
                          ("cached", continuations(model, prompt))):
        start = time.perf_counter()
        rows[label] = [reader.logits([0], [text[:step]])[0] for step in range(len(text) + 1)]
        seconds[label] = time.perf_counter() - start
    gap = max(float(np.max(np.abs(a - b))) for a, b in zip(rows["afresh"], rows["cached"],
                                                            strict=True))
    return {**seconds, "gap": gap}


@click.command()
@click.option("--layers", type=int, default=12, show_default=True)
@click.option("--width", type=int, default=768, show_default=True)
@click.option("--vocab", type=int, default=8192, show_default=True,
              help="the tokenizer's most; the pydoc text yields about 6700")
@click.option("--prompt-tokens", type=int, default=32, show_default=True)
@click.option("--tokens", type=int, default=128, show_default=True, help="generated per choice")
@click.option("--n", "ns", type=int, multiple=True, default=(1, 4), show_default=True)
@click.option("--rounds", type=int, default=3, show_default=True)
def main(layers, width, vocab, prompt_tokens, tokens, ns, rounds) -> None:
    """Time generation with and without the key/value cache on one random GPT-2."""
    import torch
    import transformers

    from service.lm.default import corpus
    from service.lm.registry import load_model

    torch.set_num_threads(1)  # as in a `logitlab serve` worker
    transformers.utils.logging.disable_progress_bar()
    with tempfile.TemporaryDirectory() as tmp:
        build_model(Path(tmp), layers, width, vocab, prompt_tokens + tokens + 1)
        model = load_model(f"hf:{tmp}")
        words = model.encode(" ".join(corpus()[:5]))
        prompt, text = words[:prompt_tokens], words[prompt_tokens:prompt_tokens + tokens]
        forced = teacher_forced(model, prompt, text)
        click.echo(f"GPT-2 shape: {layers} layers, width {width}, vocabulary {model.vocab_size}; "
                   f"prompt {len(prompt)} tokens, {tokens} generated; torch threads 1")
        click.echo(f"teacher-forced, {len(text) + 1} steps: afresh {forced['afresh']:.2f} s, "
                   f"cached {forced['cached']:.2f} s ({forced['afresh'] / forced['cached']:.1f}x);"
                   f" largest logit difference {forced['gap']:.2e}")
        click.echo("| n | afresh s (median) | cached s (median) | speed-up | same tokens |")
        click.echo("| --- | --- | --- | --- | --- |")
        for n in ns:
            request = GenerationRequest(prompt, max_tokens=tokens, n=n, ignore_eos=True,
                                        params={"temperature": 0.8, "top_p": 0.95})
            times: dict[str, list[float]] = {"afresh": [], "cached": []}
            outputs = {}
            for _ in range(rounds):
                for label, lm in (("afresh", Afresh(model)), ("cached", model)):
                    start = time.perf_counter()
                    outputs[label] = [c.tokens for c in generate(lm, request, seed=1)]
                    times[label].append(time.perf_counter() - start)
            afresh, cached = statistics.median(times["afresh"]), statistics.median(times["cached"])
            click.echo(f"| {n} | {afresh:.2f} | {cached:.2f} | {afresh / cached:.1f}x | "
                       f"{'yes' if outputs['afresh'] == outputs['cached'] else 'no'} |")


if __name__ == "__main__":
    main()
