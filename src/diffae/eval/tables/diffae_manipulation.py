"""Diff-AE attribute manipulation of real images (§5.3, App. G): Table 9 (FID), Table 10 (ArcFace identity) and the
grids of Figs 5, 13 and 17.

Table 9, per attribute: the test-split negatives (at most ``n_images``, a seeded choice) are encoded (z_sem, then
x_T by Eq. 8 with ``T_invert`` steps), each normalised z_sem is moved by Eq. 11 to the median logit of all real
positives (train and test), un-normalised and decoded from its own x_T (``T`` steps). FID of the real positives vs
the real negatives, of the manipulated vs the real positives, and of the manipulated vs the real negatives (all
test split). The number of images, the FID resolution and both T are [UNSPECIFIED] by the paper (params).
Table 10: mean ArcFace cosine between each input and its manipulation (pSp protocol, ``diffae.eval.identity``).

Figures: each example image moved along ± its classifier direction, z + s·sqrt(D)·w/|w| for each ``strength``
s (the official demo uses 0.3), x_T kept; Fig. 5: Male, Young, Smiling, Wavy_Hair on FFHQ then CelebA-HQ images,
Fig. 13 the same on further CelebA-HQ images, Fig. 17 Blond_Hair (ours only; the paper's other columns are
images of other methods).

Numbers CSV columns: attribute, metric (fid | identity), mode, value, n_manipulated, n_positive, n_negative,
T_invert, T, seed, feature_net, data.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from torch import Tensor
from tqdm import tqdm

from diffae.eval.codecs import codec_digest, load_codec
from diffae.eval.partial import PartialRows
from diffae.utils.digest import arrays_digest

log = logging.getLogger(__name__)

FID_MODES = ("positive vs negative", "manipulated vs positive", "manipulated vs negative")
FIG5_ATTRIBUTES = ("Male", "Young", "Smiling", "Wavy_Hair")
FIG17_ATTRIBUTE = "Blond_Hair"


def _batched(fn, *tensors: Tensor, batch_size: int) -> Tensor:
    return torch.cat([fn(*(t[lo:lo + batch_size] for t in tensors)) for lo in range(0, len(tensors[0]), batch_size)])


@torch.no_grad()
def encode_and_invert(codec, x: Tensor, n_steps: int, batch_size: int) -> tuple[Tensor, Tensor]:
    """z_sem and the x_T that Eq. 8 infers under it, batch by batch."""
    z = _batched(codec.encode, x, batch_size=batch_size)
    x_T = _batched(lambda xb, zb: codec.invert(xb, zb, n_steps), x, z, batch_size=batch_size)
    return z, x_T


def diffae_manipulation(diffae_model: str | Path, classifier: str | Path, prepared: str | Path,
                        examples_prepared: str | Path, out_csv: str | Path, figures_dir: str | Path, *,
                        attributes: Sequence[str], identity_attributes: Sequence[str], n_images: int,
                        n_steps_invert: int, n_steps: int, strengths: Sequence[float], n_examples: int,
                        batch_size: int, seed: int, clip_x0: bool, weights_dir: str | None, allow_random: bool,
                        device: str) -> pd.DataFrame:
    """Tables 9 and 10 numbers on CelebA-HQ (``prepared``), then the figure grids (``examples_prepared``: the
    autoencoder's FFHQ images, Fig. 5's top rows)."""
    from diffae.data.images import to_model_range
    from diffae.data.prepared import load_prepared
    from diffae.eval.attributes import eq11_shift
    from diffae.eval.fid import FIDInception, fid_features, fid_from_features
    from diffae.eval.identity import ArcFaceIdentity
    from diffae.eval.tables.diffae_table8 import load_attribute_classifier

    data = load_prepared(prepared)
    cls = load_attribute_classifier(classifier)
    if len(cls.split) != len(data.images):
        raise ValueError(f"{classifier} was fitted on {len(cls.split)} images, {prepared} holds {len(data.images)}")
    unknown = [a for a in {*attributes, *identity_attributes} if a not in cls.classifier.names]
    if unknown:
        raise KeyError(f"eval.manipulation attributes {unknown} are not CelebA attributes {cls.classifier.names}")
    codec = load_codec("Diff-AE", diffae_model, device, clip_x0=clip_x0)
    inception = FIDInception(weights_dir=weights_dir, allow_random=allow_random, seed=seed, device=device)
    arcface = ArcFaceIdentity(weights_dir=weights_dir, allow_random=allow_random, seed=seed, device=device)
    images = to_model_range(np.asarray(data.images))
    test = np.flatnonzero(cls.split == "test")
    source = f"{data.meta.get('dataset', Path(prepared).name)} ({data.meta.get('source', 'unknown')})"
    partial = PartialRows(out_csv, {"codec": codec_digest(codec), "classifier": arrays_digest(
        [cls.classifier.weight, cls.classifier.bias, cls.mean]), "images": arrays_digest([images]),
        "attributes": list(attributes), "identity": list(identity_attributes), "n_images": n_images,
        "T": [n_steps_invert, n_steps], "seed": seed, "features": [inception.feature_net, arcface.feature_net]})
    z_all = cls.normalise(_batched(codec.encode, images.to(device), batch_size=batch_size).cpu().numpy())
    test_features = None
    rows = []
    for attr in tqdm(list(dict.fromkeys([*attributes, *identity_attributes])), desc="Diff-AE manipulation",
                     unit="attribute"):
        if attr in partial:
            rows += partial.get(attr)
            continue
        if test_features is None:
            test_features = fid_features(images[test], inception, batch_size)
        y = data.labels[attr].to_numpy()
        w, b = cls.classifier.row(attr)
        positives = np.flatnonzero(y == 1)
        negatives = test[y[test] == 0]
        chosen = np.sort(np.random.default_rng(seed).permutation(negatives)[:n_images])
        base = {"attribute": attr, "n_manipulated": len(chosen), "n_positive": int((y[test] == 1).sum()),
                "n_negative": len(negatives), "T_invert": n_steps_invert, "T": n_steps, "seed": seed, "data": source}
        if len(positives) == 0 or len(chosen) == 0:
            log.warning("%s: %d positives and %d test negatives in %s; its manipulation is undefined",
                        attr, len(positives), len(negatives), source)
            rows += partial.add(attr, [])
            continue
        target = float(np.median(z_all[positives] @ w + b))
        x = images[chosen].to(device)
        z, x_T = encode_and_invert(codec, x, n_steps_invert, batch_size)
        z_new = cls.unnormalise(eq11_shift(cls.normalise(z.cpu().numpy()), w, b, target))
        z_new = torch.as_tensor(z_new, dtype=z.dtype, device=device)
        x_new = _batched(lambda zb, tb: codec.decode(zb, n_steps, x_T=tb), z_new, x_T, batch_size=batch_size)
        unit = []
        if attr in attributes:
            f_new = fid_features(x_new.cpu(), inception, batch_size)
            f_pos, f_neg = (test_features[y[test] == v] for v in (1, 0))
            values = dict(zip(FID_MODES, (fid_from_features(f_pos, f_neg), fid_from_features(f_new, f_pos),
                                          fid_from_features(f_new, f_neg))))
            unit += [{**base, "metric": "fid", "mode": m, "value": v, "feature_net": inception.feature_net}
                     for m, v in values.items()]
        if attr in identity_attributes:
            sim = _batched(arcface.cosine_similarity, x.cpu(), x_new.cpu(), batch_size=batch_size)
            unit.append({**base, "metric": "identity", "mode": "input vs manipulated", "value": float(sim.mean()),
                         "feature_net": arcface.feature_net})
        log.info("%s: %s", attr, ", ".join(f"{r['mode']} {r['value']:.4g}" for r in unit))
        rows += partial.add(attr, unit)
    write_manipulation_figures(codec, cls, images, test, examples_prepared, Path(figures_dir),
                               n_steps_invert=n_steps_invert, n_steps=n_steps, strengths=strengths,
                               n_examples=n_examples, batch_size=batch_size, device=device)
    return partial.finish(rows)


@torch.no_grad()
def manipulation_rows(codec, cls, x: Tensor, attribute: str, strengths: Sequence[float], n_steps_invert: int,
                      n_steps: int, batch_size: int) -> list[tuple[str, Tensor]]:
    """Columns (title, images) of ``x`` moved along ± the attribute's direction by each strength (0 = the
    reconstruction from the inferred x_T), after the input."""
    from diffae.eval.attributes import manipulate

    w, _ = cls.classifier.row(attribute)
    z, x_T = encode_and_invert(codec, x, n_steps_invert, batch_size)
    z_norm = cls.normalise(z.cpu().numpy())
    columns = [("input", x.cpu())]
    for s in sorted(strengths):
        z_new = torch.as_tensor(cls.unnormalise(manipulate(z_norm, w, s)), dtype=z.dtype, device=z.device)
        columns.append((f"{s:+g}" if s else "reconstruction", codec.decode(z_new, n_steps, x_T=x_T).cpu()))
    return columns


def write_manipulation_figures(codec, cls, images: Tensor, test: np.ndarray, examples_prepared: str | Path,
                               outdir: Path, *, n_steps_invert: int, n_steps: int, strengths: Sequence[float],
                               n_examples: int, batch_size: int, device: str) -> None:
    """Figs 5, 13 and 17 grids: rows = (attribute, example), columns = input then the strengths."""
    from diffae.data.images import to_model_range, to_tiles
    from diffae.data.prepared import load_prepared
    from diffae.eval.editing_grids import stack_rows
    from diffae.eval.figure_data import ImageGrid, save_grid

    strengths = sorted({0.0, *strengths})
    ffhq = to_model_range(np.asarray(load_prepared(examples_prepared).images[:n_examples]))
    if ffhq.shape[1:] != images.shape[1:]:
        raise ValueError(f"{examples_prepared}: images of shape {tuple(ffhq.shape[1:])}, the CelebA-HQ images are "
                         f"{tuple(images.shape[1:])}; both must be the autoencoder's resolution")
    sets = {"fig5_manipulation": (FIG5_ATTRIBUTES, torch.cat([ffhq, images[test[:n_examples]]])),
            "fig13_manipulation": (FIG5_ATTRIBUTES, images[test[n_examples:3 * n_examples]]),
            "fig17_blond_hair": ((FIG17_ATTRIBUTE,), images[test[:2 * n_examples]])}
    what = (f"x_T inferred by Eq. 8 (T = {n_steps_invert}) and kept; z_sem moved by s·sqrt(D)·w/|w| along the "
            f"CelebA-HQ linear classifier's direction w (z-normalised space; the official demo uses s = 0.3), "
            f"decoded with T = {n_steps}")
    for name, (attrs, x) in sets.items():
        if len(x) == 0:
            log.warning("%s: no example images, skipped", name)
            continue
        blocks, labels = [], []
        for attr in attrs:
            cols = manipulation_rows(codec, cls, x.to(device), attr, strengths, n_steps_invert, n_steps, batch_size)
            blocks.append([(t, to_tiles(v)) for t, v in cols])
            labels += [attr] * len(x)
        title = {"fig5_manipulation": "Real-image attribute manipulation (Diff-AE Fig. 5; top rows FFHQ, then "
                                      "CelebA-HQ)",
                 "fig13_manipulation": "More manipulations on CelebA-HQ (Diff-AE Fig. 13)",
                 "fig17_blond_hair": "Blond-hair manipulation, ours only (Diff-AE Fig. 17)"}[name]
        save_grid(outdir / f"{name}.npz", ImageGrid(stack_rows(blocks), f"{title}: {what}.", separator_after=0,
                                                    row_labels=labels))
