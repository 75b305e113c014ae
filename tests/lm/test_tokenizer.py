"""The word-level tokenizer with byte fallback decodes exactly."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.lm.tokenizer import EOS, GrowingDecoder, Tokenizer, pieces

TOKENIZER = Tokenizer.train(["the cat sat on the mat", "the dog, the cat!"], min_count=1)


@pytest.mark.parametrize("text", ["", "the cat", "  leading\n\n\ttabs  ", "ünïcödé 你好 🎉",
                                  "x=1;y=2", "\x00nul", "line\r\nbreak"])
def test_round_trip_is_exact(text):
    assert TOKENIZER.decode(TOKENIZER.encode(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_round_trip_of_any_text(text):
    assert "".join(pieces(text)) == text
    assert TOKENIZER.decode(TOKENIZER.encode(text)) == text


def test_known_pieces_are_one_token_and_unknown_ones_bytes():
    ids = TOKENIZER.encode("the zebra")
    assert TOKENIZER.token_strings(ids[:1]) == ["the"]
    assert TOKENIZER.token_strings(ids[1:]) == [f"<0x{b:02X}>" for b in b" zebra"]


def test_layout_and_eos():
    assert TOKENIZER.vocab[0] == EOS and TOKENIZER.eos_id == 0
    assert TOKENIZER.decode([0]) == ""
    with pytest.raises(ValueError):
        Tokenizer(["a", "b"])


def test_a_cut_multibyte_character_reads_as_replacement():
    ids = TOKENIZER.encode("é")
    assert TOKENIZER.decode(ids[:1]) == "\ufffd"


# Byte tokens (1..256) alone make any byte string: cut characters, stray continuation bytes,
# overlong forms and surrogates; learned pieces and EOS are mixed in.
TOKEN_IDS = st.lists(st.one_of(st.integers(1, 256), st.integers(0, len(TOKENIZER) - 1)),
                     max_size=40)


@settings(max_examples=300, deadline=None)
@given(TOKEN_IDS, st.lists(st.integers(0, 40), max_size=8))
def test_growing_decoder_reads_every_prefix_as_decoding_it_whole(ids, cuts):
    decoder = GrowingDecoder(TOKENIZER)
    for end in [*sorted(cuts), len(ids)]:
        prefix = ids[:min(end, len(ids))]
        assert decoder(prefix) == TOKENIZER.decode(prefix)


def test_growing_decoder_holds_a_cut_character_as_one_replacement():
    ids = TOKENIZER.encode("€!")  # three byte tokens, then one for "!"
    decoder = GrowingDecoder(TOKENIZER)
    assert [decoder(ids[:end]) for end in range(1, 5)] == ["\ufffd", "\ufffd", "€", "€!"]
    with pytest.raises(ValueError, match="fewer than the 4 already decoded"):
        decoder(ids[:2])
