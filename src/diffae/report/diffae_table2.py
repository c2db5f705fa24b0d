"""Diff-AE Table 2 report: our SSIM / LPIPS / MSE per row and step count (``diffae.eval.tables.diffae_table2``)
beside the paper's numbers, with provenance."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from diffae.eval.tables.numbers import PROVENANCE, read_numbers
from diffae.report.paper_numbers import DIFFAE_TABLE2
from diffae.report.tables import report_row, write_table

METRICS = ("ssim", "lpips", "mse")


def diffae_table2_report(numbers_csv: str | Path, out_csv: str | Path, preset: str) -> pd.DataFrame:
    """Columns: model, T, ssim, lpips, mse, <metric>_paper (NaN where the paper has no such T), provenance."""
    ours = read_numbers(numbers_csv, ("model", "T", *METRICS, *PROVENANCE))
    rows = []
    for rec in ours.to_dict("records"):
        paper = DIFFAE_TABLE2[rec["model"]]
        rows.append(report_row(rec, {f"{k}_paper": paper[k].get(int(rec["T"]), np.nan) for k in METRICS}, preset))
    return write_table(rows, out_csv)
