"""Seeded train/test split of a prepared dataset (DiffuseGAE §4.1: "we split them 80:20").

A split is an array of the strings "train"/"test", one per sample, stored as a CSV
with columns ``index,split``. Samples are split first; GROUP(C, s) tables are then
built within each part (DESIGN.md §4), so train and evaluation groups never share a sample.
`split_images` and `held_out_images` select one side's images for training and evaluation.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from diffae.data.errors import DatasetError
from diffae.data.images import to_model_range
from diffae.data.prepared import Prepared, load_prepared
from diffae.utils.atomic import atomic_path

SPLIT_VALUES: tuple[str, str] = ("train", "test")


def split_indices(n: int, test_fraction: float, seed: int) -> np.ndarray:
    """Label `n` samples "train"/"test"; exactly ``round(n * test_fraction)`` are "test", chosen by `seed`."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if not 0.0 <= test_fraction <= 1.0:
        raise ValueError(f"test_fraction must be in [0, 1], got {test_fraction}")
    n_test = int(round(n * test_fraction))
    test = np.random.default_rng(seed).permutation(n)[:n_test]
    split = np.full(n, "train", dtype="<U5")
    split[test] = "test"
    return split


def write_split(path: str | Path, split: np.ndarray) -> None:
    """Write a split as CSV ``index,split`` (atomic)."""
    split = np.asarray(split)
    bad = sorted(set(split.tolist()) - set(SPLIT_VALUES))
    if bad:
        raise ValueError(f"split values must be in {SPLIT_VALUES}, got {bad[:5]}")
    frame = pd.DataFrame({"index": np.arange(len(split)), "split": split})
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def read_split(path: str | Path) -> np.ndarray:
    """Read a split CSV written by :func:`write_split`; malformed files raise DatasetError naming them."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"split file {path} does not exist; expected a CSV with columns index,split")
    try:
        frame = pd.read_csv(path, dtype={"split": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DatasetError(f"split file {path} is not a readable CSV: {err}") from err
    if list(frame.columns) != ["index", "split"]:
        raise DatasetError(f"split file {path} has columns {list(frame.columns)}; expected ['index', 'split']")
    if not np.array_equal(frame["index"].to_numpy(), np.arange(len(frame))):
        raise DatasetError(f"split file {path}: column 'index' must be 0..{len(frame) - 1} in order")
    bad = sorted(set(frame["split"].astype(str)) - set(SPLIT_VALUES))
    if bad:
        raise DatasetError(f"split file {path}: column 'split' holds {bad[:5]}; expected only {SPLIT_VALUES}")
    return frame["split"].to_numpy(dtype="<U5")


def split_rows(data: Prepared, split_csv: str | Path | None, which: str, prepared_dir: str | Path) -> np.ndarray:
    """Row indices of the prepared dataset on one side ("train"/"test") of the split in `split_csv`.

    No split file means the dataset is used whole on the side asked for (Diff-AE trains on all of FFHQ and
    tests on all of CelebA-HQ)."""
    if split_csv is None:
        return np.arange(len(data.labels))
    split = read_split(split_csv)
    if len(split) != len(data.labels):
        raise ValueError(f"{split_csv}: {len(split)} rows but {prepared_dir} has {len(data.labels)} samples; "
                         "rerun the split")
    return np.flatnonzero(split == which)


def split_images(prepared_dir: str | Path, split_csv: str | Path | None, which: str) -> tuple[torch.Tensor, np.ndarray]:
    """uint8 NCHW images of one side of the split, and their row indices in the prepared dataset."""
    data = load_prepared(prepared_dir)
    idx = split_rows(data, split_csv, which, prepared_dir)
    images = torch.from_numpy(np.ascontiguousarray(data.images[idx])).permute(0, 3, 1, 2).contiguous()
    return images, idx


def held_out_images(prepared_dir: str | Path, split_csv: str | Path, *, n: int, seed: int) -> torch.Tensor:
    """`n` test-split images picked by a seeded permutation (then in row order), float NCHW in [-1, 1].

    Presets with fewer than `n` test images reuse them rather than fail.
    """
    data = load_prepared(prepared_dir)
    idx = np.random.default_rng(seed).permutation(split_rows(data, split_csv, "test", prepared_dir))
    if len(idx) < n:
        idx = np.resize(idx, n)
    return to_model_range(data.images[np.sort(idx[:n])])
