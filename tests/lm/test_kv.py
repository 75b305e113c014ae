"""CachedContinuations over a fake forward pass that records what it was asked to read."""

import numpy as np
import pytest

from service.generation.loop import GenerationRequest, generate
from service.lm.base import NgramLM, Recompute, continuations
from service.lm.kv import CachedContinuations

VOCAB = 7


class FakeModel:
    """Logits are a function of every id read so far; the cache is that list of ids, grown in
    place as a transformer's key/value cache is."""

    def __init__(self):
        self.reads: list[list[int]] = []

    def forward(self, ids, cache=None):
        self.reads.append(list(ids))
        cache = [] if cache is None else cache
        cache.extend(ids)
        return self.row(cache), cache

    @staticmethod
    def row(context):
        rng = np.random.default_rng([len(context), *context])
        return rng.normal(size=VOCAB)


def test_the_prompt_is_read_once_and_each_step_reads_only_the_new_token():
    model = FakeModel()
    reader = CachedContinuations(model.forward, [5, 6], empty=[0])
    np.testing.assert_array_equal(reader.logits([0, 1], [[], []]),
                                  [model.row([5, 6])] * 2)
    rows = reader.logits([0, 1], [[1], [2]])
    np.testing.assert_array_equal(rows, [model.row([5, 6, 1]), model.row([5, 6, 2])])
    rows = reader.logits([0, 1], [[1, 3], [2, 4]])
    np.testing.assert_array_equal(rows, [model.row([5, 6, 1, 3]), model.row([5, 6, 2, 4])])
    assert model.reads == [[5, 6], [1], [2], [3], [4]]


def test_choices_do_not_share_a_cache_and_do_not_depend_on_each_other():
    alone, together = FakeModel(), FakeModel()
    one = CachedContinuations(alone.forward, [5], empty=[0])
    many = CachedContinuations(together.forward, [5], empty=[0])
    for step in range(1, 4):
        tokens = [1] * step
        row = one.logits([2], [tokens])
        rows = many.logits([0, 1, 2], [[3] * step, [1] * step, tokens])
        np.testing.assert_array_equal(rows[2], row[0])
        np.testing.assert_array_equal(rows[1], row[0])  # same tokens, same logits
        np.testing.assert_array_equal(rows[0], FakeModel.row([5, *[3] * step]))


def test_finished_choices_are_dropped_and_asking_again_reads_nothing():
    model = FakeModel()
    reader = CachedContinuations(model.forward, [5], empty=[0])
    reader.logits([0, 1], [[1], [2]])
    first = reader.logits([1], [[2, 3]])
    again = reader.logits([1], [[2, 3]])
    np.testing.assert_array_equal(first, again)
    assert model.reads == [[5], [1], [2], [3]]
    # Choice 0 finished, and once every choice had its own cache the prompt's was released:
    # asked again, choice 0 starts over from the prompt, read again the same way.
    np.testing.assert_array_equal(reader.logits([0], [[1, 4]])[0], model.row([5, 1, 4]))
    assert model.reads[-2:] == [[5], [1, 4]]


def test_an_empty_prompt_reads_the_stand_in_only_for_its_own_row():
    model = FakeModel()
    reader = CachedContinuations(model.forward, [], empty=[0])
    np.testing.assert_array_equal(reader.logits([0], [[]])[0], model.row([0]))
    # Later contexts do not start with the stand-in, as when read afresh.
    np.testing.assert_array_equal(reader.logits([0], [[4]])[0], model.row([4]))
    assert model.reads == [[0], [4]]


def test_a_model_that_returns_no_cache_is_read_afresh():
    model = FakeModel()

    def forward(ids, cache=None):
        return model.forward(ids, cache)[0], None

    for prompt in ([5, 6], []):
        reader = CachedContinuations(forward, prompt, empty=[0])
        for step in range(4):
            tokens = [[1] * step, [2] * step]
            expected = [FakeModel.row([*prompt, *t] or [0]) for t in tokens]
            np.testing.assert_array_equal(reader.logits([0, 1], tokens), expected)


def test_a_continuation_cannot_shrink():
    reader = CachedContinuations(FakeModel().forward, [5], empty=[0])
    reader.logits([0], [[1, 2]])
    with pytest.raises(ValueError, match="fewer than the 2 already read"):
        reader.logits([0], [[1]])


def test_models_without_a_reader_recompute():
    from service.lm.registry import DEFAULT_MODEL, load_model

    model = load_model(DEFAULT_MODEL)
    assert isinstance(model, NgramLM)
    reader = continuations(model, [3, 4])
    assert isinstance(reader, Recompute)
    np.testing.assert_array_equal(reader.logits([0, 1], [[], [9]]),
                                  model.logits([[3, 4], [3, 4, 9]]))


class FakeLM:
    """A LanguageModel whose logits come from FakeModel, with or without its reader."""

    name, vocab_size, eos_id, chat_template = "fake", VOCAB, None, "chatml"

    def __init__(self, cached: bool):
        self.fake = FakeModel()
        if cached:
            self.continuations = lambda prompt: CachedContinuations(self.fake.forward, prompt, [0])

    def decode(self, ids):
        return "".join(chr(97 + i) for i in ids)

    def logits(self, contexts):
        return np.stack([FakeModel.row(list(c) or [0]) for c in contexts])


def test_generation_reads_each_token_once_and_matches_recomputing():
    request = GenerationRequest([5, 6], max_tokens=12, n=3, seed=4,
                                params={"temperature": 1.0})
    cached, afresh = FakeLM(cached=True), FakeLM(cached=False)
    tokens = [c.tokens for c in generate(cached, request, 4)]
    assert tokens == [c.tokens for c in generate(afresh, request, 4)]
    assert all(len(t) == 12 for t in tokens)
    # The prompt once, then one token per choice per step (the last token is never read).
    assert sorted(map(len, cached.fake.reads)) == [1] * (3 * 11) + [2]
