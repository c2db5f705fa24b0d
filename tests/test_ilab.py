"""iLab-20M loader on tiny fixture trees written in the real on-disk format."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from diffae.data.errors import DatasetError
from diffae.data.ilab import ILAB_ATTRIBUTES, load_ilab, parse_ilab_name, scan_ilab

FIXTURE = [  # (category, instance, background, rotation)
    ("boat", "i0001", "b0015", "r03"),
    ("boat", "i0002", "b0015", "r01"),
    ("car", "i0001", "b0020", "r03"),
    ("car", "i0001", "b0015", "r01"),
    ("tank", "i0007", "b0020", "r01"),
]


def _write_tree(root: Path, size=(40, 24)) -> list[str]:
    names = []
    for k, (cat, inst, bg, rot) in enumerate(FIXTURE):
        folder = root / "train_img_c00_10class" / f"c00_{rot}"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{cat}-{inst}-{bg}-c00-{rot}-l0-f2.jpg"
        img = np.zeros((size[1], size[0], 3), dtype=np.uint8)
        img[:, : size[0] // 2] = (20 * k, 200, 50)   # left half coloured, right half black
        Image.fromarray(img).save(folder / name, quality=95)
        names.append(name)
    return names


def test_parse_good_name():
    f = parse_ilab_name("boat-i0001-b0015-c00-r03-l0-f2.jpg")
    assert f == {"category": "boat", "instance": "i0001", "background": "b0015", "camera": "c00",
                 "rotation": "r03", "light": "l0", "focus": "f2"}
    assert parse_ilab_name("some/dir/f1car-i0012-b0111-c03-r07-l3-f1.jpg")["category"] == "f1car"


@pytest.mark.parametrize("name", [
    "boat-i0001-b0015-c00-r03-l0.jpg",            # missing focus
    "boat_i0001_b0015_c00_r03_l0_f2.jpg",         # wrong separator
    "boat-x0001-b0015-c00-r03-l0-f2.jpg",         # wrong instance prefix
    "boat-i0001-b0015-c00-r03-l0-f2.png",         # wrong extension
])
def test_parse_malformed_names_name_file_and_pattern(name):
    with pytest.raises(DatasetError, match="iNNNN-bNNNN") as info:
        parse_ilab_name(name)
    assert name in str(info.value)


def test_scan_reads_nested_tree_and_values_from_data(tmp_path):
    _write_tree(tmp_path)
    df = scan_ilab(tmp_path)
    assert len(df) == len(FIXTURE)
    assert list(df.columns[:4]) == ["file", *ILAB_ATTRIBUTES]
    assert df["file"].tolist() == sorted(df["file"].tolist())
    assert df["file"].iloc[0].startswith("train_img_c00_10class/c00_r01/")
    assert set(df["identity"]) == {"boat", "car", "tank"}          # 3 categories -> 3 identities
    assert set(df["background"]) == {"b0015", "b0020"}
    assert set(df["pose"]) == {"c00-r01", "c00-r03"}
    row = df[df["file"].str.endswith("car-i0001-b0020-c00-r03-l0-f2.jpg")].iloc[0]
    assert (row["identity"], row["background"], row["pose"], row["instance"]) == ("car", "b0020", "c00-r03", "i0001")


def test_scan_identity_instance(tmp_path):
    _write_tree(tmp_path)
    df = scan_ilab(tmp_path, identity="instance")
    assert set(df["identity"]) == {"boat-i0001", "boat-i0002", "car-i0001", "tank-i0007"}
    with pytest.raises(ValueError, match="identity"):
        scan_ilab(tmp_path, identity="colour")


def test_scan_missing_root_names_path_and_layout(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DatasetError, match="train_img_c00_10class") as info:
        scan_ilab(missing)
    assert str(missing) in str(info.value)


def test_scan_empty_root_names_path(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "readme.txt").write_text("no images")
    with pytest.raises(DatasetError, match="no .jpg") as info:
        scan_ilab(tmp_path)
    assert str(tmp_path) in str(info.value)


def test_scan_malformed_file_name_is_named(tmp_path):
    _write_tree(tmp_path)
    bad = tmp_path / "train_img_c00_10class" / "c00_r01" / "boat-b0015-r01.jpg"
    Image.new("RGB", (8, 8)).save(bad)
    with pytest.raises(DatasetError, match="boat-b0015-r01.jpg"):
        scan_ilab(tmp_path)


def test_load_crops_square_resizes_and_keeps_order(tmp_path):
    _write_tree(tmp_path, size=(40, 24))
    images, labels = load_ilab(tmp_path, image_size=12, progress=False)
    assert images.shape == (len(FIXTURE), 12, 12, 3) and images.dtype == np.uint8
    assert labels.equals(scan_ilab(tmp_path))
    # centre square of a 40x24 image with its left 20 columns coloured: columns 8..19 coloured, 20..31 black
    assert images[:, :, :4, 1].mean() > 150 and images[:, :, -4:, :].mean() < 30


def test_load_unreadable_image_is_named(tmp_path):
    _write_tree(tmp_path)
    bad = tmp_path / "train_img_c00_10class" / "c00_r03" / "van-i0001-b0001-c00-r03-l0-f2.jpg"
    bad.write_bytes(b"this is not a jpeg at all")
    with pytest.raises(DatasetError, match="unreadable") as info:
        load_ilab(tmp_path, image_size=8, progress=False)
    assert "van-i0001-b0001-c00-r03-l0-f2.jpg" in str(info.value)
