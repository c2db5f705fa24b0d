"""Diff-AE Tables 1 and 2 reports from one set of numbers (``diffae.eval.tables.diffae_table2``).

Table 2: our SSIM / LPIPS / MSE per row and step count beside the paper's, with provenance.
Table 1: the same rows at T=100 (the largest step count evaluated when 100 was not), with the latent
dimension each keeps an image in, beside the paper's, and the other autoencoders of the paper's Table 1 as
reference-only rows (StyleGAN2 inversions, VQ-GAN, VQ-VAE2, NVAE: not reproduced).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from diffae.eval.tables.numbers import PROVENANCE, read_numbers
from diffae.report.paper_numbers import DIFFAE_TABLE1_OURS, DIFFAE_TABLE1_REFERENCE, DIFFAE_TABLE2, DIFFAE_TABLE2_ZSEM
from diffae.report.tables import report_row, write_table

METRICS = ("ssim", "lpips", "mse")


def diffae_table2_report(numbers_csv: str | Path, out_csv: str | Path, preset: str,
                         zsem_csv: str | Path | None = None) -> pd.DataFrame:
    """Columns: model, T, ssim, lpips, mse, <metric>_paper (NaN where the paper has no such T), provenance,
    test_set, z_dim (rows b-e only: the z_sem width of the ablation model, whose paper row letter leads its name)."""
    columns = ("model", "T", *METRICS, "latent_dim", "test_set", *PROVENANCE)
    rows = [_table2_row(rec, DIFFAE_TABLE2[rec["model"]], preset) for rec in read_numbers(numbers_csv, columns)
            .to_dict("records")]
    if zsem_csv is not None:
        for rec in read_numbers(zsem_csv, (*columns, "z_dim")).to_dict("records"):
            z_dim = int(rec.pop("z_dim"))
            paper = DIFFAE_TABLE2_ZSEM.get(z_dim, {})
            if paper:
                rec["model"] = f"{paper['row']}) {rec['model']}"
            rows.append({**_table2_row(rec, paper, preset), "z_dim": z_dim})
    return write_table(rows, out_csv)


def _table2_row(rec: dict, paper: dict, preset: str) -> dict:
    test_set = rec.pop("test_set")
    rec.pop("latent_dim")
    cells = {f"{k}_paper": paper[k].get(int(rec["T"]), np.nan) if paper else np.nan for k in METRICS}
    return {**report_row(rec, cells, preset), "test_set": test_set}


def diffae_table1_report(numbers_csv: str | Path, out_csv: str | Path, preset: str) -> pd.DataFrame:
    """Columns: model, T, latent_dim, ssim, lpips, mse, <each>_paper, reference_only, provenance, test_set."""
    ours = read_numbers(numbers_csv, ("model", "T", *METRICS, "latent_dim", "test_set", *PROVENANCE))
    steps = 100 if (ours["T"] == 100).any() else int(ours["T"].max())
    rows = []
    for name, ref in DIFFAE_TABLE1_REFERENCE.items():
        rows.append({"model": name, "T": np.nan, **{k: np.nan for k in ("latent_dim", *METRICS)},
                     **{f"{k}_paper": v for k, v in ref.items()}, "reference_only": True})
    for rec in ours[ours["T"] == steps].to_dict("records"):
        paper = DIFFAE_TABLE1_OURS[rec["model"]]
        test_set = rec.pop("test_set")
        row = report_row(rec, {f"{k}_paper": v for k, v in paper.items()}, preset)
        ours_cols = {k: row.pop(k) for k in ("model", "T", "latent_dim", *METRICS)}
        rows.append({**ours_cols, **row, "reference_only": False, "test_set": test_set})
    return write_table(rows, out_csv)
