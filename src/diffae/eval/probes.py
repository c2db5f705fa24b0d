"""Linear attribute probes on latent codes: DiffuseGAE §4.1 / Table 1 ("perplexity matrix").

For every latent part (table row) and every attribute r (table column) one linear classifier is
trained on the 80% train split and its accuracy is measured on the held-out 20% test split. Ideal
disentanglement gives 1 on the diagonal and chance 1/|A_r| off the diagonal (DiffuseGAE §4.1).
"""
from __future__ import annotations

import logging
import warnings
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from diffae.nets.partition import Partition

log = logging.getLogger(__name__)

__all__ = ["linear_probe_accuracy", "attribute_matrix"]


def linear_probe_accuracy(z_train: np.ndarray, y_train: np.ndarray, z_test: np.ndarray, y_test: np.ndarray,
                          C: float = 1.0, max_iter: int = 2000, seed: int = 0) -> float:
    """Test accuracy of a standardised multinomial logistic regression (lbfgs) fitted on the train split.

    DiffuseGAE §4.1: "we train a linear classifier for each of the attributes". Labels may be any hashable
    values (strings included). A test label never seen in training simply counts as an error; with a single
    training class the classifier predicts that class.
    """
    z_train = np.asarray(z_train, dtype=np.float64)
    z_test = np.asarray(z_test, dtype=np.float64)
    y_train = np.asarray(y_train)
    y_test = np.asarray(y_test)
    if z_train.ndim != 2 or z_test.ndim != 2 or z_train.shape[1] != z_test.shape[1]:
        raise ValueError(f"linear probe: z_train {z_train.shape} and z_test {z_test.shape} must be 2-D with equal width")
    if len(z_train) != len(y_train) or len(z_test) != len(y_test):
        raise ValueError(f"linear probe: {len(z_train)}/{len(z_test)} train/test latents but "
                         f"{len(y_train)}/{len(y_test)} labels")
    if len(z_train) == 0 or len(z_test) == 0:
        raise ValueError(f"linear probe: empty split (train {len(z_train)}, test {len(z_test)})")
    classes = np.unique(y_train)
    if len(classes) == 1:
        pred = np.full(len(y_test), classes[0], dtype=y_train.dtype)
    else:
        scaler = StandardScaler().fit(z_train)
        clf = LogisticRegression(C=C, max_iter=max_iter, solver="lbfgs", random_state=seed)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            clf.fit(scaler.transform(z_train), y_train)
        if any(issubclass(w.category, ConvergenceWarning) for w in caught):
            log.warning("linear probe did not converge in max_iter=%d iterations (n=%d, d=%d, %d classes)",
                        max_iter, len(z_train), z_train.shape[1], len(classes))
        pred = clf.predict(scaler.transform(z_test))
    return float(np.mean(pred == y_test))


def attribute_matrix(z: np.ndarray, labels_df: pd.DataFrame, split: np.ndarray, partition: Partition,
                     attributes: Sequence[str] | None = None, C: float = 1.0, max_iter: int = 2000,
                     seed: int = 0) -> pd.DataFrame:
    """DiffuseGAE Table 1 for one model: probe accuracy of every (latent part, attribute) pair.

    `labels_df` row i and `split[i]` ('train'/'test') belong to `z[i]`. Returns one row per pair with
    columns part, attribute, accuracy, chance (1/|A_r|, |A_r| counted from `labels_df`), n_classes,
    n_train, n_test; parts in partition order, attributes in the given order (default: partition names).
    """
    z = np.asarray(z)
    split = np.asarray(split).astype(str)
    attributes = list(partition.names if attributes is None else attributes)
    if z.ndim != 2 or z.shape[1] != partition.dim:
        raise ValueError(f"attribute matrix: latents of shape {z.shape}; expected (N, {partition.dim}) = "
                         f"partition {dict(zip(partition.names, partition.sizes))}")
    if len(labels_df) != len(z) or len(split) != len(z):
        raise ValueError(f"attribute matrix: {len(z)} latents, {len(labels_df)} label rows, {len(split)} split "
                         "entries; expected one of each per latent")
    unknown = sorted(set(split) - {"train", "test"})
    if unknown:
        raise ValueError(f"attribute matrix: split values {unknown}; expected 'train' or 'test'")
    missing = [a for a in attributes if a not in labels_df.columns]
    if missing:
        raise KeyError(f"attribute matrix: attributes {missing} not in label columns {list(labels_df.columns)}")
    train, test = split == "train", split == "test"
    rows = []
    for part in partition.names:
        zp = z[:, partition.slice(part)]
        for attr in attributes:
            y = labels_df[attr].to_numpy()
            n_classes = int(pd.Series(y).nunique())
            acc = linear_probe_accuracy(zp[train], y[train], zp[test], y[test], C=C, max_iter=max_iter, seed=seed)
            rows.append({"part": part, "attribute": attr, "accuracy": acc, "chance": 1.0 / n_classes,
                         "n_classes": n_classes, "n_train": int(train.sum()), "n_test": int(test.sum())})
    return pd.DataFrame(rows)
