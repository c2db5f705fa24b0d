"""Diff-AE Table 3 numbers (§5.6, App. A.2): few-shot class-conditional generation on CelebA-64, and the grids of
Figs 18-19.

For each scenario, class and repeat: a seeded labelled subset, a linear classifier on its z-normalised z_sem
(``diffae.eval.attributes``; the normalisation is the latent DDIM's), rejection sampling from the latent DDIM
(p < 0.5 rejected, else accepted with probability p), decoding with x_T ~ N(0, I), and the FID of the samples
against the images of the target class.

- binary: ``n_labelled`` positives and as many negatives (the paper: 50 + 50);
- PU: ``n_positive_pu`` positives and ``n_unlabelled`` other images taken as negatives, every batch half/half
  (the paper: 100 + 10,000, positives oversampled);
- naive: ``n_naive`` random images of the whole set against the target class (the paper's "all images").

Classes (the paper's): Male, Female (= not Male), Blond (Blond_Hair), Non-Blond. What a repeat redraws is
[UNSPECIFIED] by the paper; here the labelled subset, the classifier and the samples (seed + repeat). T is the
same for the latent DDIM and the decoder (the paper: 100). ``n_reference`` caps the class images FID compares
against (null = all, the paper).

Numbers CSV columns: scenario, class, repeat, fid, acceptance, n_samples, n_reference, T, seed, feature_net, data.
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from diffae.eval.codecs import codec_digest, load_codec
from diffae.eval.partial import PartialRows
from diffae.utils.digest import arrays_digest

log = logging.getLogger(__name__)

# class name -> (CelebA attribute, the value that makes a positive)
CLASSES: dict[str, tuple[str, int]] = {"Male": ("Male", 1), "Female": ("Male", 0), "Blond": ("Blond_Hair", 1),
                                       "Non-Blond": ("Blond_Hair", 0)}
SCENARIOS = ("binary", "PU")
FIGURES = {"fig18_conditional_blond": ("Blond", "Non-Blond"), "fig19_conditional_gender": ("Female", "Male")}


def class_labels(labels: pd.DataFrame, name: str) -> np.ndarray:
    """0/1 membership of every image in one of Table 3's classes."""
    if name not in CLASSES:
        raise KeyError(f"Table 3 class {name!r}; expected one of {list(CLASSES)}")
    attr, value = CLASSES[name]
    if attr not in labels.columns:
        raise KeyError(f"the labels lack {attr!r}, which Table 3's class {name!r} needs")
    return (labels[attr].to_numpy() == value).astype(np.int64)


def labelled_subset(y: np.ndarray, scenario: str, rng: np.random.Generator, *, n_labelled: int,
                    n_positive_pu: int, n_unlabelled: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, 0/1 training labels) of one scenario's labelled set. PU: the unlabelled rows are drawn from all
    rows but the chosen positives and all count as negatives."""
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    if scenario == "binary":
        if len(pos) < n_labelled or len(neg) < n_labelled:
            raise ValueError(f"binary few-shot needs {n_labelled} positives and negatives; the set has "
                             f"{len(pos)} and {len(neg)}")
        p, n = rng.choice(pos, n_labelled, replace=False), rng.choice(neg, n_labelled, replace=False)
    elif scenario == "PU":
        if len(pos) < n_positive_pu:
            raise ValueError(f"PU few-shot needs {n_positive_pu} positives; the set has {len(pos)}")
        p = rng.choice(pos, n_positive_pu, replace=False)
        rest = np.setdiff1d(np.arange(len(y)), p)
        n = rng.choice(rest, min(n_unlabelled, len(rest)), replace=False)
    else:
        raise ValueError(f"few-shot scenario {scenario!r}; expected one of {SCENARIOS}")
    return np.concatenate([p, n]), np.concatenate([np.ones(len(p)), np.zeros(len(n))])


def diffae_table3(diffae_model: str | Path, latent_model: str | Path, prepared: str | Path, out_csv: str | Path,
                  figures_dir: str | Path, *, classes: Sequence[str], n_labelled: int, n_positive_pu: int,
                  n_unlabelled: int, n_repeats: int, n_samples: int, n_naive: int, n_reference: int | None,
                  n_steps: int, n_shown: int, recipe, batch_size: int, seed: int, clip_x0: bool,
                  weights_dir: str | None, allow_random: bool, device: str) -> pd.DataFrame:
    from diffae.data.images import to_model_range, to_tiles
    from diffae.data.prepared import load_prepared
    from diffae.eval.attributes import ClassifierRecipe, rejection_sample, sigmoid, train_linear_classifier
    from diffae.eval.fid import FIDInception, fid_features, fid_from_features
    from diffae.eval.figure_data import ImageGrid, save_grid
    from diffae.eval.tables.diffae_table8 import encode_views
    from diffae.eval.uncond import load_latent_sampler

    data = load_prepared(prepared)
    codec = load_codec("Diff-AE", diffae_model, device, clip_x0=clip_x0)
    sampler = load_latent_sampler(latent_model, device)
    mean, std = (t.double().cpu().numpy() for t in (sampler.mean, sampler.std))
    inception = FIDInception(weights_dir=weights_dir, allow_random=allow_random, seed=seed, device=device)
    rec = ClassifierRecipe.of(recipe)
    source = f"{data.meta.get('dataset', Path(prepared).name)} ({data.meta.get('source', 'unknown')})"
    partial = PartialRows(out_csv, {"codec": codec_digest(codec), "latent": arrays_digest(
        [p.detach() for p in sampler.net.parameters()]), "labels": arrays_digest([data.labels.select_dtypes(
            "number").to_numpy()]), "classes": list(classes), "sizes": [n_labelled, n_positive_pu, n_unlabelled,
        n_samples, n_naive, n_reference], "repeats": n_repeats, "T": n_steps, "recipe": dataclasses.asdict(rec), "seed": seed,
        "features": inception.feature_net})
    ys = {c: class_labels(data.labels, c) for c in classes}
    rng_ref = np.random.default_rng(seed)
    refs = {c: np.sort(rng_ref.permutation(np.flatnonzero(y))[:n_reference]) for c, y in ys.items()}
    naive = np.sort(rng_ref.permutation(len(data.images))[:n_naive])
    state: dict = {}

    def features(rows: np.ndarray) -> np.ndarray:
        if "features" not in state:
            wanted = np.unique(np.concatenate([naive, *refs.values()]))
            f = fid_features(to_model_range(np.asarray(data.images[wanted])), inception, batch_size)
            state["features"] = dict(zip(wanted.tolist(), f))
        return np.stack([state["features"][int(i)] for i in rows])

    def views() -> np.ndarray:
        if "views" not in state:
            encoder = codec.encoder
            state["views"] = (encode_views(encoder, np.asarray(data.images), batch_size, device) - mean) / std
        return state["views"]

    base = {"T": n_steps, "seed": seed, "feature_net": inception.feature_net, "data": source}
    rows, shown = [], {}
    for name in classes:
        key = f"naive|{name}"
        if key not in partial:
            partial.add(key, [{**base, "scenario": "naive", "class": name, "repeat": 0,
                               "fid": fid_from_features(features(naive), features(refs[name])),
                               "acceptance": float("nan"),
                               "n_samples": len(naive), "n_reference": len(refs[name])}])
        rows += partial.get(key)
    units = [(s, c, r) for s in SCENARIOS for c in classes for r in range(n_repeats)]
    for scenario, name, r in tqdm(units, desc="Diff-AE Table 3", unit="classifier"):
        key = f"{scenario}|{name}|{r}"
        figure = scenario == "PU" and r == 0 and any(name in cs for cs in FIGURES.values())
        if key in partial and not figure:
            rows += partial.get(key)
            continue
        rng = np.random.default_rng([seed, r])
        idx, y = labelled_subset(ys[name], scenario, rng, n_labelled=n_labelled, n_positive_pu=n_positive_pu,
                                 n_unlabelled=n_unlabelled)
        clf = train_linear_classifier(views()[:, idx], y, (name,),
                                      dataclasses.replace(rec, seed=rec.seed + r),
                                      balanced=scenario == "PU")
        w, b = clf.row(name)
        gen = torch.Generator().manual_seed(seed * 1000 + r)

        def propose(n: int) -> np.ndarray:
            return sampler.sample(n, n_steps, gen).double().cpu().numpy()

        try:
            z, acceptance = rejection_sample(propose, lambda zz: sigmoid(((zz - mean) / std) @ w + b), n_samples,
                                             rng, batch=max(64, n_samples), max_proposals=1000 * n_samples)
        except RuntimeError as err:
            log.warning("%s %s repeat %d: %s; its FID is undefined", scenario, name, r, err)
            rows += partial.add(key, [{**base, "scenario": scenario, "class": name, "repeat": r, "fid": float("nan"),
                                       "acceptance": 0.0, "n_samples": 0, "n_reference": len(refs[name])}])
            continue
        z = torch.as_tensor(z, dtype=torch.float32, device=device)
        x = torch.cat([codec.decode(z[lo:lo + batch_size], n_steps, generator=gen).cpu()
                       for lo in range(0, len(z), batch_size)])
        if figure:
            shown[name] = x[:n_shown]
        if key in partial:
            rows += partial.get(key)
            continue
        fid = fid_from_features(fid_features(x, inception, batch_size), features(refs[name]))
        rows += partial.add(key, [{**base, "scenario": scenario, "class": name, "repeat": r, "fid": fid,
                                   "acceptance": acceptance, "n_samples": n_samples, "n_reference": len(refs[name])}])
        log.info("%s %s repeat %d: FID %.3f (acceptance %.2f)", scenario, name, r, fid, acceptance)
    for fig, names in FIGURES.items():
        if all(n in shown for n in names):
            save_grid(Path(figures_dir) / f"{fig}.npz", ImageGrid(
                [(n, to_tiles(shown[n])) for n in names],
                f"Uncurated class-conditional samples with the positive-unlabelled classifiers (Diff-AE Figs 18-19): "
                f"{n_positive_pu} positives + {n_unlabelled} unlabelled, rejection sampling from the latent DDIM, "
                f"T = {n_steps} for the latent DDIM and the decoder, x_T ~ N(0, I), seed {seed}; {source}."))
    return partial.finish(rows)
