"""The editing-figure stages (DiffuseGAE Figs 6-10): pick held-out images, run the codecs, draw."""
from __future__ import annotations

import logging
from pathlib import Path

import torch

from diffae.data.prepared import load_prepared
from diffae.data.splits import held_out_images

log = logging.getLogger(__name__)


def editing_figures(codecs: dict, prepared: str, split_csv: str, outdir: str, T: int, fig_cfg, preset: str,
                    device: str) -> None:
    from diffae.report.figures_editing import (figure6_replacement, figure7_recombination, figure8_interpolation,
                                               figure9_single_attribute)

    k = fig_cfg.n_examples
    x = held_out_images(prepared, split_csv, n=9 * k, seed=fig_cfg.seed).to(device)
    source = load_prepared(prepared).meta.get("source", "?")
    note = f"held-out iLab-20M images ({source} data), preset {preset}, T={T}"
    order = [m for m in ("DiffuseGAE", "GZS-Net", "AE + DS") if m in codecs]
    out = Path(outdir)
    figure6_replacement([codecs[m] for m in order], x[:k], x[k:2 * k], out / "fig6_replacement.png", T,
                        parts=("background",), caption=f"Image replacement: background from the donor. {note}")
    gen = torch.Generator().manual_seed(fig_cfg.seed)
    figure7_recombination([codecs[m] for m in order], x[2 * k:3 * k], x[3 * k:4 * k], x[4 * k:5 * k],
                          out / "fig7_recombination.png", T, generator=gen,
                          caption=f"Recombination: identity, background, pose from three images; x_T ~ N(0, I). {note}")
    dg = codecs["DiffuseGAE"]
    figure8_interpolation(dg, x[5 * k:6 * k], x[6 * k:7 * k], out / "fig8_interpolation.png", fig_cfg.n_interp, T,
                          caption=f"DiffuseGAE multi-attribute interpolation: lerp z_dis, slerp x_T. {note}")
    pairs = {name: (x[7 * k + i:7 * k + i + 1], x[8 * k + i:8 * k + i + 1])
             for i, name in enumerate(dg.partition.names)}
    figure9_single_attribute(dg, pairs, out / "fig9_single_attribute.png", fig_cfg.n_interp, T,
                             caption=f"DiffuseGAE single-attribute interpolation (only that part of z_dis). {note}")


def ppl_figure(codecs: dict, prepared: str, split_csv: str, out_png: str, out_csv: str, ppl_cfg, metrics_cfg,
               is_paper: bool, preset: str, device: str):
    """DiffuseGAE Fig. 10: PPL (Eq. 13) vs DDIM steps for DiffuseGAE and Diff-AE on held-out images."""
    from diffae.eval.editing import ppl_curve
    from diffae.eval.metrics import LPIPSMetric
    from diffae.report.figure_ppl import figure10

    lpips_vgg = LPIPSMetric("vgg", weights_dir=metrics_cfg.weights_dir,
                            allow_random=metrics_cfg.allow_random_weights and not is_paper, seed=ppl_cfg.seed,
                            device=device)
    images = held_out_images(prepared, split_csv, n=max(2 * ppl_cfg.n_pairs, 4), seed=ppl_cfg.seed).to(device)
    rows = []
    for method in ("DiffuseGAE", "Diff-AE"):
        gen = torch.Generator().manual_seed(ppl_cfg.seed)
        for r in ppl_curve(codecs[method], images, ppl_cfg.timesteps, ppl_cfg.n_pairs, ppl_cfg.eps, lpips_vgg,
                           generator=gen, batch_size=ppl_cfg.batch_size, device=device):
            rows.append({"method": method, **r})
            log.info("PPL %s T=%s: %.4g", method, r.get("T"), r.get("ppl"))
    caption = (f"PPL (lower is smoother), {ppl_cfg.n_pairs} pairs of held-out images, eps {ppl_cfg.eps}, "
               f"{lpips_vgg.feature_net}, preset {preset}")
    return figure10(rows, out_png, out_csv, caption=caption, preset=preset, feature_net=lpips_vgg.feature_net)
