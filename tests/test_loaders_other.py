"""CelebA-HQ, FFHQ, LSUN (LMDB) and CIFAR loaders on tiny fixtures in their exact released formats."""
from __future__ import annotations

import io
import pickle
from pathlib import Path

import lmdb
import numpy as np
import pytest
from PIL import Image

from diffae.data.celeba import CELEBA_ATTRIBUTES
from diffae.data.celebahq import load_celebahq
from diffae.data.cifar import load_cifar
from diffae.data.errors import DatasetError
from diffae.data.ffhq import load_ffhq
from diffae.data.lsun import load_lsun, lsun_lmdb_path


def _flat(colour, h: int = 32, w: int = 32) -> np.ndarray:
    return np.broadcast_to(np.array(colour, dtype=np.uint8), (h, w, 3)).copy()


# ---------------------------------------------------------------- CelebA-HQ

HQ_COLOURS = {0: (200, 30, 30), 1: (30, 200, 30), 2: (30, 30, 200)}


def make_celebahq(root: Path, image_dir: str | None = "CelebA-HQ-img") -> Path:
    folder = root / image_dir if image_dir else root
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, colour in HQ_COLOURS.items():
        Image.fromarray(_flat(colour, 48, 48)).save(folder / f"{i}.jpg", quality=100)
        rows.append(f"{i}.jpg  " + " ".join("1" if j == i else "-1" for j in range(40)))
    (root / "CelebAMask-HQ-attribute-anno.txt").write_text(
        f"{len(rows)}\n" + " ".join(CELEBA_ATTRIBUTES) + "\n" + "\n".join(rows) + "\n")
    return root


def test_celebahq_loads_in_annotation_order(tmp_path: Path) -> None:
    root = make_celebahq(tmp_path)
    images, labels = load_celebahq(root, image_size=16, progress=False)
    assert images.shape == (3, 16, 16, 3) and images.dtype == np.uint8
    assert labels["file"].tolist() == ["0.jpg", "1.jpg", "2.jpg"]
    assert list(labels.columns) == ["file", *CELEBA_ATTRIBUTES]
    assert labels["5_o_Clock_Shadow"].tolist() == [1, 0, 0] and labels["Attractive"].tolist() == [0, 0, 1]
    for i, colour in HQ_COLOURS.items():
        assert np.abs(images[i].reshape(-1, 3).mean(0) - colour).max() < 4
    images, labels = load_celebahq(root, image_size=16, limit=2, progress=False)
    assert len(images) == 2 == len(labels)


def test_celebahq_flat_folder_and_annotation_override(tmp_path: Path) -> None:
    root = make_celebahq(tmp_path / "flat", image_dir=None)
    images, _ = load_celebahq(root, 8, progress=False)
    assert images.shape == (3, 8, 8, 3)
    anno = tmp_path / "anno.txt"
    (root / "CelebAMask-HQ-attribute-anno.txt").rename(anno)
    with pytest.raises(DatasetError, match="CelebAMask-HQ-attribute-anno.txt"):
        load_celebahq(root, 8, progress=False)
    assert len(load_celebahq(root, 8, annotation=anno, progress=False)[0]) == 3


def test_celebahq_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"missing_root.*CelebA-HQ-img"):
        load_celebahq(tmp_path / "missing_root", 8, progress=False)
    root = make_celebahq(tmp_path / "a")
    (root / "CelebA-HQ-img" / "1.jpg").unlink()
    with pytest.raises(DatasetError, match=r"1\.jpg is listed .*missing"):
        load_celebahq(root, 8, progress=False)
    root = make_celebahq(tmp_path / "b")
    (root / "CelebA-HQ-img" / "2.jpg").write_bytes(b"\x00garbage")
    with pytest.raises(DatasetError, match=r"unreadable image .*2\.jpg"):
        load_celebahq(root, 8, progress=False)
    root = make_celebahq(tmp_path / "c")
    anno = root / "CelebAMask-HQ-attribute-anno.txt"
    lines = anno.read_text().splitlines()
    lines[3] = "1.jpg " + " ".join(["0"] * 40)
    anno.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=r"CelebAMask-HQ-attribute-anno\.txt line 4"):
        load_celebahq(root, 8, progress=False)


# ---------------------------------------------------------------- FFHQ

def test_ffhq_nested_folders_in_numeric_order(tmp_path: Path) -> None:
    layout = {"01000/01000.png": 3, "00000/00001.png": 2, "00000/00000.png": 1}
    for rel, v in layout.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(_flat((v, 2 * v, 3 * v), 8, 8)).save(tmp_path / rel)
    (tmp_path / "LICENSE.txt").write_text("not an image")
    images, labels = load_ffhq(tmp_path, image_size=8, progress=False)
    assert labels["file"].tolist() == ["00000/00000.png", "00000/00001.png", "01000/01000.png"]
    assert images.shape == (3, 8, 8, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(images[:, 0, 0], [[1, 2, 3], [2, 4, 6], [3, 6, 9]])  # PNG is lossless
    assert load_ffhq(tmp_path, 4, limit=2, progress=False)[0].shape == (2, 4, 4, 3)


def test_ffhq_flat_numeric_order_and_centre_crop(tmp_path: Path) -> None:
    for stem in ("10", "2", "1"):
        img = np.zeros((10, 30, 3), dtype=np.uint8)
        img[:, 10:20] = int(stem) * 20          # only the centre 10x10 square is bright
        Image.fromarray(img).save(tmp_path / f"{stem}.png")
    images, labels = load_ffhq(tmp_path, image_size=10, progress=False)
    assert labels["file"].tolist() == ["1.png", "2.png", "10.png"]
    np.testing.assert_array_equal(images[2], np.full((10, 10, 3), 200, dtype=np.uint8))


def test_ffhq_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"nope.*<NNNNN>"):
        load_ffhq(tmp_path / "nope", 8, progress=False)
    (tmp_path / "thumbnails128x128" / "00000").mkdir(parents=True)
    with pytest.raises(DatasetError, match="no PNG images"):
        load_ffhq(tmp_path, 8, progress=False)
    (tmp_path / "00000").mkdir()
    (tmp_path / "00000" / "00007.png").write_bytes(b"broken")
    with pytest.raises(DatasetError, match=r"unreadable image .*00007\.png"):
        load_ffhq(tmp_path, 8, progress=False)


# ---------------------------------------------------------------- LSUN

def _jpeg(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=100)
    return buf.getvalue()


def _wide(colour) -> np.ndarray:
    """40 wide x 24 tall: grey side bands, `colour` in the centred 24x24 square."""
    img = np.full((24, 40, 3), 128, dtype=np.uint8)
    img[:, 8:32] = colour
    return img


LSUN_VALUES = {b"ff01": (220, 20, 20), b"0a9c": (20, 220, 20), b"5b77": (20, 20, 220)}


def make_lsun(path: Path, extra: dict[bytes, bytes] | None = None) -> Path:
    with lmdb.open(str(path), map_size=1 << 24) as env, env.begin(write=True) as txn:
        for key, colour in LSUN_VALUES.items():
            txn.put(key, _jpeg(_wide(colour)))
        for key, value in (extra or {}).items():
            txn.put(key, value)
    return path


def test_lsun_key_order_centre_crop_resize(tmp_path: Path) -> None:
    path = make_lsun(lsun_lmdb_path(tmp_path, "bedroom"))
    assert path.name == "bedroom_train_lmdb"
    images, labels = load_lsun(path, image_size=12, progress=False)
    assert labels["file"].tolist() == ["0a9c", "5b77", "ff01"]   # LMDB key order
    assert images.shape == (3, 12, 12, 3) and images.dtype == np.uint8
    for img, key in zip(images, labels["file"]):
        # the grey side bands are cut by the centre crop
        assert np.abs(img.reshape(-1, 3).astype(int) - LSUN_VALUES[key.encode()]).max() < 24  # grey would be >= 92 off
    images2, labels2 = load_lsun(path / "data.mdb", image_size=12, limit=2, progress=False)
    assert labels2["file"].tolist() == ["0a9c", "5b77"]
    np.testing.assert_array_equal(images2, images[:2])


def test_lsun_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"horse_train_lmdb does not exist"):
        load_lsun(lsun_lmdb_path(tmp_path, "horse"), 8, progress=False)
    (tmp_path / "plain").mkdir()
    with pytest.raises(DatasetError, match=r"plain is not an LMDB"):
        load_lsun(tmp_path / "plain", 8, progress=False)
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "data.mdb").write_bytes(b"\x00" * 64)
    with pytest.raises(DatasetError, match=r"fake"):
        load_lsun(tmp_path / "fake", 8, progress=False)
    path = make_lsun(tmp_path / "bad_lmdb", extra={b"1234": b"not an image"})
    with pytest.raises(DatasetError, match=r"bad_lmdb key '1234'"):
        load_lsun(path, 8, progress=False)


# ---------------------------------------------------------------- CIFAR

def _pattern(offset: int, n: int = 4) -> np.ndarray:
    """(n, 3072) rows: R plane, G plane, B plane, each 32x32 row-major; value = f(image, channel, row, col)."""
    i, ch, r, c = np.meshgrid(np.arange(n), np.arange(3), np.arange(32), np.arange(32), indexing="ij")
    return ((offset + 7 * i + 50 * ch + r + 3 * c) % 256).astype(np.uint8).reshape(n, 3072)


def _dump(path: Path, obj: dict) -> None:
    with open(path, "wb") as fh:
        pickle.dump(obj, fh, protocol=2)


def make_cifar10(root: Path) -> Path:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    names = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]
    _dump(folder / "batches.meta", {b"label_names": names, b"num_cases_per_batch": 4})
    for b, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        _dump(folder / name, {b"batch_label": name.encode(), b"data": _pattern(10 * b),
                              b"labels": [(b + j) % 10 for j in range(4)],
                              b"filenames": [f"{name}_{j}.png".encode() for j in range(4)]})
    return root


def make_cifar100(root: Path) -> Path:
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True)
    _dump(folder / "meta", {b"fine_label_names": [f"fine{k}".encode() for k in range(100)],
                            b"coarse_label_names": [f"coarse{k}".encode() for k in range(20)]})
    for b, name in enumerate(["train", "test"]):
        _dump(folder / name, {b"data": _pattern(b), b"fine_labels": [99, 0, 42, 7], b"coarse_labels": [19, 0, 5, 1],
                              b"filenames": [f"{name}{j}.png".encode() for j in range(4)]})
    return root


def test_cifar10_layout_pixels_and_labels(tmp_path: Path) -> None:
    root = make_cifar10(tmp_path)
    images, labels = load_cifar(root, "cifar10", "train")
    assert images.shape == (20, 32, 32, 3) and images.dtype == np.uint8
    # batch 2 (offset 10), image 1, row 5, col 9, channel G: (10 + 7 + 50 + 5 + 27) % 256
    assert images[4 + 1, 5, 9, 1] == (10 + 7 + 50 + 5 + 27) % 256
    assert images[0, 31, 0, 2] == (100 + 31) % 256
    assert labels["label"].tolist()[:6] == [0, 1, 2, 3, 1, 2]
    assert labels["label_name"].tolist()[:4] == ["airplane", "automobile", "bird", "cat"]
    assert labels["file"].tolist()[4] == "data_batch_2_0.png"
    test_images, test_labels = load_cifar(root / "cifar-10-batches-py", "cifar10", "test")  # folder itself
    assert test_images.shape == (4, 32, 32, 3) and test_labels["label"].tolist() == [5, 6, 7, 8]


def test_cifar100_fine_and_coarse(tmp_path: Path) -> None:
    root = make_cifar100(tmp_path)
    images, labels = load_cifar(root, "cifar100", "test")
    assert images.shape == (4, 32, 32, 3)
    assert images[3, 2, 1, 0] == (1 + 21 + 2 + 3) % 256
    assert labels["label"].tolist() == [99, 0, 42, 7] and labels["label_name"][0] == "fine99"
    assert labels["coarse_label"].tolist() == [19, 0, 5, 1] and labels["coarse_label_name"][2] == "coarse5"


def test_cifar_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="cifar-100-python"):
        load_cifar(tmp_path, "cifar100")
    root = make_cifar10(tmp_path / "a")
    (root / "cifar-10-batches-py" / "data_batch_3").unlink()
    with pytest.raises(DatasetError, match=r"data_batch_3 does not exist"):
        load_cifar(root, "cifar10", "train")
    root = make_cifar10(tmp_path / "b")
    (root / "cifar-10-batches-py" / "test_batch").write_bytes(b"\x80\x02garbage")
    with pytest.raises(DatasetError, match=r"corrupt CIFAR pickle .*test_batch"):
        load_cifar(root, "cifar10", "test")
    root = make_cifar100(tmp_path / "c")
    _dump(root / "cifar-100-python" / "train", {b"data": _pattern(0), b"fine_labels": [0, 1, 2, 3],
                                                b"filenames": [b"x"] * 4})
    with pytest.raises(DatasetError, match=r"train lacks the entry 'coarse_labels'"):
        load_cifar(root, "cifar100", "train")
    root = make_cifar10(tmp_path / "d")
    _dump(root / "cifar-10-batches-py" / "test_batch", {b"data": np.zeros((4, 100), np.uint8), b"labels": [0] * 4,
                                                        b"filenames": [b"x"] * 4})
    with pytest.raises(DatasetError, match=r"test_batch: 'data' must be uint8 \(N, 3072\)"):
        load_cifar(root, "cifar10", "test")
    with pytest.raises(ValueError, match="which"):
        load_cifar(root, "cifar1000")
