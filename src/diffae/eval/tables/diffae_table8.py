"""Diff-AE Table 8 numbers (App. E): AUROC of 40 linear classifiers on the z_sem of the FFHQ Diff-AE, trained and
tested on CelebA-HQ (seeded split, 30 % test as the paper's 9,000 of 30,000; the seed is [UNSPECIFIED] by the
paper). z_sem is normalised with the statistics of the autoencoder's training set (the ``--norm-latents`` file,
as the official classifier loads its autoencoder's latent statistics), the one normalisation the latent DDIM,
these classifiers and the manipulations share.

Writes the numbers CSV (attribute, n_positive and n_negative in the test split, auroc; NaN where the test split
holds one class, Table 8's undefined cells) and the classifier file (.npz, ``load_attribute_classifier``) that
Tables 9-10 and Figs 5, 13, 17 manipulate with.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from diffae.eval.attributes import (ClassifierRecipe, LinearClassifier, auroc_averages, auroc_table,
                                    train_linear_classifier)
from diffae.eval.tables.numbers import write_numbers
from diffae.utils.atomic import atomic_path

log = logging.getLogger(__name__)


@dataclass
class AttributeClassifier:
    """The Table 8 classifier with what it was fitted on: normalisation statistics and the CelebA-HQ split."""
    classifier: LinearClassifier
    mean: np.ndarray
    std: np.ndarray
    split: np.ndarray            # 'train' / 'test' per prepared CelebA-HQ row
    meta: dict

    def normalise(self, z: np.ndarray) -> np.ndarray:
        return (np.asarray(z, dtype=np.float64) - self.mean) / self.std

    def unnormalise(self, z_norm: np.ndarray) -> np.ndarray:
        return np.asarray(z_norm, dtype=np.float64) * self.std + self.mean


def save_attribute_classifier(path: str | Path, cls: AttributeClassifier) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **cls.classifier.to_arrays(), mean=cls.mean.astype(np.float32),
                     std=cls.std.astype(np.float32), split=cls.split.astype(str), meta=np.array(json.dumps(cls.meta)))


def load_attribute_classifier(path: str | Path) -> AttributeClassifier:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"attribute classifier {path} not found (run `diffae fit-attr-classifier`)")
    with np.load(path, allow_pickle=False) as f:
        missing = {"weight", "bias", "names", "mean", "std", "split", "meta"} - set(f.files)
        if missing:
            raise ValueError(f"{path}: not an attribute classifier file, it lacks {sorted(missing)}")
        return AttributeClassifier(LinearClassifier.from_arrays(f), f["mean"].astype(np.float64),
                                   f["std"].astype(np.float64), f["split"].astype(str), json.loads(str(f["meta"])))


def seeded_split(n: int, test_fraction: float, seed: int) -> np.ndarray:
    """'train'/'test' per row: a seeded permutation, the first round(test_fraction * n) rows test."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"eval.attributes.test_fraction: {test_fraction}; expected a fraction in (0, 1)")
    n_test = min(max(1, round(test_fraction * n)), n - 1)
    split = np.full(n, "train", dtype=object)
    split[np.random.default_rng(seed).permutation(n)[:n_test]] = "test"
    return split.astype(str)


def encode_views(encoder, images: np.ndarray, batch_size: int, device: str) -> np.ndarray:
    """z_sem of the images and of their horizontal mirrors: (2, N, D), the two views the classifiers draw from."""
    from diffae.eval.encode import encode_images

    return np.stack([encode_images(encoder, images, batch_size, device, progress=False),
                     encode_images(encoder, np.ascontiguousarray(images[:, :, ::-1]), batch_size, device,
                                   progress=False)])


def attribute_classifier_stage(diffae_model: str | Path, norm_latents: str | Path, prepared: str | Path,
                               out_model: str | Path, out_csv: str | Path, *, test_fraction: float, split_seed: int,
                               recipe, batch_size: int, device: str) -> pd.DataFrame:
    """`diffae fit-attr-classifier`: fit the 40 classifiers on the train split, AUROC on the test split."""
    from diffae.artifacts import load_trained
    from diffae.data.celeba import CELEBA_ATTRIBUTES
    from diffae.data.latents import load_latents
    from diffae.data.prepared import load_prepared

    data = load_prepared(prepared)
    missing = [a for a in CELEBA_ATTRIBUTES if a not in data.labels.columns]
    if missing:
        raise KeyError(f"{prepared}/labels.csv lacks the CelebA attributes {missing}")
    norm = load_latents(norm_latents)
    encoder = load_trained(diffae_model, device)["encoder"]
    views = encode_views(encoder, np.asarray(data.images), batch_size, device)
    if views.shape[-1] != norm.mean.shape[0]:
        raise ValueError(f"{norm_latents}: statistics of width {norm.mean.shape[0]}, but {diffae_model} encodes "
                         f"z_sem of width {views.shape[-1]}")
    z_views = (views - norm.mean) / norm.std
    labels = data.labels[list(CELEBA_ATTRIBUTES)].to_numpy(dtype=np.float64)
    split = seeded_split(len(labels), test_fraction, split_seed)
    train, test = split == "train", split == "test"
    rec = ClassifierRecipe.of(recipe)
    log.info("fitting %d linear classifiers on %d CelebA-HQ images (%s recipe, %d steps)",
             len(CELEBA_ATTRIBUTES), int(train.sum()), rec.recipe, rec.steps)
    clf = train_linear_classifier(z_views[:, train], labels[train], CELEBA_ATTRIBUTES, rec)
    table = auroc_table(clf.logits(z_views[0, test]), labels[test], CELEBA_ATTRIBUTES)
    source = f"{data.meta.get('dataset', Path(prepared).name)} ({data.meta.get('source', 'unknown')})"
    meta = {"model": str(diffae_model), "norm_latents": str(norm_latents), "prepared": str(prepared),
            "recipe": asdict(rec), "test_fraction": test_fraction, "split_seed": split_seed, "data": source}
    save_attribute_classifier(out_model, AttributeClassifier(clf, norm.mean, norm.std, split, meta))
    avg = auroc_averages(table)
    log.info("Table 8: weighted AUROC %.3f, macro %.3f over %d attributes (%d undefined: one class in the test "
             "split)", avg["weighted"], avg["macro"], avg["n_defined"], avg["n_undefined"])
    table = table.assign(n_test=int(test.sum()), n_train=int(train.sum()), data=source, recipe=rec.recipe,
                         split_seed=split_seed)
    return write_numbers(table.to_dict("records"), out_csv)

