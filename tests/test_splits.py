"""Seeded 80:20 train/test splits (DiffuseGAE §4.1) and their CSV round trip."""
from __future__ import annotations

import numpy as np
import pytest

from diffae.data.errors import DatasetError
from diffae.data.splits import read_split, split_indices, write_split


@pytest.mark.parametrize("n,frac", [(100, 0.2), (7, 0.2), (1, 0.5), (10, 0.0), (10, 1.0)])
def test_exact_sizes_and_disjoint(n, frac):
    split = split_indices(n, frac, seed=0)
    assert split.shape == (n,)
    test = np.flatnonzero(split == "test")
    train = np.flatnonzero(split == "train")
    assert len(test) == round(n * frac)
    assert len(train) + len(test) == n
    assert not set(test) & set(train)


def test_seeded_reproducible_and_seed_matters():
    a, b, c = split_indices(500, 0.2, 1), split_indices(500, 0.2, 1), split_indices(500, 0.2, 2)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_bad_fraction():
    with pytest.raises(ValueError, match="test_fraction"):
        split_indices(10, 1.5, 0)


def test_round_trip(tmp_path):
    split = split_indices(57, 0.2, seed=4)
    write_split(tmp_path / "split.csv", split)
    assert (tmp_path / "split.csv").read_text().splitlines()[0] == "index,split"
    assert np.array_equal(read_split(tmp_path / "split.csv"), split)


@pytest.mark.parametrize("text,match", [
    ("idx,part\n0,train\n", "columns"),
    ("index,split\n0,train\n2,test\n", "index"),
    ("index,split\n0,train\n1,val\n", "val"),
])
def test_malformed_file_is_named(tmp_path, text, match):
    path = tmp_path / "bad_split.csv"
    path.write_text(text)
    with pytest.raises(DatasetError, match=match) as info:
        read_split(path)
    assert str(path) in str(info.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DatasetError, match="nope.csv"):
        read_split(tmp_path / "nope.csv")


@pytest.mark.parametrize("fraction, side", [(0.001, "test"), (1.0, "train")])
def test_a_split_with_an_empty_side_is_refused_naming_the_key(tmp_path, fraction, side):
    import pandas as pd

    from diffae.data.prepared import save_prepared
    from diffae.data.stages import make_split

    save_prepared(tmp_path / "p", np.zeros((20, 4, 4, 3), np.uint8), pd.DataFrame({"a": np.arange(20) % 2}),
                  {"attributes": ["a"], "source": "standin", "image_size": 4})
    with pytest.raises(DatasetError, match=f"test_fraction = {fraction} .* leaves the {side} split empty"):
        make_split(tmp_path / "p", tmp_path / "split.csv", test_fraction=fraction, seed=0)
    assert not (tmp_path / "split.csv").exists()
