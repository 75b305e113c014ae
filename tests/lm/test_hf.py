"""hf:PATH: a tiny randomly initialised GPT-2 and a locally trained tokenizer, no download."""

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
