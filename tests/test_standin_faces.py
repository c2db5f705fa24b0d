"""Cartoon-face CelebA stand-in: real CelebA format, determinism, geometry, and attributes that show."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from diffae.data.celeba import CELEBA_ATTRIBUTES, load_celeba, read_celeba_attributes
from diffae.data.standin_faces import (
    DRAWN_ATTRIBUTES,
    HAIR_PROBABILITIES,
    face_for_index,
    render_face,
    write_standin_celeba,
)

N = 120


def tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def standin(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("standin")
    assert write_standin_celeba(root, n_images=N, seed=0) == N
    return root


@pytest.fixture(scope="module")
def loaded(standin: Path):
    return load_celeba(standin, image_size=64, progress=False)


def test_deterministic_tree_and_per_index_faces(tmp_path: Path, standin: Path) -> None:
    write_standin_celeba(tmp_path / "again", n_images=N, seed=0)
    assert tree_hash(tmp_path / "again") == tree_hash(standin)
    write_standin_celeba(tmp_path / "other", n_images=N, seed=1)
    assert tree_hash(tmp_path / "other") != tree_hash(standin)
    # image i depends only on (seed, i); rewriting a smaller set removes the stale files
    write_standin_celeba(tmp_path / "again", n_images=10, seed=0)
    files = sorted((tmp_path / "again" / "img_align_celeba").iterdir())
    assert [f.name for f in files] == [f"{i:06d}.jpg" for i in range(1, 11)]
    assert files[9].read_bytes() == (standin / "img_align_celeba" / "000010.jpg").read_bytes()
    assert not list((tmp_path / "again").glob("**/*.tmp"))


def test_real_format_read_by_load_celeba(standin: Path, loaded) -> None:
    images, labels = loaded
    assert images.shape == (N, 64, 64, 3) and images.dtype == np.uint8
    assert labels["file"].tolist()[:2] == ["000001.jpg", "000002.jpg"]
    assert list(labels.columns) == ["file", "partition", *CELEBA_ATTRIBUTES]
    assert labels["partition"].value_counts().to_dict() == {"train": 96, "valid": 12, "test": 12}
    with Image.open(standin / "img_align_celeba" / "000001.jpg") as im:
        assert im.size == (178, 218) and im.format == "JPEG"
    lines = (standin / "list_attr_celeba.txt").read_text().splitlines()
    assert lines[0] == str(N) and lines[1].split() == list(CELEBA_ATTRIBUTES)


def test_attribute_table_consistent(standin: Path) -> None:
    attrs = read_celeba_attributes(standin / "list_attr_celeba.txt")
    undrawn = [a for a in CELEBA_ATTRIBUTES if a not in DRAWN_ATTRIBUTES]
    assert len(undrawn) == 40 - len(DRAWN_ATTRIBUTES) and (attrs[undrawn] == 0).all().all()
    assert (attrs[list(HAIR_PROBABILITIES)].sum(axis=1) == 1).all()        # exactly one hair colour
    assert (attrs["No_Beard"] == 1 - attrs["Male"]).all()
    for a in ("Smiling", "Eyeglasses", "Male", "Wearing_Hat", "Bangs", "Pale_Skin", "Mouth_Slightly_Open",
              "Blond_Hair", "Black_Hair", "Brown_Hair"):
        assert 0 < attrs[a].sum() < N, a                                      # both values occur
    # drawn independently: Smiling does not determine Eyeglasses
    assert len(attrs.groupby(["Smiling", "Eyeglasses", "Male"])) == 8


def _toggle(attrs: dict, name: str, value: int) -> dict:
    """Set one attribute; turning a hair colour off switches to another colour (exactly one is on)."""
    out = dict(attrs)
    if name in HAIR_PROBABILITIES:
        for h in HAIR_PROBABILITIES:
            out[h] = -1
        if value < 0:
            out["Gray_Hair" if name != "Gray_Hair" else "Black_Hair"] = 1
    out[name] = value
    if name == "Male":
        out["No_Beard"] = -value
    return out


# regions in the full 218x178 frame: (rows, cols)
REGIONS = {
    "Eyeglasses": (slice(104, 132), slice(60, 118)),
    "Smiling": (slice(138, 160), slice(70, 108)),
    "Mouth_Slightly_Open": (slice(138, 160), slice(70, 108)),
    "Wearing_Hat": (slice(60, 90), slice(50, 128)),
    "Bangs": (slice(88, 106), slice(62, 116)),
    "Pale_Skin": (slice(122, 136), slice(62, 78)),
    "Male": (slice(150, 176), slice(50, 128)),
}


@pytest.mark.parametrize("name", sorted(REGIONS))
def test_attribute_changes_its_region(name: str) -> None:
    rows, cols = REGIONS[name]
    for index in range(6):
        attrs, style = face_for_index(5, index)
        base = {**attrs, "Wearing_Hat": -1} if name != "Wearing_Hat" else attrs
        on = render_face(_toggle(base, name, 1), style).astype(int)
        off = render_face(_toggle(base, name, -1), style).astype(int)
        diff = np.abs(on - off)
        inside = diff[rows, cols].mean()
        rest = diff.sum() - diff[rows, cols].sum()
        assert inside > 5, (name, index)
        assert inside > 3 * rest / (diff.size - diff[rows, cols].size), (name, index)


@pytest.mark.parametrize("name", sorted(set(DRAWN_ATTRIBUTES) - {"No_Beard"}))
def test_attributes_only_change_pixels_inside_the_d2c_window(name: str) -> None:
    styles = [face_for_index(3, i)[1] for i in range(8)]
    big = replace(styles[0], rx=39.0, ry=48.0)
    styles += [replace(big, cx=86.0, cy=121.0), replace(big, cx=92.0, cy=127.0)]
    attrs = face_for_index(3, 0)[0]
    for style in styles:
        outside = np.ones((218, 178), dtype=bool)
        outside[57:185, 25:153] = False
        neck = round(0.35 * style.rx) + 3   # the neck below the chin is skin-coloured (Pale_Skin)
        outside[185:, int(style.cx) - neck: int(style.cx) + neck + 1] = False
        for other_male in (-1, 1):
            base = _toggle(attrs, "Male", other_male) if name != "Male" else attrs
            diff = render_face(_toggle(base, name, 1), style) != render_face(_toggle(base, name, -1), style)
            assert diff.any(), name
            assert not diff.any(axis=-1)[outside].any(), (name, style)


def test_hair_colour_is_visible() -> None:
    attrs, style = face_for_index(9, 0)
    attrs = {**attrs, "Wearing_Hat": -1}
    hair = (slice(74, 84), slice(78, 100))
    blond = render_face(_toggle(attrs, "Blond_Hair", 1), style)[hair].mean()
    black = render_face(_toggle(attrs, "Black_Hair", 1), style)[hair].mean()
    brown = render_face(_toggle(attrs, "Brown_Hair", 1), style)[hair].mean()
    assert blond > brown + 30 > black + 60


def test_eyeglasses_visible_in_loaded_crops(loaded) -> None:
    images, labels = loaded
    x = images.astype(np.float64)
    eyes = (slice(23, 38), slice(17, 47))   # eye band in 64x64 D2C-cropped coordinates
    glasses = labels["Eyeglasses"].to_numpy() == 1
    diff = np.abs(x[glasses].mean(0) - x[~glasses].mean(0))
    assert diff[eyes].mean() > 12
    assert diff[eyes].mean() > 2 * diff[48:, :].mean()   # stronger than in the mouth/chin band


def test_blond_vs_black_hair_statistics(loaded) -> None:
    images, labels = loaded
    hair = images[:, 10:15, 26:38].astype(np.float64).mean(axis=(1, 2, 3))
    no_hat = labels["Wearing_Hat"].to_numpy() == 0
    blond = hair[no_hat & (labels["Blond_Hair"].to_numpy() == 1)]
    black = hair[no_hat & (labels["Black_Hair"].to_numpy() == 1)]
    assert len(blond) >= 3 and len(black) >= 3
    assert blond.mean() > black.mean() + 60


def _at_32px(img: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(img[57:185, 25:153]).resize((32, 32), Image.BILINEAR), dtype=float)


@pytest.mark.parametrize("name", ["Wavy_Hair", "Young"])
def test_wavy_hair_and_young_are_drawn_where_they_belong_and_visible_at_32_px(name: str) -> None:
    """Young (off = old) marks only the face; Wavy_Hair mostly the hair around it; at 32 px both change the
    image at least as much as Smiling does, on average (Diff-AE Tables 9-10 and Figs 5, 13 manipulate them)."""
    ours, smiles = [], []
    for index in range(6):
        attrs, style = face_for_index(11, index)
        base = {**attrs, "Wearing_Hat": -1, "Bangs": -1}
        on, off = (render_face({**base, name: v}, style) for v in (1, -1))
        changed = (on != off).any(axis=-1)
        rows, cols = np.mgrid[0:218, 0:178]
        inside_face = ((cols - style.cx) / style.rx) ** 2 + ((rows - style.cy) / style.ry) ** 2 < 1
        assert changed.any()
        if name == "Young":
            assert not changed[~inside_face].any(), index
        else:
            assert changed[~inside_face].sum() > 3 * changed[inside_face].sum(), index
        smile = [render_face({**base, "Smiling": v}, style) for v in (1, -1)]
        ours.append(np.abs(_at_32px(on) - _at_32px(off)).mean())
        smiles.append(np.abs(_at_32px(smile[0]) - _at_32px(smile[1])).mean())
    assert np.mean(ours) > np.mean(smiles), (name, ours, smiles)


def test_wavy_hair_and_young_are_labelled_with_both_values(standin: Path) -> None:
    labels = load_celeba(standin, image_size=8, progress=False)[1]
    for name in ("Wavy_Hair", "Young"):
        assert set(labels[name]) == {0, 1}, name
