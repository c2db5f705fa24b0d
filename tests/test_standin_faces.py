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
    """The D2C window of a full frame at 32x32, as the pipeline sees it."""
    return np.asarray(Image.fromarray(img[57:185, 25:153]).resize((32, 32), Image.BILINEAR), dtype=float)


def _in_face(style, rows, cols) -> np.ndarray:
    return ((cols - style.cx) / style.rx) ** 2 + ((rows - style.cy) / style.ry) ** 2 < 1


@pytest.mark.parametrize("name", ["Wavy_Hair", "Young"])
def test_wavy_hair_and_young_are_drawn_where_they_belong_and_visible_at_32_px(name: str) -> None:
    """Young off (old) marks the forehead, under the eyes and the cheeks, nothing outside the face; Wavy_Hair marks
    the hair, not the face below the hairline; at 32 px both change the image clearly, more than Smiling does
    (Diff-AE Tables 9-10 and Figs 5, 13 manipulate them)."""
    rows, cols = np.mgrid[0:218, 0:178]
    ours, smiles = [], []
    for index in range(8):
        attrs, style = face_for_index(11, index)
        cx, cy, rx, ry = style.cx, style.cy, style.rx, style.ry
        base = {**attrs, "Wearing_Hat": -1, "Bangs": -1}
        on, off = (render_face({**base, name: v}, style) for v in (1, -1))
        changed = (on != off).any(axis=-1)
        face = _in_face(style, rows, cols)
        if name == "Young":
            assert not changed[~face].any(), index
            forehead = (rows > cy - 0.6 * ry) & (rows < cy - 0.35 * ry) & (abs(cols - cx) < 0.5 * rx)
            under_eyes = (rows > cy - 0.12 * ry + 6) & (rows < cy - 0.12 * ry + 13) & (abs(cols - cx) < 0.6 * rx)
            cheeks = (rows > cy + 0.2 * ry) & (rows < cy + 0.35 * ry) & (abs(abs(cols - cx) - 0.3 * rx) < 0.2 * rx)
            for part in (forehead, under_eyes, cheeks):
                assert changed[part].mean() > 0.05, index
        else:
            below_hairline = face & (rows > cy - 0.65 * ry) & (abs(cols - cx) < 0.6 * rx)
            assert not changed[below_hairline].any(), index
            assert not changed[rows > cy + ry + 12].any(), index            # nothing below the hair's ends
            assert changed[~face].sum() > 200, index
        smile = [render_face({**base, "Smiling": v}, style) for v in (1, -1)]
        ours.append(np.abs(_at_32px(on) - _at_32px(off)).mean())
        smiles.append(np.abs(_at_32px(smile[0]) - _at_32px(smile[1])).mean())
    assert min(ours) > 0.6 and np.mean(ours) > 1.2, (name, ours)
    assert np.mean(ours) > 2 * np.mean(smiles), (name, ours, smiles)


@pytest.mark.parametrize("male", [-1, 1])
def test_wavy_hair_shows_under_a_hat(male: int) -> None:
    """Long hair waves beside the face, a short cap's temple curls stick out below the brim."""
    diffs = []
    for index in range(8):
        attrs, style = face_for_index(11, index)
        base = {**attrs, "Wearing_Hat": 1, "Male": male, "No_Beard": -male}
        on, off = (_at_32px(render_face({**base, "Wavy_Hair": v}, style)) for v in (1, -1))
        diffs.append(np.abs(on - off).mean())
    assert np.mean(diffs) > 0.8, diffs


def test_wavy_hair_and_young_are_labelled_with_both_values(standin: Path) -> None:
    labels = load_celeba(standin, image_size=8, progress=False)[1]
    assert 0.15 < labels["Wavy_Hair"].mean() < 0.55 and 0.4 < labels["Young"].mean() < 0.8
    assert len(labels.groupby(["Wavy_Hair", "Young", "Male"])) == 8           # drawn independently


def test_wavy_hair_and_young_left_the_other_attributes_of_every_image_as_they_were() -> None:
    """They are the last random draws of an image's attributes: the other drawn attributes of seed 0's first 50
    images are the ones the generator gave before it drew Wavy_Hair and Young (digest recorded then)."""
    others = [a for a in DRAWN_ATTRIBUTES if a not in ("Wavy_Hair", "Young")]
    rows = " ".join("".join("1" if face_for_index(0, i)[0][a] > 0 else "0" for a in others) for i in range(50))
    assert hashlib.sha256(rows.encode()).hexdigest()[:16] == "8ea53d99fab570c8"


def test_faces_with_wavy_hair_and_young_are_deterministic() -> None:
    for index in range(4):
        attrs, style = face_for_index(7, index)
        again = face_for_index(7, index)
        assert (attrs, style) == again
        for name in ("Wavy_Hair", "Young"):
            for v in (1, -1):
                a = render_face({**attrs, name: v}, style)
                assert a.tobytes() == render_face({**attrs, name: v}, style).tobytes()
