"""Diff-AE generation reports: Table 4 (FID of unconditional samples per dataset, ``diffae.eval.tables.diffae_table4``),
the App. F PPL table (``diffae.eval.tables.diffae_ppl``) and Table 7 (training throughput, from the metrics.csv
of each dataset's DDIM and Diff-AE runs), each beside the paper's numbers.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from diffae.eval.tables.numbers import PROVENANCE, read_numbers
from diffae.report.paper_numbers import (DIFFAE_PPL, DIFFAE_TABLE4, DIFFAE_TABLE4_DATASET, DIFFAE_TABLE4_T,
                                         DIFFAE_TABLE7, DIFFAE_TABLE7_ROW)
from diffae.report.tables import report_row, write_table

TABLE4_ROWS = ("DDIM", "Ours", "+ autoencoding")


def diffae_table4_report(numbers_csvs: Iterable[str | Path], out_csv: str | Path, preset: str) -> pd.DataFrame:
    """Columns: dataset (the paper's name), model, T, fid, fid_paper (NaN where the paper has no such T),
    reference, autoenc_source, provenance. Rows in the paper's order: datasets, then DDIM, Ours, + autoencoding."""
    columns = ("dataset", "model", "T", "fid", "reference", "autoenc_source", *PROVENANCE)
    frames = [read_numbers(path, columns) for path in numbers_csvs]
    if not frames:
        raise ValueError("Diff-AE Table 4: no numbers files given")
    ours = pd.concat(frames, ignore_index=True)
    order = {d: i for i, d in enumerate(DIFFAE_TABLE4)}
    ours = ours.assign(_d=ours["dataset"].map(order), _m=ours["model"].map(TABLE4_ROWS.index))
    rows = []
    for rec in ours.sort_values(["_d", "_m", "T"]).drop(columns=["_d", "_m"]).to_dict("records"):
        paper = dict(zip(DIFFAE_TABLE4_T, DIFFAE_TABLE4[rec["dataset"]][rec["model"]]))
        rec["dataset"] = DIFFAE_TABLE4_DATASET[rec["dataset"]]
        extra = {k: rec.pop(k) for k in ("reference", "autoenc_source")}
        rows.append({**report_row(rec, {"fid_paper": paper.get(int(rec["T"]), np.nan)}, preset), **extra})
    return write_table(rows, out_csv)


def diffae_ppl_report(numbers_csv: str | Path, out_csv: str | Path, preset: str) -> pd.DataFrame:
    """Columns: model, T, ppl, ppl_paper, n_pairs, eps, images, provenance."""
    rows = []
    for rec in read_numbers(numbers_csv, ("model", "T", "ppl", "n_pairs", "eps", "images", *PROVENANCE)
                            ).to_dict("records"):
        images = rec.pop("images")
        rows.append({**report_row(rec, {"ppl_paper": DIFFAE_PPL[rec["model"]]}, preset), "images": images})
    return write_table(rows, out_csv)


def median_throughput(metrics_csv: str | Path) -> float:
    """Median ``img_per_s_per_rank`` of a training log's windows, the first (start-up) left out when there
    are others."""
    path = Path(metrics_csv)
    if not path.is_file():
        raise FileNotFoundError(f"training log {path} not found (run the training rule)")
    with open(path, newline="") as fh:
        values = [float(r["img_per_s_per_rank"]) for r in csv.DictReader(fh) if r.get("img_per_s_per_rank")]
    if not values:
        raise ValueError(f"{path}: no img_per_s_per_rank column (written by an older training loop: retrain)")
    return float(np.median(values[1:] if len(values) > 1 else values))


def throughput_table(logs: dict[str, dict[str, str | Path]], out_csv: str | Path, preset: str) -> pd.DataFrame:
    """Diff-AE Table 7 beside ours: ``logs`` maps a dataset to {"DDIM": metrics.csv, "Diff-AE": metrics.csv}.
    Columns: dataset, model, img_per_s (ours, per rank, median over the logged windows), img_per_s_paper (per
    V100), paper_row, diffae_over_ddim (Diff-AE throughput / DDIM's; paper: 0.82, "around 20% slower"),
    diffae_over_ddim_paper, preset."""
    rows = []
    for dataset, by_model in logs.items():
        ours = {m: median_throughput(p) for m, p in by_model.items()}
        paper_row = DIFFAE_TABLE7_ROW.get(dataset)
        paper = dict(zip(("DDIM", "Diff-AE"), DIFFAE_TABLE7.get(paper_row, (None, None))))
        ratio = ours["Diff-AE"] / ours["DDIM"]
        ratio_paper = (paper["Diff-AE"] / paper["DDIM"]) if paper["DDIM"] else np.nan
        for model in ("DDIM", "Diff-AE"):
            rows.append({"dataset": dataset, "model": model, "img_per_s": ours[model],
                         "img_per_s_paper": np.nan if paper[model] is None else paper[model],
                         "paper_row": paper_row or "", "diffae_over_ddim": ratio,
                         "diffae_over_ddim_paper": ratio_paper, "preset": preset})
    return write_table(rows, out_csv)


def throughput_table_from_dirs(models_dir: str | Path, datasets: Iterable[str], out_csv: str | Path,
                               preset: str) -> pd.DataFrame:
    """`diffae table-diffae-throughput`: the logs of ``<models_dir>/<dataset>/{ddim,diffae}/metrics.csv``."""
    models_dir = Path(models_dir)
    logs = {d: {"DDIM": models_dir / d / "ddim" / "metrics.csv", "Diff-AE": models_dir / d / "diffae" / "metrics.csv"}
            for d in datasets}
    return throughput_table(logs, out_csv, preset)
