"""The procedural iLab-20M stand-in: real naming, determinism, readable by the real loader."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from diffae.data.ilab import load_ilab, parse_ilab_name, scan_ilab
from diffae.data.standin_ilab import ILAB_CATEGORIES, write_standin_ilab

SMALL = dict(n_identities=3, n_backgrounds=4, n_poses=5, image_size=16)


def _tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_count_names_and_layout(tmp_path):
    n = write_standin_ilab(tmp_path, **SMALL)
    files = sorted(tmp_path.rglob("*.jpg"))
    assert n == len(files) == 3 * 4 * 5
    for f in files:
        fields = parse_ilab_name(f.name)
        assert f.parent.name == f"c00_{fields['rotation']}"
        assert f.parent.parent.name == "train_img_c00_10class"
    assert {parse_ilab_name(f.name)["category"] for f in files} == set(ILAB_CATEGORIES[:3])


def test_same_seed_same_bytes_different_seed_differs(tmp_path):
    write_standin_ilab(tmp_path / "a", seed=3, **SMALL)
    write_standin_ilab(tmp_path / "b", seed=3, **SMALL)
    write_standin_ilab(tmp_path / "c", seed=4, **SMALL)
    assert _tree_hash(tmp_path / "a") == _tree_hash(tmp_path / "b")
    assert _tree_hash(tmp_path / "a") != _tree_hash(tmp_path / "c")


def test_loader_reads_standin_with_its_cardinalities(tmp_path):
    write_standin_ilab(tmp_path, n_identities=4, n_backgrounds=6, n_poses=3, image_size=16)
    images, labels = load_ilab(tmp_path, image_size=16, progress=False)
    assert images.shape == (72, 16, 16, 3)
    assert labels[["identity", "background", "pose"]].nunique().tolist() == [4, 6, 3]
    assert not labels.duplicated(["identity", "background", "pose"]).any()
    # every image differs from every other: attributes and jitter are visible
    flat = images.reshape(len(images), -1)
    assert len(np.unique(flat, axis=0)) == len(images)


def test_attributes_are_visible_in_pixels(tmp_path):
    """Same pose+background, other identity -> different image; background sets the border colour."""
    write_standin_ilab(tmp_path, jitter=0.0, **SMALL)
    images, labels = load_ilab(tmp_path, image_size=16, progress=False)
    border = np.concatenate([images[:, 0], images[:, -1]], axis=1).reshape(len(images), -1).astype(float)
    by_bg = [border[labels["background"] == b].mean(axis=0) for b in sorted(labels["background"].unique())]
    within = max(np.abs(border[labels["background"] == b] - by_bg[i]).mean()
                 for i, b in enumerate(sorted(labels["background"].unique())))
    between = min(np.abs(by_bg[i] - by_bg[j]).mean() for i in range(4) for j in range(i + 1, 4))
    assert between > 2 * within


def test_rewrite_with_fewer_removes_stale_images(tmp_path):
    write_standin_ilab(tmp_path, **SMALL)
    write_standin_ilab(tmp_path, n_identities=2, n_backgrounds=2, n_poses=2, image_size=16)
    assert len(scan_ilab(tmp_path)) == 8


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_identities"):
        write_standin_ilab("/nonexistent-never-written", n_identities=len(ILAB_CATEGORIES) + 1)
