"""CelebA loader: the released text formats, the D2C crop geometry, ordering and every error case."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from diffae.data.celeba import (
    CELEBA_ATTRIBUTES,
    d2c_crop,
    load_celeba,
    read_celeba_attributes,
    read_celeba_partition,
)
from diffae.data.errors import DatasetError
from diffae.data.images import read_rgb, resize_square

N = 5
PARTS = [0, 0, 1, 2, 0]


def _values(i: int) -> list[int]:
    """Row i's 40 attribute values (1/-1): attribute j is on when (i + j) % 3 == 0."""
    return [1 if (i + j) % 3 == 0 else -1 for j in range(40)]


def _image(i: int) -> np.ndarray:
    rng = np.random.default_rng(i)
    img = np.full((218, 178, 3), 40 * i, dtype=np.uint8)
    img[57:185, 25:153] = rng.integers(0, 256, 3, dtype=np.uint8)  # a flat colour inside the crop window
    return img


def make_celeba(root: Path, n: int = N) -> Path:
    """A tiny CelebA tree in the exact released layout (multi-space separated attribute rows)."""
    (root / "img_align_celeba").mkdir(parents=True)
    rows = []
    for i in range(n):
        name = f"{i + 1:06d}.jpg"
        Image.fromarray(_image(i)).save(root / "img_align_celeba" / name, quality=100)
        rows.append(name + " " + " ".join(f"{v:2d}" for v in _values(i)))
    (root / "list_attr_celeba.txt").write_text(f"{n}\n" + " ".join(CELEBA_ATTRIBUTES) + " \n" + "\n".join(rows) + "\n")
    (root / "list_eval_partition.txt").write_text("".join(f"{i + 1:06d}.jpg {PARTS[i]}\n" for i in range(n)))
    return root


def test_official_attribute_names() -> None:
    assert len(CELEBA_ATTRIBUTES) == 40 == len(set(CELEBA_ATTRIBUTES))
    assert CELEBA_ATTRIBUTES[0] == "5_o_Clock_Shadow" and CELEBA_ATTRIBUTES[-1] == "Young"
    assert CELEBA_ATTRIBUTES.index("Smiling") == 31 and CELEBA_ATTRIBUTES.index("Male") == 20


def test_read_attributes_and_partition(tmp_path: Path) -> None:
    root = make_celeba(tmp_path)
    attrs = read_celeba_attributes(root / "list_attr_celeba.txt")
    assert list(attrs.columns) == ["file", *CELEBA_ATTRIBUTES]
    assert attrs["file"].tolist() == [f"{i + 1:06d}.jpg" for i in range(N)]
    expected = (np.array([_values(i) for i in range(N)]) > 0).astype(int)
    np.testing.assert_array_equal(attrs[list(CELEBA_ATTRIBUTES)].to_numpy(), expected)
    parts = read_celeba_partition(root / "list_eval_partition.txt")
    assert parts["partition"].tolist() == ["train", "train", "valid", "test", "train"]


def test_d2c_crop_geometry() -> None:
    img = np.zeros((218, 178, 3), dtype=np.uint8)
    img[57, 25] = (255, 0, 0)      # top-left of the window
    img[184, 152] = (0, 255, 0)    # bottom-right of the window
    img[56, 24] = (0, 0, 255)      # just outside
    crop = d2c_crop(img)
    assert crop.shape == (128, 128, 3)
    assert tuple(crop[0, 0]) == (255, 0, 0) and tuple(crop[127, 127]) == (0, 255, 0)
    assert not (crop == (0, 0, 255)).all(axis=-1).any()
    with pytest.raises(ValueError, match="218x178"):
        d2c_crop(np.zeros((100, 100, 3), dtype=np.uint8))


def test_load_celeba_crop_resize_and_labels(tmp_path: Path) -> None:
    root = make_celeba(tmp_path)
    images, labels = load_celeba(root, image_size=128, progress=False)
    assert images.shape == (N, 128, 128, 3) and images.dtype == np.uint8
    assert list(labels.columns) == ["file", "partition", *CELEBA_ATTRIBUTES]
    # image_size 128 = the crop itself: identical to slicing the decoded file
    raw = read_rgb(root / "img_align_celeba" / "000003.jpg")
    np.testing.assert_array_equal(images[2], raw[57:185, 25:153])
    # the crop is the flat inner colour, not the 40*i border outside the window
    inner = np.random.default_rng(2).integers(0, 256, 3, dtype=np.uint8).astype(int)
    assert np.abs(images[2].reshape(-1, 3).mean(0) - inner).max() < 3
    small, _ = load_celeba(root, image_size=16, progress=False)
    assert small.shape == (N, 16, 16, 3)
    np.testing.assert_array_equal(small[4], resize_square(d2c_crop(read_rgb(root / "img_align_celeba" / "000005.jpg")), 16))


def test_partition_and_limit(tmp_path: Path) -> None:
    root = make_celeba(tmp_path)
    _, train = load_celeba(root, 8, partition="train", progress=False)
    assert train["file"].tolist() == ["000001.jpg", "000002.jpg", "000005.jpg"]
    _, valid = load_celeba(root, 8, partition=1, progress=False)
    assert valid["file"].tolist() == ["000003.jpg"] and valid["partition"].tolist() == ["valid"]
    images, first = load_celeba(root, 8, limit=2, progress=False)
    assert len(images) == 2 and first["file"].tolist() == ["000001.jpg", "000002.jpg"]
    with pytest.raises(ValueError, match="partition"):
        load_celeba(root, 8, partition="training", progress=False)


def test_missing_root_names_path_and_layout(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"nowhere.*img_align_celeba"):
        load_celeba(tmp_path / "nowhere", 8, progress=False)


@pytest.mark.parametrize("name", ["list_attr_celeba.txt", "list_eval_partition.txt"])
def test_missing_text_file(tmp_path: Path, name: str) -> None:
    root = make_celeba(tmp_path)
    (root / name).unlink()
    with pytest.raises(DatasetError, match=name):
        load_celeba(root, 8, progress=False)


def _corrupt_line(root: Path, lineno: int, new: str) -> None:
    path = root / "list_attr_celeba.txt"
    lines = path.read_text().splitlines()
    lines[lineno - 1] = new
    path.write_text("\n".join(lines) + "\n")


def test_malformed_attribute_value_names_file_and_line(tmp_path: Path) -> None:
    root = make_celeba(tmp_path)
    _corrupt_line(root, 4, "000002.jpg " + " ".join(["1"] * 39 + ["2"]))
    with pytest.raises(DatasetError, match=r"list_attr_celeba\.txt line 4.*Young.*'2'"):
        load_celeba(root, 8, progress=False)


def test_wrong_field_count_and_header(tmp_path: Path) -> None:
    root = make_celeba(tmp_path)
    _corrupt_line(root, 5, "000003.jpg 1 -1 1")
    with pytest.raises(DatasetError, match=r"line 5.*40 values"):
        read_celeba_attributes(root / "list_attr_celeba.txt")
    root2 = make_celeba(tmp_path / "b")
    _corrupt_line(root2, 2, " ".join(CELEBA_ATTRIBUTES[:-1]))
    with pytest.raises(DatasetError, match="line 2"):
        read_celeba_attributes(root2 / "list_attr_celeba.txt")
    root3 = make_celeba(tmp_path / "c")
    _corrupt_line(root3, 1, "7")
    with pytest.raises(DatasetError, match="announces 7 images but 5"):
        read_celeba_attributes(root3 / "list_attr_celeba.txt")


def test_malformed_partition_line(tmp_path: Path) -> None:
    root = make_celeba(tmp_path)
    (root / "list_eval_partition.txt").write_text("000001.jpg 0\n000002.jpg 3\n")
    with pytest.raises(DatasetError, match=r"list_eval_partition\.txt line 2"):
        read_celeba_partition(root / "list_eval_partition.txt")


def test_image_without_partition(tmp_path: Path) -> None:
    root = make_celeba(tmp_path)
    (root / "list_eval_partition.txt").write_text("000001.jpg 0\n")
    with pytest.raises(DatasetError, match="000002.jpg"):
        load_celeba(root, 8, progress=False)


def test_listed_image_missing(tmp_path: Path) -> None:
    root = make_celeba(tmp_path)
    (root / "img_align_celeba" / "000004.jpg").unlink()
    with pytest.raises(DatasetError, match=r"000004\.jpg is listed.*missing"):
        load_celeba(root, 8, progress=False)


def test_unreadable_image_named(tmp_path: Path) -> None:
    root = make_celeba(tmp_path)
    (root / "img_align_celeba" / "000003.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DatasetError, match=r"unreadable image .*000003\.jpg"):
        load_celeba(root, 8, progress=False)


def test_too_small_image_named(tmp_path: Path) -> None:
    root = make_celeba(tmp_path)
    Image.fromarray(np.zeros((100, 100, 3), dtype=np.uint8)).save(root / "img_align_celeba" / "000002.jpg")
    with pytest.raises(DatasetError, match=r"000002\.jpg"):
        load_celeba(root, 8, progress=False)
