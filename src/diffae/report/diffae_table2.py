"""Diff-AE Table 2 on our data: SSIM / LPIPS / MSE at T in {10, 20, 50, 100} for
DDIM (inferred x_T), Diff-AE (inferred x_T) and Diff-AE with random x_T (row a)."""
from __future__ import annotations

import logging

import numpy as np

from diffae.eval import reconstruction
from diffae.eval.metrics import LPIPSMetric, reconstruction_metrics
from diffae.report.paper_numbers import DIFFAE_TABLE2
from diffae.report.tables import provenance, write_table

log = logging.getLogger(__name__)

ROWS = (("DDIM (inferred x_T)", "ddim"), ("Diff-AE (inferred x_T)", "inferred"), ("Diff-AE a) random x_T", "random"))


def build(diffae_model: str, ddim_model: str, prepared: str, split_csv: str, out_csv: str, T_list, n_images: int,
          batch_size: int, seed: int, clip_x0: bool, weights_dir, allow_random: bool, preset: str, device: str):
    from diffae.artifacts import load_trained
    from diffae.data.splits import split_images

    diffae = load_trained(diffae_model, device)
    ddim = load_trained(ddim_model, device)
    images, _ = split_images(prepared, split_csv, "test")
    if len(images) < n_images:
        log.warning("only %d test images available (asked for %d)", len(images), n_images)
    x0 = (images[:n_images].float() / 127.5 - 1.0).to(device)
    lpips = LPIPSMetric("alex", weights_dir=weights_dir, allow_random=allow_random, seed=seed, device=device)
    metric_fn = lambda x, y: reconstruction_metrics(x, y, lpips)  # noqa: E731
    rows = []
    for name, mode in ROWS:
        model = ddim if mode == "ddim" else diffae
        encoder = None if mode == "ddim" else model["encoder"]
        for T in T_list:
            m = reconstruction.evaluate(mode, model["unet"], encoder, model.diffusion, x0, T, metric_fn,
                                        batch_size=batch_size, seed=seed, clip_x0=clip_x0)
            paper = DIFFAE_TABLE2[name]
            rows.append({"model": name, "T": T, **m, **{f"{k}_paper": paper[k].get(T, np.nan) for k in m},
                         **provenance(preset, len(x0), seed, lpips.feature_net)})
            log.info("%s T=%d: %s", name, T, {k: round(v, 4) for k, v in m.items()})
    return write_table(rows, out_csv)
