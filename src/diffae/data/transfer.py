"""Readers for the transfer datasets of DiffSiam Tables 4.1 / 4.2, in their torchvision on-disk layouts (SPEC §2.7).

`root` holds the dataset folders exactly as in SPEC §2.7 (`LAYOUTS`); `load_transfer(name, root, split, image_size)`
returns uint8 (N, S, S, 3) images (Resize of the shorter side + CenterCrop to S, done as the equivalent centre
square crop + antialiased bicubic resize of `diffae.data.images`), int64 labels and the class names.

Splits ([89] = Ericsson et al., ssl-transfer, the protocol the thesis follows):
  aircraft    train / val / trainval / test   fgvc-aircraft-2013b variant level (100 classes, order of variants.txt)
  caltech101  train / test                    [89]'s split files `caltech101/{train,test}.txt` ("<cat>/image_NNNN.jpg
                                              <label>"); 102 classes with BACKGROUND_Google, as [89] (SPEC: 101 vs 102)
  cars        train / test                    stanford_cars .mat annotations (1-based `class`)
  dtd         train / val / trainval / test   partition 1; classes = sorted folders named in the partition-1 files
  flowers     train / val / trainval / test   setid.mat trnid / valid / tstid; names are the 1-based label ("1".."102")
  food        train / test                    meta/{train,test}.json; classes = sorted json keys
  pets        train (= trainval) / test       annotations/{trainval,test}.txt; [89] trains on trainval
  sun397      train / test                    [89]'s Training_01.txt / Testing_01.txt beside ClassName.txt
  cifar10/100 train / test                    the python pickles, read by `diffae.data.cifar`
Only `HAS_VAL` (aircraft, dtd, flowers) have an official val split; for the others "val" raises a ValueError and
"trainval" is the whole train split: the protocol takes a random 20 % of train as val (SPEC §2.8).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Union

import numpy as np

from diffae.data.cifar import cifar_class_names, load_cifar
from diffae.data.errors import DatasetError
from diffae.data.images import center_crop_square, read_rgb, resize_square

PathLike = Union[str, Path]
Index = tuple[list[Path], np.ndarray, list[str]]

TRANSFER_DATASETS = ("aircraft", "caltech101", "cars", "cifar10", "cifar100", "dtd", "flowers", "food", "pets",
                     "sun397")
IMAGE_DATASETS = tuple(n for n in TRANSFER_DATASETS if not n.startswith("cifar"))
HAS_VAL = frozenset({"aircraft", "dtd", "flowers"})
SPLITS = ("train", "val", "trainval", "test")
# SPEC §2.7 / thesis §4: "Aircraft, Caltech, Flowers, Pets: average per-class accuracy"; the rest top-1.
MEAN_PER_CLASS = frozenset({"aircraft", "caltech101", "flowers", "pets"})
METRIC = {n: "mean_per_class" if n in MEAN_PER_CLASS else "top1" for n in TRANSFER_DATASETS}

LAYOUTS = {
    "aircraft": "fgvc-aircraft-2013b/data/{images/<id>.jpg, variants.txt, "
                "images_variant_{train,val,trainval,test}.txt}",
    "caltech101": "caltech101/{101_ObjectCategories/<cat>/image_NNNN.jpg, train.txt, test.txt}",
    "cars": "stanford_cars/{cars_train/, cars_test/, devkit/cars_meta.mat, devkit/cars_train_annos.mat, "
            "cars_test_annos_withlabels.mat}",
    "cifar10": "cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}",
    "cifar100": "cifar-100-python/{train, test, meta}",
    "dtd": "dtd/dtd/{images/<class>/<file>.jpg, labels/{train,val,test}1.txt}",
    "flowers": "flowers-102/{jpg/image_NNNNN.jpg, imagelabels.mat, setid.mat}",
    "food": "food-101/{images/<class>/<id>.jpg, meta/{train,test}.json}",
    "pets": "oxford-iiit-pet/{images/<Breed>_<n>.jpg, annotations/{trainval,test}.txt}",
    "sun397": "SUN397/{ClassName.txt, Training_01.txt, Testing_01.txt, <l>/<class>/sun_*.jpg}",
}
_PARTS = {"train": ("train",), "val": ("val",), "trainval": ("train", "val"), "test": ("test",)}
FOLDERS = {n: LAYOUTS[n].split("/")[0] for n in TRANSFER_DATASETS}


def _file(path: Path, name: str) -> Path:
    if not path.is_file():
        raise DatasetError(f"{name}: missing {path}; expected the layout <root>/{LAYOUTS[name]}")
    return path


def _lines(path: Path, name: str) -> list[str]:
    return [ln.strip() for ln in _file(path, name).read_text().splitlines() if ln.strip() and not ln.startswith("#")]


def _loadmat(path: Path, name: str) -> dict:
    from scipy.io import loadmat

    try:
        return loadmat(_file(path, name), squeeze_me=True)
    except (ValueError, TypeError, OSError, NotImplementedError) as err:
        raise DatasetError(f"{name}: unreadable .mat file {path}: {err}") from err


def _mat_field(mat: dict, key: str, path: Path, name: str) -> np.ndarray:
    if key not in mat:
        raise DatasetError(f"{name}: {path} lacks the variable {key!r} (has {sorted(k for k in mat if k[0] != '_')})")
    return np.atleast_1d(mat[key])


def _bad_line(name: str, path: Path, line: str, expected: str) -> DatasetError:
    return DatasetError(f"{name}: malformed line {line!r} in {path}; expected {expected!r}")


def _aircraft(base: Path, split: str) -> Index:
    data = base / "data"
    classes = _lines(data / "variants.txt", "aircraft")
    lookup = {c: i for i, c in enumerate(classes)}
    path = data / f"images_variant_{split}.txt"
    files, labels = [], []
    for line in _lines(path, "aircraft"):
        parts = line.split(" ", 1)
        if len(parts) != 2 or parts[1] not in lookup:
            raise _bad_line("aircraft", path, line, "<image id> <variant from variants.txt>")
        files.append(data / "images" / f"{parts[0]}.jpg")
        labels.append(lookup[parts[1]])
    return files, np.asarray(labels, dtype=np.int64), classes


def _caltech101(base: Path, split: str) -> Index:
    entries: dict[str, list[tuple[str, int]]] = {}
    for s in ("train", "test"):
        path = base / f"{s}.txt"
        if s != split and not path.is_file():
            continue
        for line in _lines(path, "caltech101"):
            parts = line.rsplit(" ", 1)
            if len(parts) != 2 or "/" not in parts[0] or not parts[1].isdigit():
                raise _bad_line("caltech101", path, line, "<category>/image_NNNN.jpg <label>")
            entries.setdefault(s, []).append((parts[0], int(parts[1])))
    names: dict[int, str] = {}
    for rel, label in (e for rows in entries.values() for e in rows):
        cat = rel.split("/")[0]
        if names.setdefault(label, cat) != cat:
            raise DatasetError(f"caltech101: label {label} names both {names[label]!r} and {cat!r} in {base}")
    if sorted(names) != list(range(len(names))):
        raise DatasetError(f"caltech101: labels in {base}/{{train,test}}.txt are not 0..{len(names) - 1}")
    rows = entries.get(split, [])
    files = [base / "101_ObjectCategories" / rel for rel, _ in rows]
    return files, np.asarray([lab for _, lab in rows], dtype=np.int64), [names[i] for i in range(len(names))]


def _cars(base: Path, split: str) -> Index:
    meta_path = base / "devkit" / "cars_meta.mat"
    classes = [str(c) for c in _mat_field(_loadmat(meta_path, "cars"), "class_names", meta_path, "cars")]
    path = base / "devkit" / "cars_train_annos.mat" if split == "train" else base / "cars_test_annos_withlabels.mat"
    annos = _mat_field(_loadmat(path, "cars"), "annotations", path, "cars")
    if annos.dtype.names is None or not {"fname", "class"} <= set(annos.dtype.names):
        raise DatasetError(f"cars: 'annotations' in {path} must be a struct array with fields fname and class")
    folder = base / ("cars_train" if split == "train" else "cars_test")
    files = [folder / str(a["fname"]) for a in annos]
    labels = np.asarray([int(a["class"]) - 1 for a in annos], dtype=np.int64)
    return files, labels, classes


def _dtd(base: Path, split: str) -> Index:
    data = base / "dtd"
    rows = {}
    for s in ("train", "val", "test"):
        path = data / "labels" / f"{s}1.txt"
        if s in _PARTS[split] or path.is_file():               # class list: all partition-1 files present
            rows[s] = _lines(path, "dtd")
            bad = [ln for ln in rows[s] if ln.count("/") != 1]
            if bad:
                raise _bad_line("dtd", path, bad[0], "<class>/<file>.jpg")
    classes = sorted({ln.split("/")[0] for r in rows.values() for ln in r})
    lookup = {c: i for i, c in enumerate(classes)}
    chosen = [ln for s in _PARTS[split] for ln in rows[s]]
    labels = np.asarray([lookup[ln.split("/")[0]] for ln in chosen], dtype=np.int64)
    return [data / "images" / ln for ln in chosen], labels, classes


def _flowers(base: Path, split: str) -> Index:
    labels_path, setid_path = base / "imagelabels.mat", base / "setid.mat"
    all_labels = _mat_field(_loadmat(labels_path, "flowers"), "labels", labels_path, "flowers").astype(np.int64)
    setid = _loadmat(setid_path, "flowers")
    keys = [{"train": "trnid", "val": "valid", "test": "tstid"}[s] for s in _PARTS[split]]
    ids = np.concatenate([_mat_field(setid, k, setid_path, "flowers").astype(np.int64) for k in keys])
    if len(ids) and (ids.min() < 1 or ids.max() > len(all_labels)):
        raise DatasetError(f"flowers: image ids in {setid_path} exceed the {len(all_labels)} labels of {labels_path}")
    if len(all_labels) and all_labels.min() < 1:
        raise DatasetError(f"flowers: labels in {labels_path} must be 1-based")
    n_classes = int(all_labels.max()) if len(all_labels) else 0
    files = [base / "jpg" / f"image_{i:05d}.jpg" for i in ids]
    return files, all_labels[ids - 1] - 1, [str(k + 1) for k in range(n_classes)]


def _food(base: Path, split: str) -> Index:
    path = _file(base / "meta" / f"{split}.json", "food")
    try:
        meta = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise DatasetError(f"food: {path} is not valid JSON: {err}") from err
    if not isinstance(meta, dict) or not all(isinstance(v, list) for v in meta.values()):
        raise DatasetError(f"food: {path} must map each class to a list of '<class>/<id>' entries")
    classes = sorted(meta)
    files = [base / "images" / f"{rel}.jpg" for c in classes for rel in meta[c]]
    labels = np.asarray([i for i, c in enumerate(classes) for _ in meta[c]], dtype=np.int64)
    return files, labels, classes


def _pets(base: Path, split: str) -> Index:
    path = base / "annotations" / ("test.txt" if split == "test" else "trainval.txt")
    files, labels, names = [], [], {}
    for line in _lines(path, "pets"):
        parts = line.split()
        if len(parts) != 4 or not parts[1].isdigit() or int(parts[1]) < 1:
            raise _bad_line("pets", path, line, "<Breed>_<n> <class id> <species> <breed id>")
        label = int(parts[1]) - 1
        files.append(base / "images" / f"{parts[0]}.jpg")
        labels.append(label)
        names[label] = " ".join(p.title() for p in parts[0].rsplit("_", 1)[0].split("_"))
    n = max(names) + 1 if names else 0
    return files, np.asarray(labels, dtype=np.int64), [names.get(i, f"class {i + 1}") for i in range(n)]


def _sun397(base: Path, split: str) -> Index:
    classes = sorted(ln[3:] for ln in _lines(base / "ClassName.txt", "sun397"))
    lookup = {c: i for i, c in enumerate(classes)}
    fname = "Training_01.txt" if split == "train" else "Testing_01.txt"
    path = base / fname
    if not path.is_file() and (base / "Partitions" / fname).is_file():    # the split archive's own folder
        path = base / "Partitions" / fname
    files, labels = [], []
    for line in _lines(path, "sun397"):
        cls = "/".join(line.strip("/").split("/")[1:-1])
        if cls not in lookup:
            raise _bad_line("sun397", path, line, "/<l>/<class from ClassName.txt>/sun_<id>.jpg")
        files.append(base / line.lstrip("/"))
        labels.append(lookup[cls])
    return files, np.asarray(labels, dtype=np.int64), classes


_READERS: dict[str, Callable[[Path, str], Index]] = {
    "aircraft": _aircraft, "caltech101": _caltech101, "cars": _cars, "dtd": _dtd, "flowers": _flowers,
    "food": _food, "pets": _pets, "sun397": _sun397,
}


def _check(name: str, split: str) -> None:
    if name not in TRANSFER_DATASETS:
        raise ValueError(f"unknown transfer dataset {name!r}; expected one of {TRANSFER_DATASETS}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if split == "val" and name not in HAS_VAL:
        raise ValueError(f"{name} has no official val split (only {sorted(HAS_VAL)} do); the protocol takes a "
                         f"random 20% of 'train' instead (SPEC §2.8)")


def transfer_index(name: str, root: PathLike, split: str) -> Index:
    """(image paths, int64 labels, class names) of an image-file dataset's split, without reading any image."""
    _check(name, split)
    if name not in _READERS:
        raise ValueError(f"{name} is stored as pickles, not image files; use load_transfer")
    root = Path(root)
    base = root / FOLDERS[name]
    if not base.is_dir():
        raise DatasetError(f"{name}: root {root} lacks {FOLDERS[name]}/; expected the layout <root>/{LAYOUTS[name]}")
    if split == "trainval" and name not in HAS_VAL:
        split = "train"
    files, labels, classes = _READERS[name](base, split)
    if len(labels) and (labels.min() < 0 or labels.max() >= len(classes)):
        raise DatasetError(f"{name}: label {int(labels.max()) + 1} in {base} outside the {len(classes)} classes")
    return files, labels, classes


def prepare_image(img: np.ndarray, image_size: int) -> np.ndarray:
    """Resize (shorter side) + CenterCrop to `image_size`, as [89]'s eval transform (bicubic)."""
    return resize_square(center_crop_square(img), image_size)


def load_transfer(name: str, root: PathLike, split: str, image_size: int = 32) -> tuple[np.ndarray, np.ndarray,
                                                                                       list[str]]:
    """Images uint8 (N, image_size, image_size, 3), labels int64 (N,) and class names of a transfer split."""
    _check(name, split)
    if name.startswith("cifar"):
        if not Path(root).is_dir():
            raise DatasetError(f"{name}: root {root} does not exist; expected the layout <root>/{LAYOUTS[name]}")
        images, frame = load_cifar(root, name, "train" if split == "trainval" else split)
        labels = frame["label"].to_numpy(np.int64)
        classes = cifar_class_names(root, name)
        images = np.stack([prepare_image(im, image_size) for im in images]) if image_size != 32 else images
        return images, labels, classes
    files, labels, classes = transfer_index(name, root, split)
    images = np.empty((len(files), image_size, image_size, 3), dtype=np.uint8)
    for i, f in enumerate(files):
        images[i] = prepare_image(read_rgb(f), image_size)
    return images, labels, classes

