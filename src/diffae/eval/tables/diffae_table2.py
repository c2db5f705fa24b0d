"""Diff-AE Table 2 numbers on our data: SSIM / LPIPS / MSE of autoencoding held-out test images with
n_steps in ``diffusion.T_recon`` for DDIM (inferred x_T), Diff-AE (inferred x_T) and Diff-AE with random
x_T (row a). Every row is ``codec.reconstruct`` (Diff-AE §5.4); ``diffae.report.diffae_table2`` adds the
paper's numbers and provenance.

Output CSV columns: model, T (DDIM steps), ssim, lpips, mse, latent_dim (numbers in the code an image is
kept as: x_T when inferred, plus z_sem; Diff-AE Table 1's column), test_set (the prepared set and whether it
is real or a stand-in), n_samples, seed, feature_net.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from diffae.eval.codecs import codec_digest, load_codec
from diffae.eval.metrics import LPIPSMetric, reconstruction_metrics
from diffae.eval.partial import PartialRows
from diffae.utils.digest import arrays_digest

log = logging.getLogger(__name__)

# (row name = a key of the paper's table, codec method, x_T mode of codec.reconstruct)
ROWS = (("DDIM (inferred x_T)", "DDIM", "inferred"), ("Diff-AE (inferred x_T)", "Diff-AE", "inferred"),
        ("Diff-AE a) random x_T", "Diff-AE", "random"))


def mean_metrics(codec, images: torch.Tensor, n_steps: int, x_T: str, metric_fn: Callable, batch_size: int,
                 seed: int) -> dict[str, float]:
    """Mean per-image metrics (metric_fn(x, y) -> dict of (N,) arrays) of ``codec.reconstruct`` at n_steps;
    random x_T is drawn batch after batch from one generator seeded with ``seed``."""
    gen = torch.Generator().manual_seed(seed)
    parts: dict[str, list[np.ndarray]] = {}
    for lo in range(0, len(images), batch_size):
        x0 = images[lo:lo + batch_size]
        x_hat = codec.reconstruct(x0, n_steps, x_T=x_T, generator=gen)
        for k, v in metric_fn(x0, x_hat).items():
            parts.setdefault(k, []).append(np.asarray(v))
    return {k: float(np.concatenate(v).mean()) for k, v in parts.items()}


def test_images(prepared: str | Path, split_csv: str | Path | None, n_images: int,
                device: str) -> tuple[torch.Tensor, str]:
    """The first ``n_images`` test images in [-1, 1] on ``device``, and the test set's name (the prepared
    dataset, real or stand-in) for the ``test_set`` column."""
    from diffae.data.prepared import load_prepared
    from diffae.data.splits import split_images

    images, _ = split_images(prepared, split_csv, "test")
    if len(images) < n_images:
        log.warning("only %d test images available (asked for %d)", len(images), n_images)
    meta = load_prepared(prepared).meta
    test_set = f"{meta.get('dataset', Path(prepared).name)} ({meta.get('source', 'unknown')})"
    return (images[:n_images].float() / 127.5 - 1.0).to(device), test_set


@torch.no_grad()
def latent_dim(codec, x0: torch.Tensor, x_T: str) -> int:
    """Size of the code one image is kept as: the inferred x_T (an image's worth) and z_sem, when present."""
    z = codec.encode(x0[:1])
    return (x0[0].numel() if x_T == "inferred" else 0) + (0 if z is None else int(z[0].numel()))


def diffae_table2(diffae_model: str | Path, ddim_model: str | Path, prepared: str | Path, split_csv: str | Path | None,
                  out_csv: str | Path, *, step_counts: Sequence[int], n_images: int, batch_size: int, seed: int,
                  clip_x0: bool, weights_dir: str | None, allow_random: bool, device: str,
                  compile: bool = False) -> pd.DataFrame:
    """Compute every row x step count on the first ``n_images`` test images (of the whole set without a split)
    and write ``out_csv``."""
    codecs = {"Diff-AE": load_codec("Diff-AE", diffae_model, device, clip_x0=clip_x0, compile=compile),
              "DDIM": load_codec("DDIM", ddim_model, device, clip_x0=clip_x0, compile=compile)}
    x0, test_set = test_images(prepared, split_csv, n_images, device)
    lpips = LPIPSMetric("alex", weights_dir=weights_dir, allow_random=allow_random, seed=seed, device=device)
    metric_fn = lambda x, y: reconstruction_metrics(x, y, lpips)  # noqa: E731
    partial = PartialRows(out_csv, {"codecs": {m: codec_digest(c) for m, c in sorted(codecs.items())},
                                    "images": arrays_digest([x0]), "batch_size": batch_size, "seed": seed,
                                    "features": lpips.feature_net, "columns": ["latent_dim", "test_set"]})
    rows = []
    units = [(name, method, x_T, n_steps) for name, method, x_T in ROWS for n_steps in step_counts]
    for name, method, x_T, n_steps in tqdm(units, desc="Diff-AE Table 2 cells", unit="cell"):
        key = f"{name}|T={n_steps}"
        if key in partial:
            rows += partial.get(key)
            continue
        m = mean_metrics(codecs[method], x0, n_steps=n_steps, x_T=x_T, metric_fn=metric_fn,
                         batch_size=batch_size, seed=seed)
        rows += partial.add(key, [{"model": name, "T": n_steps, **m,
                                   "latent_dim": latent_dim(codecs[method], x0, x_T), "test_set": test_set,
                                   "n_samples": len(x0), "seed": seed, "feature_net": lpips.feature_net}])
        log.info("%s T=%d: %s", name, n_steps, {k: round(v, 4) for k, v in m.items()})
    return partial.finish(rows)



def zsem_row_name(z_dim: int) -> str:
    """Our name of an ablation row; the report puts the paper's row letter (b-e) in front."""
    return f"Diff-AE random x_T, {z_dim}-d z_sem, 48/130 steps"


def zsem_ablation_table(models_dir: str | Path, prepared: str | Path, split_csv: str | Path | None,
                        out_csv: str | Path, *, z_dims: Sequence[int], step_counts: Sequence[int], n_images: int,
                        batch_size: int, seed: int, clip_x0: bool, weights_dir: str | None, allow_random: bool,
                        device: str, compile: bool = False) -> pd.DataFrame:
    """Diff-AE Table 2 rows b-e: random-x_T reconstruction (as row a, same images, same x_T seed) by the
    models ``<models_dir>/diffae_z<d>/final.pt`` for each width d in ``z_dims``. Columns as ``diffae_table2``
    plus ``z_dim``."""
    paths = {d: Path(models_dir) / f"diffae_z{d}" / "final.pt" for d in z_dims}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"z_sem ablation models missing: {missing} (run `diffae train-diffae-zdim`)")
    codecs = {d: load_codec("Diff-AE", p, device, clip_x0=clip_x0, compile=compile) for d, p in paths.items()}
    x0, test_set = test_images(prepared, split_csv, n_images, device)
    lpips = LPIPSMetric("alex", weights_dir=weights_dir, allow_random=allow_random, seed=seed, device=device)
    metric_fn = lambda x, y: reconstruction_metrics(x, y, lpips)  # noqa: E731
    partial = PartialRows(out_csv, {"codecs": {str(d): codec_digest(c) for d, c in sorted(codecs.items())},
                                    "images": arrays_digest([x0]), "batch_size": batch_size, "seed": seed,
                                    "features": lpips.feature_net})
    rows = []
    units = [(d, n_steps) for d in z_dims for n_steps in step_counts]
    for d, n_steps in tqdm(units, desc="Diff-AE Table 2 rows b-e", unit="cell"):
        key = f"z{d}|T={n_steps}"
        if key in partial:
            rows += partial.get(key)
            continue
        m = mean_metrics(codecs[d], x0, n_steps=n_steps, x_T="random", metric_fn=metric_fn,
                         batch_size=batch_size, seed=seed)
        rows += partial.add(key, [{"model": zsem_row_name(d), "T": n_steps, **m,
                                   "latent_dim": latent_dim(codecs[d], x0, "random"), "test_set": test_set,
                                   "z_dim": d, "n_samples": len(x0), "seed": seed, "feature_net": lpips.feature_net}])
        log.info("z_sem %d-d T=%d: %s", d, n_steps, {k: round(v, 4) for k, v in m.items()})
    return partial.finish(rows)
