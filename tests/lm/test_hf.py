"""hf:PATH: a tiny randomly initialised GPT-2 and a locally trained tokenizer, no download."""

import re

import numpy as np
import pytest
import torch  # the [hf] extra, installed by `make install`
import transformers

from service.generation.loop import GenerationRequest, generate
from service.lm.registry import load_model

pytestmark = pytest.mark.slow  # importing torch and transformers takes seconds

SENTENCES = ["The for statement is used to iterate over a sequence.",
             "A while loop repeats while its condition is true.",
             "Functions return values; classes define new types. Grüße!"]


CHAT_TEMPLATE = ("{{ bos_token }}{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n"
                 "{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from tokenizers import ByteLevelBPETokenizer

    path = tmp_path_factory.mktemp("tiny-gpt2")
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(SENTENCES, vocab_size=300, min_frequency=1,
                            special_tokens=["<|endoftext|>"], show_progress=False)
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=bpe._tokenizer, bos_token="<|endoftext|>", eos_token="<|endoftext|>",
        chat_template=CHAT_TEMPLATE)
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_layer=2, n_head=2, n_embd=32, n_positions=128,
                                     vocab_size=len(tokenizer),
                                     bos_token_id=tokenizer.bos_token_id,
                                     eos_token_id=tokenizer.eos_token_id)
    transformers.GPT2LMHeadModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_logits_match_a_direct_forward_pass(model_dir):
    lm = load_model(f"hf:{model_dir}")
    ids = lm.encode("The for statement")
    assert lm.decode(ids) == "The for statement"
    logits = lm.logits([ids, []])
    assert logits.shape == (2, lm.vocab_size) and np.isfinite(logits).all()
    reference = transformers.AutoModelForCausalLM.from_pretrained(model_dir)
    with torch.no_grad():
        out = reference(input_ids=torch.tensor([[lm.eos_id, *ids]])).logits[0, -1]
    np.testing.assert_allclose(logits[0], out.double().numpy(), rtol=1e-6, atol=1e-6)


def test_generation_through_the_registry_is_reproducible(model_dir):
    lm = load_model(f"hf:{model_dir}")
    request = GenerationRequest(lm.encode("A while loop"), max_tokens=8, n=2,
                                params={"temperature": 1.0}, ignore_eos=True)
    first = generate(lm, request, 3)
    assert [c.tokens for c in first] == [c.tokens for c in generate(lm, request, 3)]
    assert all(len(c.tokens) == 8 and c.finish_reason == "length" for c in first)
    assert all(c.text == lm.decode(c.tokens) for c in first)


def test_served_over_generate_when_configured(model_dir, make_app):
    name = f"hf:{model_dir}"
    client = make_app(MODELS=[name]).test_client()
    body = client.post("/generate", json={"model": name, "prompt": "The", "max_tokens": 4,
                                          "seed": 1, "ignore_eos": True}).get_json()
    assert len(body["choices"][0]["tokens"]) == 4
    assert name in [m["id"] for m in client.get("/v1/models").get_json()["data"]]
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    chat = client.post("/generate", json={"model": name, "messages": messages, "max_tokens": 2,
                                          "seed": 1}).get_json()
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    assert chat["prompt"] == tokenizer.apply_chat_template(messages, tokenize=False,
                                                           add_generation_prompt=True)
    assert chat["prompt"].startswith("<|endoftext|>[system] Be brief.")
    too_long = client.post("/generate", json={"model": name, "prompt": "The", "max_tokens": 200})
    assert too_long.status_code == 422 and "128 positions" in too_long.get_json()["detail"]
    refused = make_app().test_client().post("/generate", json={"model": name, "prompt": "x"})
    assert refused.status_code == 422


def test_cached_continuations_match_reading_each_context_afresh(model_dir):
    lm = load_model(f"hf:{model_dir}")
    prompt = lm.encode("A while loop")
    texts = [lm.encode(" repeats while its condition is true."), lm.encode(" is used")]
    reader = lm.continuations(prompt)
    for step in range(max(map(len, texts)) + 1):
        live = [i for i, text in enumerate(texts) if step <= len(text)]
        seen = [texts[i][:step] for i in live]
        rows = reader.logits(live, seen)
        expected = lm.logits([[*prompt, *tokens] for tokens in seen])
        np.testing.assert_allclose(rows, expected, rtol=1e-5, atol=1e-5)


def test_generation_with_the_cache_equals_generation_afresh(model_dir):
    from runner.bench.hf_generation import Afresh

    lm = load_model(f"hf:{model_dir}")
    request = GenerationRequest(lm.encode("Functions return"), max_tokens=24, n=3,
                                params={"temperature": 1.0}, ignore_eos=True)
    cached = [c.tokens for c in generate(lm, request, 7)]
    assert cached == [c.tokens for c in generate(Afresh(lm), request, 7)]
    alone = generate(lm, GenerationRequest(request.prompt_ids, max_tokens=24, n=1,
                                           params={"temperature": 1.0}, ignore_eos=True), 7)
    assert alone[0].tokens == cached[0]


def test_loading_prints_no_progress_bar(model_dir, capfd):
    from transformers.utils import logging as hf_logging

    from service.lm.hf import HFModel

    HFModel("hf:tiny", str(model_dir))
    assert "Loading weights" not in capfd.readouterr().err
    assert hf_logging.is_progress_bar_enabled()  # the caller's setting is left as it was


def test_token_bytes_are_the_raw_bytes_of_a_partial_character(model_dir):
    lm = load_model(f"hf:{model_dir}")
    # Byte-level BPE writes byte 0xC3 as "Ã" and the continuation byte 0xBC as "¼".
    lead, tail = lm.tokenizer.convert_tokens_to_ids(["Ã", "¼"])
    assert lm.token_bytes([lead, tail]) == [b"\xc3", b"\xbc"]
    ids = lm.encode("Grüße!")
    assert b"".join(lm.token_bytes(ids)) == "Grüße!".encode()
    assert lm.token_bytes([lm.eos_id]) == [b"<|endoftext|>"]  # a special token: its text


def test_token_strings_show_a_partial_character_as_its_bytes(model_dir):
    lm = load_model(f"hf:{model_dir}")
    lead, tail = lm.tokenizer.convert_tokens_to_ids(["Ã", "¼"])
    # As the built-in tokenizers show byte tokens, not U+FFFD, which would hide which byte.
    assert lm.token_strings([lead, tail]) == ["<0xC3>", "<0xBC>"]
    assert "".join(lm.token_strings(lm.encode("The for statement"))) == "The for statement"
    assert lm.token_strings([lm.eos_id]) == ["<|endoftext|>"]
    rng = np.random.default_rng(1)
    for length in rng.integers(1, 12, size=200):
        ids = rng.integers(0, lm.vocab_size, size=length).tolist()
        strings = lm.token_strings(ids)
        assert "\ufffd" not in "".join(strings)
        # Each string reads back to the token's exact bytes.
        for string, raw in zip(strings, lm.token_bytes(ids), strict=True):
            parts = re.split(r"<0x([0-9A-F]{2})>", string)
            assert b"".join(bytes([int(p, 16)]) if k % 2 else p.encode()
                            for k, p in enumerate(parts)) == raw
    # A token with whole characters and a cut one shows both.
    from service.lm.hf import TokenBytes

    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|Ã"]})
    assert TokenBytes(tokenizer).strings(tokenizer.convert_tokens_to_ids(["<|Ã", "Ã"])) == [
        "<|<0xC3>", "<0xC3>"]


def test_token_bytes_concatenate_to_the_tokenizers_text(model_dir):
    from service.lm.hf import TokenBytes

    lm = load_model(f"hf:{model_dir}")
    rng = np.random.default_rng(0)
    for length in rng.integers(1, 12, size=300):
        ids = rng.integers(0, lm.vocab_size, size=length).tolist()
        text = b"".join(lm.token_bytes(ids)).decode("utf-8", errors="replace")
        assert text == lm.decode(ids), ids
    # Added and special tokens go through the ByteLevel decoder too: "café" is read through
    # its alphabet (é stands for byte E9, "<|Ã" ends with byte C3, which "¼" completes), a
    # token with a character outside it (a space) as its UTF-8 text.
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    tokenizer.add_tokens(["café", " x y", "<|im_start|>"])
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|Ã"]})
    token_bytes = TokenBytes(tokenizer)
    pool = [*range(len(tokenizer) - 8, len(tokenizer)),
            *tokenizer.convert_tokens_to_ids(["Ã", "¼", "©"])]
    for length in rng.integers(1, 12, size=300):
        ids = rng.choice(pool, size=length).tolist()
        text = b"".join(token_bytes(ids)).decode("utf-8", errors="replace")
        assert text == tokenizer.decode(ids, clean_up_tokenization_spaces=False), ids


def test_token_bytes_of_a_sentencepiece_style_tokenizer():
    from tokenizers import Tokenizer, decoders, models, normalizers

    from service.lm.hf import TokenBytes

    # Llama's layout: byte-fallback tokens <0x00>..<0xFF>, "▁" for a space.
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2, **{f"<0x{b:02X}>": 3 + b for b in range(256)},
             "▁": 259, "h": 260, "i": 261, "▁h": 262, "▁hi": 263}
    bpe = Tokenizer(models.BPE(vocab, [("▁", "h"), ("▁h", "i")], unk_token="<unk>",
                               byte_fallback=True))
    bpe.normalizer = normalizers.Sequence([normalizers.Prepend("▁"),
                                           normalizers.Replace(" ", "▁")])
    bpe.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(),
                                     decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<s>",
                                                     eos_token="</s>", unk_token="<unk>")
    ids = tokenizer.encode("hi é", add_special_tokens=False)
    assert tokenizer.convert_ids_to_tokens(ids) == ["▁hi", "▁", "<0xC3>", "<0xA9>"]
    assert TokenBytes(tokenizer)(ids) == [b" hi", b" ", b"\xc3", b"\xa9"]
    assert TokenBytes(tokenizer)([1, 2]) == [b"<s>", b"</s>"]


class ReadIds:
    """A transformers model that notes the input ids of every forward pass."""

    def __init__(self, model):
        self.model, self.reads = model, []

    def __call__(self, input_ids, **kwargs):
        self.reads.append(input_ids[0].tolist())
        return self.model(input_ids=input_ids, **kwargs)


CONVERSATIONS = [
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
    [{"role": "user", "content": "A while loop?"}, {"role": "assistant", "content": "Yes."},
     {"role": "user", "content": "Grüße!"}],
]


def _reads_of_a_chat(lm, messages, template=None):
    """What the model reads to generate after `messages`, and the request's prompt ids."""
    from service.generate.prepare import build

    args = {"messages": messages, "max_tokens": 1, "n": 1, "seed": 1, "template": template}
    prepared = build(args, lm, 10_000)
    lm.model = ReadIds(lm.model)
    generate(lm, prepared.request, 1)
    lm.logits([lm.encode(prepared.prompt)])  # /lm/next's reading of the same text
    generation, fresh = lm.model.reads
    lm.model = lm.model.model
    assert generation == fresh
    return generation, prepared.request.prompt_ids


def test_a_template_that_writes_bos_is_read_with_one_bos(model_dir, make_app):
    lm = load_model(f"hf:{model_dir}")
    for messages in CONVERSATIONS:
        expected = list(lm.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=True, return_dict=False))
        assert expected[:2] == [lm.tokenizer.bos_token_id, *lm.encode("[")]
        assert _reads_of_a_chat(lm, messages) == (expected, expected)
    name = f"hf:{model_dir}"
    client = make_app(MODELS=[name]).test_client()
    body = client.post("/generate", json={"model": name, "messages": CONVERSATIONS[0],
                                          "max_tokens": 2, "seed": 1}).get_json()
    expected = lm.tokenizer.apply_chat_template(CONVERSATIONS[0], add_generation_prompt=True,
                                                tokenize=True, return_dict=False)
    assert body["usage"]["prompt_tokens"] == len(expected)


def test_a_template_without_bos_still_gets_the_models_bos(model_dir):
    lm = load_model(f"hf:{model_dir}")
    template = CHAT_TEMPLATE.removeprefix("{{ bos_token }}")
    for messages in CONVERSATIONS:
        text = lm.tokenizer.apply_chat_template(messages, add_generation_prompt=True,
                                                tokenize=False, chat_template=template)
        expected = [lm.tokenizer.bos_token_id, *lm.encode(text)]
        assert _reads_of_a_chat(lm, messages, template) == (expected, expected)
