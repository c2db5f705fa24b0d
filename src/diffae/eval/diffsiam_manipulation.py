"""DiffSiam Figs 4.5-4.7: modular manipulation of real images (thesis §4.2.1, Algorithm 3; spec §2.5).

Per run (a :class:`~diffae.eval.diffsiam_codec.PDAECodec`) and attribute: x_T = DDIM inversion of x0 (as the
run's codec inverts, ambiguity A9), z = f_omega(x0), z' = z + lambda sigma * w / |w| (sigma = the per-dimension
std of z over the training images; equivalently z_norm + lambda w / |w|), decoded by DDIM under z' from x_T.
w is the attribute's linear classifier on z-normalised codes: with ProbMask (``diffae.eval.probmask``; d'
dimensions kept, Figs 4.5-4.6) or over all d dimensions (Fig. 4.7). lambda = scale * sqrt(d), PDAE/DiTi's
convention (``diffae.eval.attributes.manipulate``); each row shows -scales, the original in the centre, +scales.

Classifiers are fitted on the training split of the prepared labels (their ``partition`` column where it has
one, else all images) and the manipulated images are drawn from its test split.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from diffae.data.images import to_model_range, to_tiles
from diffae.eval.attributes import manipulate
from diffae.eval.editing_grids import stack_rows
from diffae.eval.encode import encode_images
from diffae.eval.figure_data import ImageGrid
from diffae.eval.probmask import ProbMaskClassifier, train_probmask


@dataclass
class FittedDirections:
    """A run's classifier with the code statistics it was fitted in."""
    classifier: ProbMaskClassifier
    mean: np.ndarray
    std: np.ndarray
    train_accuracy: np.ndarray

    def normalise(self, z: np.ndarray) -> np.ndarray:
        return (np.asarray(z, dtype=np.float64) - self.mean) / self.std

    def unnormalise(self, z_norm: np.ndarray) -> np.ndarray:
        return np.asarray(z_norm, dtype=np.float64) * self.std + self.mean


def split_indices(labels: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) rows: CelebA's ``partition`` column where present (train / test), else every row for both."""
    if "partition" not in labels.columns:
        every = np.arange(len(labels))
        return every, every
    part = labels["partition"].astype(str).to_numpy()
    return np.flatnonzero(part == "train"), np.flatnonzero(part == "test")


def keep_per_attribute(attributes: Sequence[str], keep: int, keep_attribute: dict, dim: int,
                       full_dim: bool) -> list[int]:
    """d' of each attribute: all ``dim`` without ProbMask, else its own entry of ``keep_attribute`` or ``keep``."""
    out = [dim if full_dim else int(keep_attribute.get(a, keep)) for a in attributes]
    too_many = {a: k for a, k in zip(attributes, out) if k > dim}
    if too_many:
        raise ValueError(f"eval.diffsiam_manipulation: d' {too_many} exceeds the code's d = {dim}")
    return out


def fit_directions(z: np.ndarray, labels: pd.DataFrame, attributes: Sequence[str], keep: Sequence[int],
                   cfg) -> FittedDirections:
    """One classifier per attribute on z-normalised codes ``z`` (N, d) against the 0/1 label columns."""
    missing = [a for a in attributes if a not in labels.columns]
    if missing:
        raise KeyError(f"eval.diffsiam_manipulation.attributes: {missing} are not label columns "
                       f"({[c for c in labels.columns if c not in ('index', 'file', 'partition')]})")
    y = (labels[list(attributes)].to_numpy() > 0).astype(np.float64)
    mean, std = z.mean(axis=0), z.std(axis=0) + 1e-8
    z_norm = (z - mean) / std
    clf = train_probmask(z_norm, y, attributes, keep, epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                         ema_decay=cfg.ema_decay, seed=cfg.seed)
    return FittedDirections(clf, mean, std, clf.accuracy(z_norm, y))


@torch.no_grad()
def manipulation_grid(codecs: Sequence, directions: Sequence[FittedDirections], x: Tensor,
                      inverted: Sequence[tuple[Tensor, Tensor]], attributes: Sequence[str], scales: Sequence[float],
                      n_steps: int, title: str, what: str) -> ImageGrid:
    """Rows (attribute, codec, image): z moved by -scales..., the original, +scales... (Algorithm 3), from each
    codec's (z, x_T) of the images ``x`` in ``inverted``."""
    scales = sorted(abs(float(s)) for s in scales)
    signed = [-s for s in reversed(scales)] + scales
    blocks, labels, fits = [], [], []
    for attr in attributes:
        for codec, fitted, (z, x_T) in zip(codecs, directions, inverted):
            z_norm = fitted.normalise(z.cpu().numpy())
            w = fitted.classifier.direction(attr)
            outs = {}
            for s in signed:
                z_new = torch.as_tensor(fitted.unnormalise(manipulate(z_norm, w, s)), dtype=z.dtype, device=z.device)
                outs[s] = codec.decode(z_new, n_steps, x_T=x_T)
            columns = [(f"{s:+g}", to_tiles(outs[s])) for s in signed[:len(scales)]]
            columns += [("original", to_tiles(x))] + [(f"{s:+g}", to_tiles(outs[s])) for s in signed[len(scales):]]
            blocks.append(columns)
            i = fitted.classifier.names.index(attr)
            labels += [f"{attr}: {codec.name}"] * len(x)
            fits.append(f"{codec.name} {attr} d'={int(fitted.classifier.mask[i].sum())} "
                        f"acc {fitted.train_accuracy[i]:.2f}")
    how = "with the z-guided model" if getattr(codecs[0], "invert_with_guidance", False) else \
        "through the frozen DM alone"
    return ImageGrid(stack_rows(blocks), f"{title}: z + lambda sigma w/|w| (Algorithm 3), lambda = scale sqrt(d) at "
                                         f"scales {', '.join(f'{s:+g}' for s in signed)}, the original in the centre; "
                                         f"x_T inverted {how}; T = {n_steps} DDIM steps; "
                                         f"{' above '.join(c.name for c in codecs)}. Classifiers (dimensions kept, "
                                         f"training accuracy): {'; '.join(fits)}. {what}.",
                     separator_after=None, row_labels=labels)


def manipulation_grids(codecs: Sequence, images: np.ndarray, labels: pd.DataFrame, dataset: str, cfg, what: str,
                       device: str) -> dict[str, ImageGrid]:
    """{"manipulation": Figs 4.5/4.6 grid (ProbMask), "manipulation_full_dim": Fig. 4.7 grid} of ``dataset``, as
    params eval.diffsiam_manipulation asks ({} for a dataset it names no attributes of)."""
    attributes = list(cfg.attributes.get(dataset, ()))
    if not attributes:
        return {}
    train, test = split_indices(labels)
    if len(train) == 0 or len(test) == 0:
        raise ValueError(f"{dataset}: {len(train)} training and {len(test)} test images for the manipulation "
                         "classifiers and their examples")
    rng = np.random.default_rng(cfg.seed)
    chosen = np.sort(rng.choice(test, size=min(cfg.n_images, len(test)), replace=False))
    x = to_model_range(images[chosen]).to(device)
    inverted = []   # (z, x_T) per codec, shared by both grids
    with torch.no_grad():
        for codec in codecs:
            z = codec.encode(x)
            inverted.append((z, codec.invert(x, z, cfg.T)))
    codes = [encode_images(c.encode, images[train], device=device, progress=False).astype(np.float64)
             for c in codecs]
    kinds = {"manipulation": False, **({"manipulation_full_dim": True} if dataset in cfg.full_dim else {})}
    grids = {}
    for kind, full in kinds.items():
        directions = []
        for z in codes:
            keep = keep_per_attribute(attributes, cfg.keep[dataset], dict(cfg.keep_attribute), z.shape[1], full)
            directions.append(fit_directions(z, labels.iloc[train], attributes, keep, cfg))
        title = ("Modular manipulation without ProbMask, all d dimensions (DiffSiam Fig. 4.7)" if full else
                 "Modular manipulation with ProbMask classifiers keeping d' of d dimensions (DiffSiam Figs 4.5-4.6; "
                 "thesis d' = 16 on CelebA, 128 for Wearing_Hat, 32 on Bedroom, of 512)")
        grids[kind] = manipulation_grid(codecs, directions, x, inverted, attributes, cfg.scales, cfg.T, title, what)
    return grids
