"""A Hugging Face causal LM from a local directory (extra `[hf]`); torch is imported lazily."""

import codecs
import inspect
import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from service.lm.kv import CachedContinuations
from service.lm.registry import UnknownModelError

# SentencePiece's byte-fallback tokens, and its stand-in for a space.
BYTE_TOKEN = re.compile(r"<0x([0-9A-Fa-f]{2})>")
SPACE = "\u2581"
BYTE_TOKENS = "logitlab-byte-tokens"


def _as_byte_tokens(error: UnicodeDecodeError) -> tuple[str, int]:
    """A codec error handler: the undecodable bytes as <0xNN> each."""
    cut = error.object[error.start:error.end]
    return "".join(f"<0x{byte:02X}>" for byte in cut), error.end


codecs.register_error(BYTE_TOKENS, _as_byte_tokens)


def byte_level_alphabet() -> dict[str, int]:
    """GPT-2's byte-level BPE alphabet: the printable character standing for each byte."""
    printable = {*range(ord("!"), ord("~") + 1), *range(ord("\xa1"), ord("\xac") + 1),
                 *range(ord("\xae"), ord("\xff") + 1)}
    others = (b for b in range(256) if b not in printable)
    return {**{chr(b): b for b in printable}, **{chr(256 + i): b for i, b in enumerate(others)}}


def decoder_types(tokenizer: Any) -> set[str]:
    """The types of a fast tokenizer's decoder and of its parts (none for a slow one)."""
    decoder = getattr(getattr(tokenizer, "backend_tokenizer", None), "decoder", None)
    if decoder is None:
        return set()
    found, todo = set(), [json.loads(decoder.__getstate__())]
    while todo:
        part = todo.pop()
        found.add(part.get("type"))
        todo.extend(part.get("decoders") or [])
    return found


class TokenBytes:
    """Each token's own bytes, so that a token holding part of a UTF-8 character keeps its
    byte(s) rather than decoding on its own to U+FFFD."""

    def __init__(self, tokenizer: Any):
        self.tokenizer = tokenizer
        self.special = set(tokenizer.all_special_ids)
        types = decoder_types(tokenizer)
        self.byte_level = byte_level_alphabet() if "ByteLevel" in types else None
        self.sentencepiece = bool(types & {"ByteFallback", "Metaspace"}) or hasattr(
            tokenizer, "sp_model")

    def __call__(self, ids: Sequence[int]) -> list[bytes]:
        ids = [int(i) for i in ids]
        return [self.one(i, token) for i, token in
                zip(ids, self.tokenizer.convert_ids_to_tokens(ids), strict=True)]

    def strings(self, ids: Sequence[int]) -> list[str]:
        """How each token reads on its own: its bytes as UTF-8, where a byte that is part of
        a character cut by the token shows as <0xNN> (as the built-in tokenizers' byte
        tokens do), not as U+FFFD, which would hide which byte it is."""
        return [raw.decode("utf-8", errors=BYTE_TOKENS) for raw in self(ids)]

    def one(self, token_id: int, token: str | None) -> bytes:
        """A token's bytes from its vocabulary string; its decoded text where none applies."""
        if token is not None and self.byte_level is not None:
            # As the ByteLevel decoder reads every token, special and added ones too: a token
            # with a character outside the alphabet (a space, say) is its own UTF-8 text.
            if all(c in self.byte_level for c in token):
                return bytes(self.byte_level[c] for c in token)
            return token.encode("utf-8")
        if token is not None and self.sentencepiece and token_id not in self.special:
            byte = BYTE_TOKEN.fullmatch(token)
            return bytes([int(byte[1], 16)]) if byte else token.replace(SPACE, " ").encode()
        return self.tokenizer.decode([token_id], clean_up_tokenization_spaces=False).encode("utf-8")


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
        self._token_bytes = TokenBytes(self.tokenizer)

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), clean_up_tokenization_spaces=False)

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        return self._token_bytes.strings(ids)

    def token_bytes(self, ids: Sequence[int]) -> list[bytes]:
        return self._token_bytes(ids)

    def reads(self, ids: Sequence[int]) -> list[int]:
        """The ids the model reads for a context: the prefix (BOS) in front unless the context
        already starts with it, as chat templates that write bos_token make it do."""
        ids = list(ids)
        return ids if ids[:len(self.prefix)] == self.prefix else [*self.prefix, *ids]

    def forward(self, ids: Sequence[int], cache: Any = None) -> tuple[np.ndarray, Any]:
        """Next-token logits (float64) after reading `ids` on top of `cache` (None: nothing
        read yet), and the key/value cache grown by them."""
        with self._torch.no_grad():
            out = self.model(input_ids=self._torch.tensor([list(ids)]), use_cache=True,
                             **{self._cache_name: cache}, **self._last_only)
        return out.logits[0, -1].double().numpy(), getattr(out, self._cache_name)

    def continuations(self, prompt_ids: Sequence[int]) -> CachedContinuations:
        """Generation's reader: the prompt read once, then one new token per choice and step."""
        return CachedContinuations(self.forward, self.reads(prompt_ids), self.empty)

    def logits(self, contexts: Sequence[Sequence[int]]) -> np.ndarray:
        """One forward pass per context (exact: no padding), last position, float64."""
        rows = []
        with self._torch.no_grad():
            for context in contexts:
                ids = self.reads(context) or self.empty
                out = self.model(input_ids=self._torch.tensor([ids]), use_cache=False,
                                 **self._last_only)
                rows.append(out.logits[0, -1].double().numpy())
        return np.stack(rows)
