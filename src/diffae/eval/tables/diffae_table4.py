"""Diff-AE Table 4 numbers on one dataset: FID of unconditional samples at each T (the same T for the latent
DDIM and the decoder, §5.7) for DDIM, Ours (latent DDIM + Diff-AE decoder) and "+ autoencoding" (z_sem of
real images, x_T ~ N(0, I)); the images come from ``diffae.eval.uncond.generate``. It also writes the grids
of Figs 20-22 (uncurated samples of Ours at the largest T) and Fig. 9 (each sample's nearest training images
by LPIPS, image MSE and z_sem MSE).

Reference and "+ autoencoding" images: a seeded permutation of the prepared set gives the FID reference
(the first ``n_samples``) and, with ``autoenc_source="held_out"`` (the paper's "test set"), the next
``n_samples`` as the images whose z_sem is decoded; ``"reference"`` decodes the reference images themselves,
as the official code does (its FID reference is its training set). The models see the whole set in training.

Output CSV columns: dataset, model, T, fid, reference (the prepared set, real or stand-in), autoenc_source,
n_samples, seed, feature_net.
"""
from __future__ import annotations

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

ROWS = ("DDIM", "Ours", "+ autoencoding")
AUTOENC_SOURCES = ("held_out", "reference")


def reference_split(n_images: int, n: int, seed: int, autoenc_source: str) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (reference, autoencoding source) of a prepared set of ``n_images``: seeded permutation,
    reference first; the held-out source is the next ``n`` rows (reused cyclically when the set is small)."""
    if autoenc_source not in AUTOENC_SOURCES:
        raise ValueError(f"eval.uncond.autoenc_source: {autoenc_source!r}; expected one of {AUTOENC_SOURCES}")
    if n_images < 2:
        raise ValueError(f"Table 4 needs at least 2 images, the prepared set has {n_images}")
    perm = np.random.default_rng(seed).permutation(n_images)
    reference = np.resize(perm, n) if n_images < n else perm[:n]
    if autoenc_source == "reference":
        return reference, reference
    rest = perm[n:] if n_images > n else perm[n_images // 2:]
    if n_images <= n:
        log.warning("only %d images for a reference and a held-out set of %d each: the held-out images are "
                    "the second half of the set, reused", n_images, n)
    return reference, np.resize(rest, n)


def diffae_table4(diffae_model: str | Path, ddim_model: str | Path, latent_model: str | Path, latents: str | Path,
                  prepared: str | Path, out_csv: str | Path, figures_dir: str | Path, *, dataset: str,
                  step_counts: Sequence[int], n_samples: int, autoenc_source: str, n_neighbours: int, n_shown: int,
                  batch_size: int, seed: int, clip_x0: bool, weights_dir: str | None, allow_random: bool,
                  device: str, compile: bool = False) -> pd.DataFrame:
    """Every row x T of Table 4 for ``dataset``; then the sample and neighbour grids into ``figures_dir``."""
    from diffae.data.images import to_model_range
    from diffae.data.prepared import load_prepared
    from diffae.eval.fid import FIDInception, fid_statistics, frechet_distance
    from diffae.eval.uncond import generate, load_latent_sampler

    data = load_prepared(prepared)
    ref_idx, src_idx = reference_split(len(data.images), n_samples, seed, autoenc_source)
    reference, source = to_model_range(data.images[ref_idx]), to_model_range(data.images[src_idx])
    codecs = {"Diff-AE": load_codec("Diff-AE", diffae_model, device, clip_x0=clip_x0, compile=compile),
              "DDIM": load_codec("DDIM", ddim_model, device, clip_x0=clip_x0, compile=compile)}
    sampler = load_latent_sampler(latent_model, device)
    inception = FIDInception(weights_dir=weights_dir, allow_random=allow_random, seed=seed, device=device)
    ref_name = f"{data.meta.get('dataset', Path(prepared).name)} ({data.meta.get('source', 'unknown')})"
    partial = PartialRows(out_csv, {"codecs": {m: codec_digest(c) for m, c in sorted(codecs.items())},
                                    "latent": arrays_digest([p.detach() for p in sampler.net.parameters()]),
                                    "images": arrays_digest([reference, source]), "steps": list(step_counts),
                                    "batch_size": batch_size, "seed": seed, "features": inception.feature_net})
    ref_stats = fid_statistics(reference, inception, batch_size)
    rows, shown = [], None
    for n_steps in step_counts:
        for row in tqdm(ROWS, desc=f"Diff-AE Table 4 {dataset} T={n_steps}", unit="row"):
            key = f"{row}|T={n_steps}"
            keep = row == "Ours" and n_steps == max(step_counts)
            if key in partial and not keep:
                rows += partial.get(key)
                continue
            gen = torch.Generator().manual_seed(seed)
            images = generate(codecs["DDIM" if row == "DDIM" else "Diff-AE"], n_steps, n=n_samples,
                              generator=gen, batch_size=batch_size, sampler=sampler if row == "Ours" else None,
                              source=source if row == "+ autoencoding" else None)
            if keep:
                shown = images[:n_shown]
            if key in partial:
                rows += partial.get(key)
                continue
            fid = frechet_distance(*fid_statistics(images, inception, batch_size), *ref_stats)
            rows += partial.add(key, [{"dataset": dataset, "model": row, "T": int(n_steps), "fid": fid,
                                       "reference": ref_name, "autoenc_source": autoenc_source,
                                       "n_samples": n_samples, "seed": seed, "feature_net": inception.feature_net}])
            log.info("%s %s T=%d: FID %.3f", dataset, row, n_steps, fid)
    _write_figures(shown, data, latents, codecs["Diff-AE"], Path(figures_dir), dataset=dataset,
                   n_steps=max(step_counts), n_neighbours=n_neighbours, batch_size=batch_size, seed=seed,
                   weights_dir=weights_dir, allow_random=allow_random, device=device)
    return partial.finish(rows)


def _write_figures(samples: torch.Tensor, data, latents: str | Path, codec, figures_dir: Path, *, dataset: str,
                   n_steps: int, n_neighbours: int, batch_size: int, seed: int, weights_dir: str | None,
                   allow_random: bool, device: str) -> None:
    from diffae.data.latents import load_latents
    from diffae.eval.diffae_figures import neighbour_grid, samples_grid
    from diffae.eval.figure_data import diffae_figure_name, save_grid
    from diffae.eval.metrics import LPIPSMetric

    what = f"{dataset}: latent DDIM + Diff-AE decoder, T={n_steps} for both, x_T ~ N(0, I), seed {seed}"
    save_grid(figures_dir / f"{diffae_figure_name('samples', dataset)}.npz", samples_grid(samples, what))
    lpips = LPIPSMetric("alex", weights_dir=weights_dir, allow_random=allow_random, seed=seed, device=device)
    train_z = torch.from_numpy(load_latents(latents).z)
    grid = neighbour_grid(samples, data.images, train_z, codec, lpips, k=n_neighbours, batch_size=batch_size,
                          caption=f"{what}; neighbours among the {len(data.images)} training images "
                                  f"({lpips.feature_net})")
    save_grid(figures_dir / f"{diffae_figure_name('neighbours', dataset)}.npz", grid)
