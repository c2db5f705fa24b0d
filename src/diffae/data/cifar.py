"""CIFAR-10 / CIFAR-100 from the released "python version" pickle batches.

CIFAR-10:  cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}
CIFAR-100: cifar-100-python/{train, test, meta}
Each batch is a pickled dict with b'data' (N, 3072) uint8 (R, G, B planes, each 32x32 row-major),
b'labels' (CIFAR-10) or b'fine_labels' / b'coarse_labels' (CIFAR-100), and b'filenames'.
CIFAR-10 is DiffSiam's training set and CIFAR-10/100 are linear-probe / transfer sets (DiffSiam thesis
§4, Tables 4.1 and 4.2).
"""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Union

import numpy as np
import pandas as pd

from diffae.data.errors import DatasetError

_LAYOUT = {
    "cifar10": ("cifar-10-batches-py", {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]},
                "batches.meta"),
    "cifar100": ("cifar-100-python", {"train": ["train"], "test": ["test"]}, "meta"),
}


def _unpickle(path: Path) -> dict:
    if not path.is_file():
        raise DatasetError(f"CIFAR file {path} does not exist")
    try:
        with open(path, "rb") as fh:
            obj = pickle.load(fh, encoding="bytes")
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError,
            IndexError, KeyError, OSError) as err:
        raise DatasetError(f"corrupt CIFAR pickle {path}: {err}") from err
    if not isinstance(obj, dict):
        raise DatasetError(f"corrupt CIFAR pickle {path}: expected a dict, got {type(obj).__name__}")
    return obj


def _field(batch: dict, key: str, path: Path) -> Any:
    for k in (key.encode(), key):
        if k in batch:
            return batch[k]
    raise DatasetError(f"CIFAR file {path} lacks the entry {key!r} (has {sorted(map(str, batch))})")


def _names(values: Any) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def _folder(root: Path, which: str) -> Path:
    name = _LAYOUT[which][0]
    if (root / name).is_dir():
        return root / name
    if (root / _LAYOUT[which][2]).is_file():  # root is the extracted folder itself
        return root
    raise DatasetError(f"{which} root {root} lacks {name}/ (the extracted python-version archive)")


def cifar_class_names(root: Union[str, Path], which: str = "cifar10") -> list[str]:
    """All (fine) class names of a CIFAR release, from its meta file, in label order."""
    if which not in _LAYOUT:
        raise ValueError(f"which must be one of {sorted(_LAYOUT)}, got {which!r}")
    meta_path = _folder(Path(root), which) / _LAYOUT[which][2]
    return _names(_field(_unpickle(meta_path), "label_names" if which == "cifar10" else "fine_label_names", meta_path))


def load_cifar(root: Union[str, Path], which: str = "cifar10",
               split: str = "train") -> tuple[np.ndarray, pd.DataFrame]:
    """Read a CIFAR split as uint8 NHWC (N, 32, 32, 3) and labels (`file`, `label`, `label_name`;
    CIFAR-100 adds `coarse_label`, `coarse_label_name`). `root` holds the extracted folder or is it."""
    if which not in _LAYOUT:
        raise ValueError(f"which must be one of {sorted(_LAYOUT)}, got {which!r}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{which} root {root} does not exist; expected it to hold {_LAYOUT[which][0]}/")
    folder = _folder(root, which)
    _, batches, meta_name = _LAYOUT[which]
    meta_path = folder / meta_name
    meta = _unpickle(meta_path)
    fine_key = "labels" if which == "cifar10" else "fine_labels"
    fine_names = _names(_field(meta, "label_names" if which == "cifar10" else "fine_label_names", meta_path))
    coarse_names = _names(_field(meta, "coarse_label_names", meta_path)) if which == "cifar100" else []

    images, frames = [], []
    for name in batches[split]:
        path = folder / name
        batch = _unpickle(path)
        data = np.asarray(_field(batch, "data", path))
        labels = np.asarray(_field(batch, fine_key, path), dtype=np.int64)
        files = _names(_field(batch, "filenames", path))
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
            raise DatasetError(f"CIFAR file {path}: 'data' must be uint8 (N, 3072), got {data.dtype} {data.shape}")
        if not len(labels) == len(files) == len(data):
            raise DatasetError(f"CIFAR file {path}: {len(data)} images, {len(labels)} labels, {len(files)} filenames")
        if len(labels) and (labels.min() < 0 or labels.max() >= len(fine_names)):
            raise DatasetError(f"CIFAR file {path}: label {labels.max()} outside the {len(fine_names)} classes "
                               f"of {meta_path.name}")
        frame = pd.DataFrame({"file": files, "label": labels, "label_name": [fine_names[i] for i in labels]})
        if which == "cifar100":
            coarse = np.asarray(_field(batch, "coarse_labels", path), dtype=np.int64)
            if len(coarse) != len(data) or (len(coarse) and (coarse.min() < 0 or coarse.max() >= len(coarse_names))):
                raise DatasetError(f"CIFAR file {path}: bad 'coarse_labels' (count or range)")
            frame["coarse_label"] = coarse
            frame["coarse_label_name"] = [coarse_names[i] for i in coarse]
        images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        frames.append(frame)
    return np.ascontiguousarray(np.concatenate(images)), pd.concat(frames, ignore_index=True)
