"""Diff-AE App. F numbers: perceptual path length (Eq. 10) of interpolations between real FFHQ images, DDIM vs
Diff-AE, with ``diffae.eval.editing.ppl_curve``. Both codes come from the images, as in §5.2's interpolation:
Diff-AE walks Lerp(z_sem) + Slerp(x_T inverted by Eq. 8), DDIM walks Slerp of its inverted x_T. The inversion
and decoding T is [UNSPECIFIED] by the paper (params ``eval.diffae_ppl.T``).

Output CSV columns: model, T, ppl, n_pairs, eps, images (the prepared set, real or stand-in), n_samples, seed,
feature_net.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import torch

from diffae.eval.codecs import codec_digest, load_codec
from diffae.eval.partial import PartialRows
from diffae.utils.digest import arrays_digest

log = logging.getLogger(__name__)

MODELS = ("DDIM", "Diff-AE")


def diffae_ppl(diffae_model: str | Path, ddim_model: str | Path, prepared: str | Path, out_csv: str | Path, *,
               n_steps: int, n_pairs: int, eps: float, batch_size: int, seed: int, clip_x0: bool,
               weights_dir: str | None, allow_random: bool, device: str,
               compile: bool = False) -> pd.DataFrame:
    """One row per model; both walk the same pairs and alpha (a generator seeded with ``seed`` for each)."""
    from diffae.data.images import to_model_range
    from diffae.data.prepared import load_prepared
    from diffae.eval.editing import ppl_curve
    from diffae.eval.metrics import LPIPSMetric

    data = load_prepared(prepared)
    images = to_model_range(data.images[: max(2 * n_pairs, 2)])
    codecs = {"DDIM": load_codec("DDIM", ddim_model, device, clip_x0=clip_x0, compile=compile),
              "Diff-AE": load_codec("Diff-AE", diffae_model, device, clip_x0=clip_x0, compile=compile)}
    lpips_vgg = LPIPSMetric("vgg", weights_dir=weights_dir, allow_random=allow_random, seed=seed, device=device)
    name = f"{data.meta.get('dataset', Path(prepared).name)} ({data.meta.get('source', 'unknown')})"
    partial = PartialRows(out_csv, {"codecs": {m: codec_digest(c) for m, c in sorted(codecs.items())},
                                    "images": arrays_digest([images]), "T": n_steps, "n_pairs": n_pairs, "eps": eps,
                                    "batch_size": batch_size, "seed": seed, "features": lpips_vgg.feature_net})
    rows = []
    for model in MODELS:
        if model not in partial:
            (r,) = ppl_curve(codecs[model], images, step_counts=[n_steps], n_pairs=n_pairs, eps=eps,
                             lpips_vgg=lpips_vgg, generator=torch.Generator().manual_seed(seed),
                             batch_size=batch_size, device=device, x_T="inferred")
            partial.add(model, [{"model": model, **r, "images": name, "n_samples": 2 * n_pairs, "seed": seed,
                                 "feature_net": lpips_vgg.feature_net}])
            log.info("PPL %s T=%d: %.4g", model, n_steps, r["ppl"])
        rows += partial.get(model)
    return partial.finish(rows)
