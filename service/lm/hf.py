"""A Hugging Face causal LM from a local directory (extra `[hf]`); torch is imported lazily."""

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np

from service.lm.kv import CachedContinuations
from service.lm.registry import UnknownModelError


class HFModel:
    """Next-token logits of a transformers causal LM; nothing is downloaded."""

    chat_template = "chatml"

    def __init__(self, name: str, path: str):
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers.utils import logging as hf_logging
        except ImportError as error:
            raise UnknownModelError(
                f"model {name!r} needs the [hf] extra (torch, transformers): {error}") from None
        self.name, self._torch = name, torch
        # Progress bars are for terminals: in a server log they are noise among the JSON lines.
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            self.model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True)
        except (OSError, ValueError) as error:
            raise UnknownModelError(f"cannot load {path!r} as a causal LM: {error}") from None
        finally:
            if bars:
                hf_logging.enable_progress_bar()
        self.model.eval()
        accepts = inspect.signature(self.model.forward).parameters
        # transformers 5 renamed the key/value cache argument (and output) to `cache`.
        self._cache_name = "cache" if "cache" in accepts else "past_key_values"
        # Only the last position's logits are read: skip the LM head (V x width per token)
        # for the others where the model allows it.
        self._last_only = {"logits_to_keep": 1} if "logits_to_keep" in accepts else {}
        self.vocab_size = int(self.model.get_output_embeddings().weight.shape[0])
        config = self.model.config
        positions = getattr(config, "max_position_embeddings", None) or getattr(
            config, "n_positions", None)
        # The longest prompt + completion the model can read (its BOS prefix included).
        self.max_context = int(positions) if positions else None
        self.eos_id = self.tokenizer.eos_token_id
        if getattr(self.tokenizer, "chat_template", None):
            self.chat_template = self.tokenizer.chat_template
        # What apply_chat_template passes a template: the tokenizer's special tokens.
        self.special_tokens = {k: v for k, v in self.tokenizer.special_tokens_map.items()
                               if isinstance(v, str)}
        bos = self.tokenizer.bos_token_id
        # What the model reads before the prompt; an empty context still needs one token.
        self.prefix = [bos] if bos is not None else []
        self.empty = self.prefix or [self.eos_id if self.eos_id is not None else 0]

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), clean_up_tokenization_spaces=False)

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        return [self.tokenizer.decode([i], clean_up_tokenization_spaces=False) for i in ids]

    def token_bytes(self, ids: Sequence[int]) -> list[bytes]:
        return [text.encode("utf-8") for text in self.token_strings(ids)]

    def forward(self, ids: Sequence[int], cache: Any = None) -> tuple[np.ndarray, Any]:
        """Next-token logits (float64) after reading `ids` on top of `cache` (None: nothing
        read yet), and the key/value cache grown by them."""
        with self._torch.no_grad():
            out = self.model(input_ids=self._torch.tensor([list(ids)]), use_cache=True,
                             **{self._cache_name: cache}, **self._last_only)
        return out.logits[0, -1].double().numpy(), getattr(out, self._cache_name)

    def continuations(self, prompt_ids: Sequence[int]) -> CachedContinuations:
        """Generation's reader: the prompt read once, then one new token per choice and step."""
        return CachedContinuations(self.forward, [*self.prefix, *prompt_ids], self.empty)

    def logits(self, contexts: Sequence[Sequence[int]]) -> np.ndarray:
        """One forward pass per context (exact: no padding), last position, float64."""
        rows = []
        with self._torch.no_grad():
            for context in contexts:
                ids = [*self.prefix, *context] or self.empty
                out = self.model(input_ids=self._torch.tensor([ids]), use_cache=False,
                                 **self._last_only)
                rows.append(out.logits[0, -1].double().numpy())
        return np.stack(rows)
