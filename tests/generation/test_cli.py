"""logitlab generate, render and lm train."""

import json

from click.testing import CliRunner

from runner.cli import main
from service.lm.ngram import NgramModel


def _run(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_generate_json_equals_the_endpoint(client):
    args = ["generate", "The for statement", "--max-tokens", "10", "--seed", "5", "-n", "2",
            "--temperature", "0.8", "--stop", "\n\n", "--json"]
    body = json.loads(_run(*args).stdout)
    direct = client.post("/generate", json={"prompt": "The for statement", "max_tokens": 10,
                                            "seed": 5, "n": 2, "temperature": 0.8,
                                            "stop": ["\n\n"]}).get_json()
    assert body["choices"] == direct["choices"] and body["usage"] == direct["usage"]


def test_generate_streams_the_same_text():
    streamed = _run("generate", "A class", "--max-tokens", "12", "--seed", "2").stdout
    body = json.loads(_run("generate", "A class", "--max-tokens", "12", "--seed", "2",
                           "--json").stdout)
    assert streamed == body["choices"][0]["text"] + "\n"


def test_generate_chat_and_errors():
    result = _run("generate", "--chat", "hi", "--template", "gemma", "--system", "Be kind.",
                  "--max-tokens", "3", "--seed", "1", "--json")
    assert json.loads(result.stdout)["prompt"].startswith("<bos><start_of_turn>user\nBe kind.")
    bad = CliRunner().invoke(main, ["generate", "x", "--model", "nope"])
    assert bad.exit_code == 2 and "unknown model" in bad.output
    both = CliRunner().invoke(main, ["generate", "x", "--chat", "y"])
    assert both.exit_code == 2 and "exactly one" in both.output


def test_render(tmp_path):
    path = tmp_path / "chat.json"
    path.write_text(json.dumps([{"role": "user", "content": "Hi"}]))
    result = _run("render", str(path), "--template", "chatml", "--system", "S")
    assert result.stdout == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n" \
                            "<|im_start|>assistant\n"
    custom = tmp_path / "t.jinja"
    custom.write_text("{{ ''.__class__ }}")
    escape = CliRunner().invoke(main, ["render", str(path), "--template", str(custom)])
    assert escape.exit_code == 2 and "sandbox" in escape.output


def test_lm_train_then_generate_from_it(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat. the dog sat on the log. " * 3)
    out = tmp_path / "model.npz"
    result = _run("lm", "train", str(corpus), "--order", "3", "--min-count", "1",
                  "--out", str(out))
    assert "order 3" in result.stdout
    model = NgramModel.load(out)
    assert model.order == 3 and " cat" in model.tokenizer.index
    text = json.loads(_run("generate", "the cat", "--model", f"ngram:{out}", "--seed", "0",
                           "--temperature", "0", "--max-tokens", "3", "--json").stdout)
    assert text["choices"][0]["text"] == " sat on the"
