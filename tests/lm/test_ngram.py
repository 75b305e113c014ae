"""Interpolated Kneser-Ney: normalised, equal to a brute-force computation, never pickled."""

from collections import Counter

import numpy as np
import pytest

from service.lm.ngram import NgramModel, discount, padded

TOY = ["the cat sat on the mat . the dog sat on the log .",
       "a cat and a dog sat . the cat ran ."]


def brute_force_kn(model, context, word):
    """Interpolated KN straight from the formula, with dicts of counts (no shared code path)."""
    order, vocab, eos = model.order, model.vocab_size, model.eos_id
    grams = Counter()
    for text in TOY:
        ids = list(padded(model.tokenizer.encode(text), order, eos))
        grams.update(tuple(ids[i:i + order]) for i in range(len(ids) - order + 1))
    counts = {order: dict(grams)}
    for k in range(order - 1, 0, -1):
        counts[k] = Counter(gram[1:] for gram in counts[k + 1])  # distinct left extensions

    def prob(k, history, w):
        if k == 0:
            return 1.0 / vocab
        table = counts[k]
        after = {g[-1]: c for g, c in table.items() if g[:-1] == history}
        lower = prob(k - 1, history[1:], w)
        if not after:
            return lower
        total, d = sum(after.values()), discount(np.array(list(table.values())))
        return max(after.get(w, 0) - d, 0) / total + d * len(after) / total * lower

    history = tuple(([eos] * (order - 1) + list(context))[-(order - 1):]) if order > 1 else ()
    return prob(order, history, word)


@pytest.fixture(scope="module")
def toy():
    return NgramModel.train(TOY, order=3, min_count=1)


@pytest.mark.parametrize("prefix", ["", "the", "the cat", "a dog sat", "zebra", "the mat ."])
def test_probabilities_sum_to_one_and_match_the_brute_force(toy, prefix):
    context = toy.tokenizer.encode(prefix)
    p = toy.probs(context)
    assert p.shape == (toy.vocab_size,)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    assert (p > 0).all()
    for word in range(toy.vocab_size):
        assert p[word] == pytest.approx(brute_force_kn(toy, context, word), rel=1e-12)


def test_seen_continuations_beat_unseen_ones(toy):
    p = toy.probs(toy.tokenizer.encode("the cat"))
    assert p[toy.tokenizer.index[" sat"]] > p[toy.tokenizer.index[" log"]]


def test_save_and_load_round_trip_without_pickle(toy, tmp_path):
    path = tmp_path / "toy.npz"
    toy.save(path)
    with np.load(path, allow_pickle=False) as data:
        assert all(data[name].dtype != object for name in data.files)
    loaded = NgramModel.load(path)
    context = toy.tokenizer.encode("the dog")
    np.testing.assert_array_equal(loaded.probs(context), toy.probs(context))
    assert loaded.tokenizer.vocab == toy.tokenizer.vocab


def test_logits_are_log_probabilities_in_a_batch(toy):
    contexts = [toy.tokenizer.encode("the"), []]
    logits = toy.logits(contexts)
    assert logits.shape == (2, toy.vocab_size)
    np.testing.assert_allclose(np.exp(logits).sum(axis=1), 1.0)


def test_orders_one_and_four(tmp_path):
    for order in (1, 4):
        model = NgramModel.train(TOY, order=order, min_count=1)
        context = model.tokenizer.encode("the cat sat")
        assert model.probs(context).sum() == pytest.approx(1.0)
        assert model.probs(context)[5] == pytest.approx(brute_force_kn(model, context, 5))


def test_not_a_model_file_is_refused(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, format=np.array(99))
    with pytest.raises(ValueError, match="format"):
        NgramModel.load(path)
