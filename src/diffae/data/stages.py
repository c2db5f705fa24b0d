"""Data stages of the pipeline: raw (real or stand-in) -> prepared -> split -> GROUP tables.

Each function takes plain arguments (the CLI maps params.yaml onto them) and writes its outputs
atomically; they are the bodies of the Snakemake rules / DVC stages in workflow/rules/data.smk.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from diffae.data.errors import DatasetError
from diffae.data.groups import build_groups, write_groups
from diffae.data.prepared import load_prepared, save_prepared
from diffae.data.splits import split_indices, write_split

log = logging.getLogger(__name__)


def resolve_raw(root: Optional[str], standin_dir: str | Path) -> tuple[Path, str]:
    """The raw folder a prepare stage reads: the real root when set, else the generated stand-in."""
    if root is not None:
        path = Path(root).expanduser()
        if not path.exists():
            raise DatasetError(f"dataset root {path} (from params) does not exist")
        return path, "real"
    return Path(standin_dir), "standin"


def prepare_ilab(root: Optional[str], standin_dir: str | Path, out_dir: str | Path,
                 image_size: int, identity: str) -> None:
    from diffae.data.ilab import ILAB_ATTRIBUTES, load_ilab

    raw, source = resolve_raw(root, standin_dir)
    images, labels = load_ilab(raw, image_size=image_size, identity=identity)
    meta = {"dataset": "ilab", "source": source, "root": str(raw), "image_size": image_size,
            "identity": identity, "attributes": list(ILAB_ATTRIBUTES),
            "cardinality": {a: int(labels[a].nunique()) for a in ILAB_ATTRIBUTES}}
    save_prepared(out_dir, images, labels, meta)
    log.info("prepared %d iLab images (%s) -> %s; cardinalities %s", len(images), source, out_dir, meta["cardinality"])


def prepare_celeba(root: Optional[str], standin_dir: str | Path, out_dir: str | Path, image_size: int) -> None:
    from diffae.data.celeba import CELEBA_ATTRIBUTES, load_celeba

    raw, source = resolve_raw(root, standin_dir)
    images, labels = load_celeba(raw, image_size=image_size)
    meta = {"dataset": "celeba", "source": source, "root": str(raw), "image_size": image_size,
            "attributes": list(CELEBA_ATTRIBUTES), "crop": "d2c (top 57, left 25, 128x128)"}
    save_prepared(out_dir, images, labels, meta)
    log.info("prepared %d CelebA images (%s) -> %s", len(images), source, out_dir)


def prepare_ffhq(root: Optional[str], standin_dir: str | Path, out_dir: str | Path, image_size: int,
                 limit: Optional[int]) -> None:
    from diffae.data.ffhq import load_ffhq

    raw, source = resolve_raw(root, standin_dir)
    images, labels = load_ffhq(raw, image_size=image_size, limit=limit)
    save_prepared(out_dir, images, labels, {"dataset": "ffhq", "source": source, "root": str(raw),
                                            "image_size": image_size, "limit": limit, "attributes": []})
    log.info("prepared %d FFHQ images (%s) -> %s", len(images), source, out_dir)


def prepare_celebahq(root: Optional[str], standin_dir: str | Path, out_dir: str | Path, image_size: int,
                     limit: Optional[int]) -> None:
    from diffae.data.celeba import CELEBA_ATTRIBUTES
    from diffae.data.celebahq import load_celebahq

    raw, source = resolve_raw(root, standin_dir)
    images, labels = load_celebahq(raw, image_size=image_size, limit=limit)
    save_prepared(out_dir, images, labels, {"dataset": "celebahq", "source": source, "root": str(raw),
                                            "image_size": image_size, "limit": limit,
                                            "attributes": list(CELEBA_ATTRIBUTES)})
    log.info("prepared %d CelebA-HQ images (%s) -> %s", len(images), source, out_dir)


def prepare_lsun(category: str, root: Optional[str], standin_dir: str | Path, out_dir: str | Path,
                 image_size: int, limit: Optional[int]) -> None:
    """An LSUN LMDB (real or stand-in) -> prepared; a stand-in bedroom's scene attributes (attributes.csv beside
    data.mdb) join the labels by key."""
    from diffae.data.lsun import load_lsun
    from diffae.data.standin_lsun import ATTRIBUTE_FILE

    raw, source = resolve_raw(root, standin_dir)
    images, labels = load_lsun(raw, image_size=image_size, limit=limit)
    attributes: list[str] = []
    if (raw / ATTRIBUTE_FILE).is_file():
        table = pd.read_csv(raw / ATTRIBUTE_FILE, dtype={"file": str})
        attributes = [c for c in table.columns if c != "file"]
        labels = labels.merge(table, on="file", how="left", validate="one_to_one")
        missing = labels[attributes].isna().any(axis=1)
        if missing.any():
            raise DatasetError(f"{raw / ATTRIBUTE_FILE} has no row for {int(missing.sum())} LMDB key(s), "
                               f"e.g. {labels.loc[missing, 'file'].iloc[0]!r}")
        labels[attributes] = labels[attributes].astype("int8")
    save_prepared(out_dir, images, labels, {"dataset": f"lsun_{category}", "source": source, "root": str(raw),
                                            "image_size": image_size, "limit": limit, "attributes": attributes})
    log.info("prepared %d LSUN %s images (%s) -> %s", len(images), category, source, out_dir)


def make_split(prepared_dir: str | Path, out_csv: str | Path, test_fraction: float, seed: int) -> np.ndarray:
    n = len(load_prepared(prepared_dir).labels)
    split = split_indices(n, test_fraction=test_fraction, seed=seed)
    for side in ("train", "test"):
        if not (split == side).any():
            raise DatasetError(f"data.ilab.split.test_fraction = {test_fraction} of the {n} samples in {prepared_dir} "
                               f"leaves the {side} split empty; training needs train samples and the tables and "
                               "figures need held-out test samples: choose a fraction strictly between them")
    write_split(out_csv, split)
    log.info("split %d samples: %d train / %d test -> %s", n, (split == "train").sum(), (split == "test").sum(), out_csv)
    return split


def make_groups(prepared_dir: str | Path, split: np.ndarray, which: str, out_csv: str | Path,
                n_groups: int, s: int, seed: int) -> pd.DataFrame:
    """GROUP(C, s) tables from one side of the split (DiffuseGAE Def. 1; §4.3 evaluation groups)."""
    data = load_prepared(prepared_dir)
    candidates = np.flatnonzero(split == which)
    groups, stats = build_groups(data.labels, data.attributes, candidates, n_groups=n_groups, s=s, seed=seed)
    write_groups(out_csv, groups)
    log.info("built %d %s groups (skipped %s centres) -> %s", len(groups), which, stats.get("skipped_centres"), out_csv)
    return groups


def prepare_cifar10(root: Optional[str], standin_dir: str | Path, out_dir: str | Path) -> None:
    """CIFAR-10's training images (DiffSiam's training set, thesis §4.1) in the prepared format, labels kept."""
    from diffae.data.cifar import load_cifar

    raw, source = resolve_raw(root, standin_dir)
    images, labels = load_cifar(raw, "cifar10", "train")
    save_prepared(out_dir, images, labels, {"dataset": "cifar10", "source": source, "root": str(raw),
                                            "image_size": int(images.shape[1]), "split": "train", "attributes": []})
    log.info("prepared %d CIFAR-10 training images (%s) -> %s", len(images), source, out_dir)
