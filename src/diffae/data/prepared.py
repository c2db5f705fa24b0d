"""The prepared-dataset format every downstream stage reads.

A prepared dataset is a folder with
  images.npy   uint8, shape (N, H, W, 3), RGB (memory-mappable)
  labels.csv   one row per image, in the same order: `index`, `file` (source path or key) and
               one column per attribute (e.g. identity, background, pose, or CelebA attribute names)
  meta.json    {"dataset", "source": "real" | "standin", "root", "image_size", "attributes": [...]}
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from diffae.data.errors import DatasetError
from diffae.utils.atomic import atomic_path, atomic_write_text


@dataclass
class Prepared:
    images: np.ndarray          # (N, H, W, 3) uint8, possibly a memmap
    labels: pd.DataFrame        # N rows
    meta: dict

    @property
    def attributes(self) -> list[str]:
        return list(self.meta["attributes"])


def save_prepared(folder: str | Path, images: np.ndarray, labels: pd.DataFrame, meta: dict) -> None:
    folder = Path(folder)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"images must be uint8 (N, H, W, 3), got {images.dtype} {images.shape}")
    if len(labels) != len(images):
        raise ValueError(f"{len(labels)} label rows for {len(images)} images")
    for attr in meta.get("attributes", []):
        if attr not in labels.columns:
            raise ValueError(f"attribute {attr!r} listed in meta but not a labels column")
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / "images.npy") as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, images)
    labels = labels.reset_index(drop=True)
    labels.insert(0, "index", np.arange(len(labels))) if "index" not in labels.columns else None
    with atomic_path(folder / "labels.csv") as tmp:
        labels.to_csv(tmp, index=False)
    atomic_write_text(folder / "meta.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")


def load_prepared(folder: str | Path, mmap: bool = True) -> Prepared:
    folder = Path(folder)
    for name in ("images.npy", "labels.csv", "meta.json"):
        if not (folder / name).is_file():
            raise DatasetError(
                f"prepared dataset {folder} lacks {name}; expected images.npy, labels.csv, meta.json "
                "(run the prepare stage: `snakemake --cores all` or `diffae prepare-...`)"
            )
    images = np.load(folder / "images.npy", mmap_mode="r" if mmap else None)
    labels = pd.read_csv(folder / "labels.csv")
    meta = json.loads((folder / "meta.json").read_text())
    if len(labels) != len(images):
        raise DatasetError(f"{folder}: {len(labels)} rows in labels.csv but {len(images)} images in images.npy")
    return Prepared(images=images, labels=labels, meta=meta)
