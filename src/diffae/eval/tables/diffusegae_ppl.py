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

from diffae.eval.tables.numbers import write_numbers

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

    lpips_vgg = LPIPSMetric("vgg", weights_dir=weights_dir, allow_random=allow_random, seed=seed).to(device)
    images = held_out_images(prepared, split_csv, n=max(2 * n_pairs, 4), seed=seed).to(device)
    rows = []
    for method in METHODS:
        gen = torch.Generator().manual_seed(seed)
        for r in ppl_curve(codecs[method], images, step_counts=step_counts, n_pairs=n_pairs, eps=eps,
                           lpips_vgg=lpips_vgg, generator=gen, batch_size=batch_size, device=device):
            rows.append({"method": method, **r, "feature_net": lpips_vgg.feature_net})
            log.info("PPL %s T=%s: %.4g", method, r.get("T"), r.get("ppl"))
    return write_numbers(rows, out_csv)
