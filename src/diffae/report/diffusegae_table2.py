"""DiffuseGAE Table 2 report: our FID / SSIM / LPIPS / MSE per row (``diffae.eval.tables.diffusegae_table2``)
beside the paper's numbers, with provenance."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from diffae.eval.tables.numbers import PROVENANCE, read_numbers
from diffae.report.paper_numbers import DIFFUSEGAE_TABLE2
from diffae.report.tables import report_row, write_table

METRICS = ("fid", "ssim", "lpips", "mse")

# x_T inverted from the centre itself carries the centre: the row measures inversion accuracy (compare the DDIM
# row, which has no semantic code at all), not how well the reassembled parts describe the centre.
INFERRED_NOTE = ("x_T is inverted from the centre image itself, so this row measures DDIM inversion accuracy "
                 "rather than disentanglement (the DDIM row, with no semantic code, scores alike)")


def _row(rec: dict, preset: str) -> dict:
    row = report_row(rec, {f"{k}_paper": DIFFUSEGAE_TABLE2[rec["model"]][k] for k in METRICS}, preset)
    if rec["x_T"] == "inferred":
        row["note"] = "; ".join(filter(None, (row["note"], INFERRED_NOTE)))
    return row


def diffusegae_table2_report(numbers_csv: str | Path, out_csv: str | Path, preset: str) -> pd.DataFrame:
    """Columns: model, method, T, x_T, fid, ssim, lpips, mse, <metric>_paper, provenance."""
    ours = read_numbers(numbers_csv, ("model", "method", "T", "x_T", *METRICS, *PROVENANCE))
    return write_table([_row(rec, preset) for rec in ours.to_dict("records")], out_csv)
