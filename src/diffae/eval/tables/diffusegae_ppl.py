"""DiffuseGAE Fig. 10 numbers: PPL (Eq. 13) against the number of DDIM steps, DiffuseGAE vs Diff-AE, on
held-out images (``diffae.eval.editing.ppl_curve``); ``diffae.report.figure_ppl`` draws them.

Output CSV columns: method, T (DDIM steps), ppl, n_pairs, eps, feature_net.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd
import torch
from tqdm import tqdm

from diffae.eval.codecs import codec_digest
from diffae.eval.partial import PartialRows
from diffae.utils.digest import arrays_digest

log = logging.getLogger(__name__)

METHODS = ("DiffuseGAE", "Diff-AE")


def ppl_numbers(codecs: Mapping[str, object], prepared: str | Path, split_csv: str | Path, out_csv: str | Path, *,
                step_counts: Sequence[int], n_pairs: int, eps: float, batch_size: int, seed: int,
                weights_dir: str | None, allow_random: bool, device: str) -> pd.DataFrame:
    """One PPL row per method x step count; pairs, x_T and alpha drawn from a generator seeded with ``seed``
    afresh for each method, so both methods walk the same paths."""
    from diffae.eval.editing import ppl_curve
    from diffae.data.splits import held_out_images
    from diffae.eval.metrics import LPIPSMetric

    lpips_vgg = LPIPSMetric("vgg", weights_dir=weights_dir, allow_random=allow_random, seed=seed, device=device)
    images = held_out_images(prepared, split_csv, n=max(2 * n_pairs, 4), seed=seed).to(device)
    partial = PartialRows(out_csv, {"codecs": {m: codec_digest(codecs[m]) for m in METHODS},
                                    "images": arrays_digest([images]), "step_counts": list(step_counts),
                                    "n_pairs": n_pairs, "eps": eps, "batch_size": batch_size, "seed": seed,
                                    "features": lpips_vgg.feature_net})
    rows = []
    for method in tqdm(METHODS, desc="PPL curves", unit="method"):
        if method not in partial:
            gen = torch.Generator().manual_seed(seed)
            curve = ppl_curve(codecs[method], images, step_counts=step_counts, n_pairs=n_pairs, eps=eps,
                              lpips_vgg=lpips_vgg, generator=gen, batch_size=batch_size, device=device)
            partial.add(method, [{"method": method, **r, "feature_net": lpips_vgg.feature_net} for r in curve])
            for r in partial.get(method):
                log.info("PPL %s T=%s: %.4g", method, r.get("T"), r.get("ppl"))
        rows += partial.get(method)
    return partial.finish(rows)
