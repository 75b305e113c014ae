"""The embedded default model: built deterministically from pydoc_data, cached on disk."""

import numpy as np

from service.lm import default
from service.lm.ngram import NgramModel
from service.lm.registry import UnknownModelError, load_model, parse_source


def test_building_is_deterministic_and_the_disk_copy_is_identical(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGITLAB_CACHE_DIR", str(tmp_path))
    built = default._build()
    again = default._build()
    context = built.tokenizer.encode("The while statement is used")
    np.testing.assert_array_equal(built.probs(context), again.probs(context))
    path = default.cache_path(default.corpus())
    assert path.parent == tmp_path
    built.save(path)
    np.testing.assert_array_equal(NgramModel.load(path).probs(context), built.probs(context))


def _log_likelihood(model, text):
    ids = model.encode(text)
    return sum(model.logits([ids[:i]])[0][ids[i]] for i in range(len(ids)))


def test_the_default_model_prefers_english_to_shuffled_words():
    model = load_model("ngram-pydoc")
    assert model.vocab_size > 3000 and model.eos_id == 0
    total = np.exp(model.logits([model.encode("The")])[0]).sum()
    assert abs(total - 1.0) < 1e-9
    sentence = "The for statement is used to iterate over the elements of a sequence"
    shuffled = "sequence the of iterate used elements The to over statement a is for"
    assert _log_likelihood(model, sentence) > _log_likelihood(model, shuffled) + 20


def test_unknown_names_and_missing_files(tmp_path):
    for name in ("nope", "ngram:", "gguf:x"):
        try:
            parse_source(name)
        except UnknownModelError:
            continue
        raise AssertionError(name)
    try:
        load_model(f"ngram:{tmp_path / 'missing.npz'}")
    except UnknownModelError as error:
        assert "no such file" in str(error)
    else:
        raise AssertionError("a missing file loaded")
