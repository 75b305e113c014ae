"""Logits sources: synthetic families, npy files and clear spec errors."""

import numpy as np
import pytest

from runner.sources import SourceSpecError, load_source


def test_zipf_rows_are_permuted_power_laws():
    source = load_source("zipf:V=50,s=1.3,rows=3,seed=7")
    assert source.logits.shape == (3, 50) and source.contexts is None
    ranked = -1.3 * np.log(np.arange(1, 51))
    for row in source.logits:
        np.testing.assert_array_equal(np.sort(row)[::-1], ranked)
    assert not np.array_equal(source.logits[0], source.logits[1])
    # Row r does not depend on how many rows were asked for.
    np.testing.assert_array_equal(load_source("zipf:V=50,s=1.3,rows=1,seed=7").logits[0],
                                  source.logits[0])


def test_gaussian_outliers_and_context():
    source = load_source("gaussian:V=1000,sigma=0.5,outliers=3,rows=2,seed=1,context=4")
    assert source.logits.shape == (2, 1000)
    plain = load_source("gaussian:V=1000,sigma=0.5,rows=2,seed=1").logits
    shifted = source.logits - plain
    np.testing.assert_allclose(np.sort(shifted, axis=1)[:, -3:], 2.5)  # shift 5 sigma
    assert (np.count_nonzero(shifted, axis=1) == 3).all()
    assert [len(c) for c in source.contexts] == [4, 4]
    assert source.contexts[0][0] == int(np.argmax(source.logits[0]))


def test_npy_one_and_two_dimensional(tmp_path):
    np.save(tmp_path / "one.npy", np.array([0.0, 1.0, -np.inf], dtype=np.float32))
    one = load_source(f"npy:{tmp_path / 'one.npy'}")
    assert one.logits.shape == (1, 3) and one.logits.dtype == np.float32
    np.save(tmp_path / "two.npy", np.zeros((4, 5)))
    assert load_source(f"npy:{tmp_path / 'two.npy'}").n_rows == 4


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("uniform:V=3", "unknown source"),
        ("zipf:V=10,q=2", "cannot read 'q=2'"),
        ("zipf:V=ten", "V='ten' is not a valid int"),
        ("zipf:V=1", "need V >= 2"),
        ("zipf:s=-1", "s must be >= 0"),
        ("gaussian:sigma=-1", "need sigma >= 0"),
        ("npy:/nonexistent.npy", "no such file"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec, message):
    with pytest.raises(SourceSpecError, match=message):
        load_source(spec)


def test_npy_rejects_nan_and_bad_shapes(tmp_path):
    np.save(tmp_path / "nan.npy", np.array([0.0, np.nan]))
    with pytest.raises(SourceSpecError, match="NaN"):
        load_source(f"npy:{tmp_path / 'nan.npy'}")
    np.save(tmp_path / "int.npy", np.arange(4))
    with pytest.raises(SourceSpecError, match="expected float logits"):
        load_source(f"npy:{tmp_path / 'int.npy'}")
