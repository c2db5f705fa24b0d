"""DiffSiam Tables 4.1/4.2 data layer (SPEC §2.7): CIFAR-10/100 and the eight transfer stand-ins are written in the
real on-disk layouts and read back by the real readers; hand-written real-format fixtures; errors name the path."""
from __future__ import annotations

import hashlib
import inspect
import json

import numpy as np
import pytest
from PIL import Image

from diffae.data.cifar import load_cifar
from diffae.data.errors import DatasetError
from diffae.data.standin_cifar import write_standin_cifar
from diffae.data.standin_transfer import standin_classes, write_standin_transfer
from diffae.data.transfer import (FOLDERS, HAS_VAL, IMAGE_DATASETS, MEAN_PER_CLASS, METRIC, TRANSFER_DATASETS,
                                  load_transfer, transfer_index)

TINY = dict(n_classes=3, n_train_per_class=2, n_test_per_class=3, image_size=12, seed=1)
SPLIT_FILES = {   # a split file per layout, relative to the root
    "aircraft": "fgvc-aircraft-2013b/data/images_variant_test.txt", "caltech101": "caltech101/test.txt",
    "cars": "stanford_cars/cars_test_annos_withlabels.mat", "dtd": "dtd/dtd/labels/test1.txt",
    "flowers": "flowers-102/setid.mat", "food": "food-101/meta/test.json",
    "pets": "oxford-iiit-pet/annotations/test.txt", "sun397": "SUN397/Testing_01.txt",
}


def _digest(root):
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("transfer")
    for name in IMAGE_DATASETS:
        write_standin_transfer(root, name, **TINY)
    return root


def _save(path, size, colour):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, quality=95)


# --- constants ---------------------------------------------------------------------------------------------


def test_metric_and_split_constants_follow_spec_2_7():
    assert set(TRANSFER_DATASETS) == set(IMAGE_DATASETS) | {"cifar10", "cifar100"} and len(IMAGE_DATASETS) == 8
    assert MEAN_PER_CLASS == {"aircraft", "caltech101", "flowers", "pets"}
    assert {n for n, m in METRIC.items() if m == "top1"} == {"cars", "cifar10", "cifar100", "dtd", "food", "sun397"}
    assert HAS_VAL == {"aircraft", "dtd", "flowers"}


def test_standin_defaults_allow_5_way_10_shot_with_15_queries():
    defaults = {k: v.default for k, v in inspect.signature(write_standin_transfer).parameters.items()}
    assert defaults["n_classes"] >= 5 and defaults["n_test_per_class"] >= 25
    assert (defaults["n_classes"], defaults["n_train_per_class"], defaults["n_test_per_class"],
            defaults["image_size"]) == (6, 20, 30, 32)


def test_default_standin_has_25_test_images_per_class(tmp_path):
    assert write_standin_transfer(tmp_path, "pets") == {"train": 120, "test": 180}
    images, labels, names = load_transfer("pets", tmp_path, "test", 32)
    assert images.shape == (180, 32, 32, 3) and np.bincount(labels).min() >= 25 and len(names) == 6


# --- the eight transfer layouts: stand-in round trips ------------------------------------------------------


@pytest.mark.parametrize("name", IMAGE_DATASETS)
def test_standin_round_trip(tiny_root, name):
    names = [n for n, _ in standin_classes(name, 3)]
    if name == "pets":                                # the reader names breeds as torchvision does
        names = [" ".join(part.title() for part in n.split("_")) for n in names]
    per_class = {"train": 2, "val": 2, "trainval": 4, "test": 3} if name in HAS_VAL else {
        "train": 2, "trainval": 2, "test": 3}
    for split, n in per_class.items():
        images, labels, classes = load_transfer(name, tiny_root, split, image_size=12)
        assert classes == names
        assert images.shape == (3 * n, 12, 12, 3) and images.dtype == np.uint8
        assert labels.dtype == np.int64 and labels.shape == (3 * n,)
        assert np.bincount(labels, minlength=3).tolist() == [n] * 3
        assert images.std() > 5                      # not blank
    train, _, _ = transfer_index(name, tiny_root, "trainval")
    test, test_labels, _ = transfer_index(name, tiny_root, "test")
    assert all(f.is_file() for f in train + test)
    assert not set(train) & set(test) and len(set(train)) == len(train)
    assert load_transfer(name, tiny_root, "test", image_size=8)[0].shape == (9, 8, 8, 3)
    if name not in HAS_VAL:
        with pytest.raises(ValueError, match="no official val split"):
            load_transfer(name, tiny_root, "val", 12)


def test_standin_class_names_exercise_the_real_naming(tiny_root):
    assert transfer_index("aircraft", tiny_root, "train")[2] == ["700-100", "Cessna 151", "F/A-12"]
    assert transfer_index("caltech101", tiny_root, "train")[2][0] == "BACKGROUND_Google"
    assert transfer_index("pets", tiny_root, "train")[2] == ["Cat Breed00", "Dog Breed01", "Cat Breed02"]
    assert "city/street" in transfer_index("sun397", tiny_root, "train")[2]
    assert transfer_index("flowers", tiny_root, "train")[2] == ["1", "2", "3"]


@pytest.mark.parametrize("name", IMAGE_DATASETS + ("cifar10", "cifar100"))
def test_standin_bytes_are_a_function_of_the_arguments(tmp_path, name):
    def write(root, seed):
        if name.startswith("cifar"):
            write_standin_cifar(root, name, n_train_per_class=2, n_test_per_class=2, seed=seed)
        else:
            write_standin_transfer(root, name, **{**TINY, "seed": seed})
        return _digest(root / (FOLDERS[name]))

    first = write(tmp_path / "a", 3)
    assert write(tmp_path / "b", 3) == first
    assert write(tmp_path / "a", 3) == first         # rewriting in place leaves no stale files
    assert write(tmp_path / "c", 4) != first


def test_standin_sets_differ_from_each_other(tiny_root):
    means = [load_transfer(n, tiny_root, "test", 12)[0].reshape(-1, 3).mean(0) for n in IMAGE_DATASETS]
    dist = np.linalg.norm(np.array(means)[:, None] - np.array(means)[None], axis=-1)
    assert dist[~np.eye(len(means), dtype=bool)].min() > 1.0


# --- CIFAR-10 / -100 ---------------------------------------------------------------------------------------


def test_cifar_standins_are_read_by_the_pickle_reader(tmp_path):
    assert write_standin_cifar(tmp_path, "cifar10", 3, 2, seed=0) == {"train": 30, "test": 20}
    assert write_standin_cifar(tmp_path, "cifar100", 2, 2, seed=0) == {"train": 40, "test": 40}
    assert sorted(p.name for p in (tmp_path / "cifar-10-batches-py").iterdir()) == [
        "batches.meta", "data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"]
    assert sorted(p.name for p in (tmp_path / "cifar-100-python").iterdir()) == ["meta", "test", "train"]
    x, y, names = load_transfer("cifar10", tmp_path, "train", 32)
    assert x.shape == (30, 32, 32, 3) and x.dtype == np.uint8 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [3] * 10 and len(set(names)) == 10 and names[0] == "ember_disc"
    assert load_transfer("cifar10", tmp_path, "test", 16)[0].shape == (20, 16, 16, 3)
    x, y, names = load_transfer("cifar100", tmp_path, "test", 32)
    assert np.bincount(y).tolist() == [2] * 20 and len(names) == 20
    _, frame = load_cifar(tmp_path, "cifar100", "train")
    assert frame["coarse_label"].between(0, 9).all() and frame["coarse_label"].nunique() == 10
    assert (frame["label_name"].str.split("_").str[1] == frame["coarse_label_name"]).all()
    for which in ("cifar10", "cifar100"):
        train, test = (set(load_cifar(tmp_path, which, s)[1]["file"]) for s in ("train", "test"))
        assert not train & test
    with pytest.raises(ValueError, match="no official val split"):
        load_transfer("cifar10", tmp_path, "val", 32)


def test_cifar100_standin_can_have_100_classes(tmp_path):
    write_standin_cifar(tmp_path, "cifar100", 1, 1, seed=0, n_classes=100)
    _, y, names = load_transfer("cifar100", tmp_path, "train", 32)
    assert len(names) == len(set(names)) == 100 and np.bincount(y).tolist() == [1] * 100


# --- errors ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", IMAGE_DATASETS + ("cifar10",))
def test_missing_root_names_the_path_and_layout(tmp_path, name):
    with pytest.raises(DatasetError, match=str(tmp_path / "nowhere")) as err:
        load_transfer(name, tmp_path / "nowhere", "test", 12)
    assert FOLDERS[name] in str(err.value)


@pytest.mark.parametrize("name", IMAGE_DATASETS)
def test_missing_split_file_and_image_name_the_path(tmp_path, name):
    write_standin_transfer(tmp_path, name, n_classes=3, n_train_per_class=1, n_test_per_class=1, image_size=8)
    first = transfer_index(name, tmp_path, "train")[0][0]
    first.unlink()
    with pytest.raises(DatasetError, match=str(first)):
        load_transfer(name, tmp_path, "train", 8)
    (tmp_path / SPLIT_FILES[name]).unlink()
    with pytest.raises(DatasetError, match=str(tmp_path / SPLIT_FILES[name])) as err:
        load_transfer(name, tmp_path, "test", 8)
    assert "expected the layout" in str(err.value)


def test_malformed_split_line_is_reported(tmp_path):
    write_standin_transfer(tmp_path, "aircraft", n_classes=3, n_train_per_class=1, n_test_per_class=1, image_size=8)
    path = tmp_path / "fgvc-aircraft-2013b/data/images_variant_test.txt"
    path.write_text("1234567 Not-A-Variant\n")
    with pytest.raises(DatasetError, match="malformed line"):
        load_transfer("aircraft", tmp_path, "test", 8)


# --- hand-written fixtures in the real formats (not written by the stand-in writer) --------------------------

RED, GREEN, BLUE = (220, 20, 20), (20, 200, 20), (20, 20, 220)


def _close(img, colour):
    return np.abs(img.reshape(-1, 3).mean(0) - np.array(colour)).max() < 12


def test_dtd_fixture_with_centre_crop(tmp_path):
    images = tmp_path / "dtd/dtd/images"
    wide = Image.new("RGB", (30, 10), RED)
    wide.paste(Image.new("RGB", (10, 10), GREEN), (10, 0))       # only the centre square is green
    (images / "banded").mkdir(parents=True)
    wide.save(images / "banded/banded_0001.jpg", quality=95)
    _save(images / "zigzagged/zigzagged_0007.jpg", (12, 20), BLUE)
    labels = tmp_path / "dtd/dtd/labels"
    labels.mkdir()
    (labels / "train1.txt").write_text("zigzagged/zigzagged_0007.jpg\nbanded/banded_0001.jpg\n")
    x, y, names = load_transfer("dtd", tmp_path, "train", 8)
    assert names == ["banded", "zigzagged"] and y.tolist() == [1, 0] and x.shape == (2, 8, 8, 3)
    assert _close(x[0], BLUE) and _close(x[1][2:6, 2:6], GREEN)


def test_flowers_fixture_from_savemat(tmp_path):
    from scipy.io import savemat

    base = tmp_path / "flowers-102"
    for i, colour in enumerate((RED, GREEN, BLUE, RED), start=1):
        _save(base / "jpg" / f"image_{i:05d}.jpg", (16, 12), colour)
    savemat(base / "imagelabels.mat", {"labels": np.array([[3, 1, 2, 3]], dtype=np.float64)})
    savemat(base / "setid.mat", {"trnid": np.array([[4, 1]], np.float64), "valid": np.array([[2]], np.float64),
                                 "tstid": np.array([[3]], np.float64)})
    x, y, names = load_transfer("flowers", tmp_path, "train", 8)
    assert names == ["1", "2", "3"] and y.tolist() == [2, 2] and _close(x[0], RED)
    assert load_transfer("flowers", tmp_path, "val", 8)[1].tolist() == [0]
    x, y, _ = load_transfer("flowers", tmp_path, "test", 8)
    assert y.tolist() == [1] and _close(x[0], BLUE)
    assert load_transfer("flowers", tmp_path, "trainval", 8)[1].tolist() == [2, 2, 0]


def test_food_fixture_from_json(tmp_path):
    base = tmp_path / "food-101"
    _save(base / "images/apple_pie/1005649.jpg", (20, 16), RED)
    _save(base / "images/ramen/99.jpg", (16, 16), GREEN)
    _save(base / "images/apple_pie/134.jpg", (16, 24), BLUE)
    (base / "meta").mkdir()
    (base / "meta/train.json").write_text(json.dumps({"ramen": ["ramen/99"], "apple_pie": ["apple_pie/1005649"]}))
    (base / "meta/test.json").write_text(json.dumps({"apple_pie": ["apple_pie/134"], "ramen": []}))
    x, y, names = load_transfer("food", tmp_path, "train", 8)
    assert names == ["apple_pie", "ramen"] and y.tolist() == [0, 1]
    assert _close(x[0], RED) and _close(x[1], GREEN)
    x, y, _ = load_transfer("food", tmp_path, "test", 8)
    assert y.tolist() == [0] and _close(x[0], BLUE)


def test_cars_fixture_from_mat_structs(tmp_path):
    from scipy.io import savemat

    base = tmp_path / "stanford_cars"
    _save(base / "cars_train/00001.jpg", (24, 16), GREEN)
    _save(base / "cars_test/00001.jpg", (24, 16), RED)
    dtype = [("bbox_x1", "O"), ("bbox_y1", "O"), ("bbox_x2", "O"), ("bbox_y2", "O"), ("class", "O"), ("fname", "O")]
    for path, cls in ((base / "devkit/cars_train_annos.mat", 2), (base / "cars_test_annos_withlabels.mat", 1)):
        annos = np.zeros((1, 1), dtype=dtype)
        annos[0, 0] = (1, 1, 24, 16, cls, "00001.jpg")
        path.parent.mkdir(parents=True, exist_ok=True)
        savemat(path, {"annotations": annos})
    savemat(base / "devkit/cars_meta.mat", {"class_names": np.array([["AM General Hummer SUV 2000", "Acura RL 2012"]],
                                                                    dtype=object)})
    x, y, names = load_transfer("cars", tmp_path, "train", 8)
    assert names == ["AM General Hummer SUV 2000", "Acura RL 2012"] and y.tolist() == [1] and _close(x[0], GREEN)
    assert load_transfer("cars", tmp_path, "test", 8)[1].tolist() == [0]


def test_pets_and_sun397_fixtures(tmp_path):
    pets = tmp_path / "oxford-iiit-pet"
    _save(pets / "images/Abyssinian_100.jpg", (10, 14), RED)
    _save(pets / "images/american_bulldog_10.jpg", (14, 10), GREEN)
    (pets / "annotations").mkdir()
    (pets / "annotations/trainval.txt").write_text("Abyssinian_100 1 1 1\namerican_bulldog_10 2 2 1\n")
    x, y, names = load_transfer("pets", tmp_path, "train", 8)
    assert names == ["Abyssinian", "American Bulldog"] and y.tolist() == [0, 1] and _close(x[1], GREEN)
    sun = tmp_path / "SUN397"
    _save(sun / "a/abbey/sun_aaa.jpg", (12, 10), BLUE)
    _save(sun / "a/apartment_building/outdoor/sun_bbb.jpg", (12, 10), RED)
    (sun / "ClassName.txt").write_text("/a/abbey\n/a/apartment_building/outdoor\n")
    (sun / "Training_01.txt").write_text("/a/apartment_building/outdoor/sun_bbb.jpg\n/a/abbey/sun_aaa.jpg\n")
    x, y, names = load_transfer("sun397", tmp_path, "train", 8)
    assert names == ["abbey", "apartment_building/outdoor"] and y.tolist() == [1, 0] and _close(x[0], RED)


# --- agreement with torchvision's readers of the same layouts ------------------------------------------------


def test_torchvision_reads_the_standins_alike(tiny_root):
    tv = pytest.importorskip("torchvision.datasets")
    for name, make in (("aircraft", lambda s: tv.FGVCAircraft(tiny_root, split=s)),
                       ("dtd", lambda s: tv.DTD(tiny_root, split=s)),
                       ("food", lambda s: tv.Food101(tiny_root, split=s)),
                       ("pets", lambda s: tv.OxfordIIITPet(tiny_root, split="trainval" if s == "train" else s)),
                       ("cars", lambda s: tv.StanfordCars(tiny_root, split=s))):
        for split in ("train", "test"):
            ds = make(split)
            files, labels, classes = transfer_index(name, tiny_root, split)
            assert ds.classes == classes, name
            assert [ds[i][1] for i in range(len(ds))] == labels.tolist(), (name, split)
    sun = tv.SUN397(tiny_root)
    ours = [transfer_index("sun397", tiny_root, s) for s in ("train", "test")]
    assert sun.classes == ours[0][2] and len(sun) == sum(len(o[0]) for o in ours)
    caltech = tv.Caltech101(tiny_root)                          # torchvision drops BACKGROUND_Google (label 0)
    ours = [transfer_index("caltech101", tiny_root, s) for s in ("train", "test")]
    assert caltech.categories == ours[0][2][1:]
    assert len(caltech) == sum(int((o[1] > 0).sum()) for o in ours)
