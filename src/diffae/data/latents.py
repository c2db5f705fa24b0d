"""Latents files: encoded z of every sample of a prepared dataset, with the split and normalisation statistics.

File format (`.npz`): z (N, D) float32, index (N,) rows of the prepared dataset, split (N,) 'train'/'test',
mean/std (D,) computed on the train split only (Diff-AE §4: the latent DDIM models z-normalised z_sem),
meta (JSON string; a partitioned latent stores meta["partition"], see diffae.nets.partition.Partition.to_dict).
Attribute labels stay in the prepared dataset's labels.csv, joined by `index`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from diffae.utils.atomic import atomic_path


@dataclass
class Latents:
    """A loaded latents file; `normalised` applies the train-split statistics (Diff-AE §4)."""
    z: np.ndarray
    index: np.ndarray
    split: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    meta: dict

    def select(self, which: str) -> np.ndarray:
        return self.z[self.split == which]

    def normalised(self, which: str | None = None) -> np.ndarray:
        z = self.z if which is None else self.select(which)
        return (z - self.mean) / self.std


def save_latents(path: str | Path, z: np.ndarray, index: np.ndarray, split: np.ndarray, meta: dict) -> Latents:
    """Write a latents file (atomic); mean/std come from the train rows of `split`."""
    train = z[split == "train"]
    if len(train) < 2:
        raise ValueError(f"{path}: need at least 2 train latents for normalisation statistics, got {len(train)}")
    mean = train.mean(axis=0)
    std = train.std(axis=0) + 1e-8
    arrays = dict(z=z.astype(np.float32), index=index, split=split.astype(str), mean=mean.astype(np.float32),
                  std=std.astype(np.float32), meta=np.array(json.dumps(meta)))
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
    return Latents(z=z, index=index, split=split, mean=mean, std=std, meta=meta)


def load_latents(path: str | Path) -> Latents:
    """Read a latents file written by :func:`save_latents`."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"latents file {path} not found (run `diffae encode`)")
    with np.load(path, allow_pickle=False) as f:
        missing = {"z", "index", "split", "mean", "std"} - set(f.files)
        if missing:
            raise ValueError(f"{path}: not a latents file, missing arrays {sorted(missing)}")
        meta = json.loads(str(f["meta"])) if "meta" in f.files else {}
        return Latents(z=f["z"], index=f["index"], split=f["split"], mean=f["mean"], std=f["std"], meta=meta)



def latents_labels(lat: Latents, labels: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """Label rows of the latents' prepared-dataset indices, in latents order."""
    index = np.asarray(lat.index, dtype=np.int64)
    if len(index) and (index.min() < 0 or index.max() >= len(labels)):
        raise ValueError(f"{path}: latents index spans [{index.min()}, {index.max()}] but the prepared dataset "
                         f"has {len(labels)} rows")
    return labels.iloc[index].reset_index(drop=True)
