"""Diff-AE attribute reports beside the paper's numbers: Table 8 (AUROC of the linear classifiers on z_sem),
Tables 9-10 (manipulation FID and ArcFace identity) and Table 3 (few-shot class-conditional FID).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from diffae.eval.attributes import auroc_averages
from diffae.eval.tables.numbers import read_numbers
from diffae.report.paper_numbers import (DIFFAE_TABLE3, DIFFAE_TABLE3_D2C, DIFFAE_TABLE3_NAIVE, DIFFAE_TABLE8,
                                         DIFFAE_TABLE8_AVERAGES, DIFFAE_TABLE9, DIFFAE_TABLE10)
from diffae.report.tables import provenance, write_table

UNDEFINED_NOTE = "one class only in the test split: AUROC undefined, left out of the averages"


def diffae_table8_report(numbers_csv: str | Path, out_csv: str | Path, preset: str) -> pd.DataFrame:
    """Columns: attribute, n_positive, auroc, n_positive_paper, auroc_paper, auroc_stylegan_w (reference),
    provenance. The 40 attributes, then "Weighted average" (by test positives) and "Macro average" over the
    defined ones; an undefined attribute's note says so, and the averages' note counts them."""
    df = read_numbers(numbers_csv, ("attribute", "n_positive", "n_negative", "auroc", "n_test", "split_seed",
                                    "recipe"))
    prov = provenance(preset, int(df["n_test"].iloc[0]), int(df["split_seed"].iloc[0]),
                      f"linear classifier on z_sem ({df['recipe'].iloc[0]} recipe)")
    rows = []
    for rec in df.to_dict("records"):
        n_paper, auc_paper, auc_w = DIFFAE_TABLE8.get(rec["attribute"], (np.nan, np.nan, np.nan))
        note = prov["note"] if np.isfinite(rec["auroc"]) else "; ".join(filter(None, (UNDEFINED_NOTE, prov["note"])))
        rows.append({"attribute": rec["attribute"], "n_positive": int(rec["n_positive"]), "auroc": rec["auroc"],
                     "n_positive_paper": n_paper, "auroc_paper": auc_paper, "auroc_stylegan_w": auc_w,
                     **prov, "note": note})
    avg = auroc_averages(df)
    counted = f"over {avg['n_defined']} attributes; {avg['n_undefined']} undefined (one class in the test split)"
    for kind, label in (("weighted", "Weighted average"), ("macro", "Macro average")):
        paper, paper_w = DIFFAE_TABLE8_AVERAGES[kind]
        rows.append({"attribute": label, "n_positive": int(df["n_positive"].sum()), "auroc": avg[kind],
                     "n_positive_paper": sum(v[0] for v in DIFFAE_TABLE8.values()), "auroc_paper": paper,
                     "auroc_stylegan_w": paper_w, **prov,
                     "note": "; ".join(filter(None, (counted, prov["note"])))})
    return write_table(rows, out_csv)


def diffae_manipulation_reports(numbers_csv: str | Path, table9_csv: str | Path, table10_csv: str | Path,
                                preset: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 9 columns: mode, attribute, fid, fid_paper, fid_stylegan_w (reference), n_manipulated, n_positive,
    n_negative, T_invert, T, provenance. Table 10: attribute, cosine, cosine_paper, cosine_stylegan_w,
    n_manipulated, T_invert, T, provenance (feature_net says whether ArcFace was the released weights)."""
    df = read_numbers(numbers_csv, ("attribute", "metric", "mode", "value", "n_manipulated", "n_positive",
                                    "n_negative", "T_invert", "T", "seed", "feature_net"))
    t9, t10 = [], []
    for rec in df.to_dict("records"):
        prov = provenance(preset, int(rec["n_manipulated"]), int(rec["seed"]), rec["feature_net"])
        common = {"n_manipulated": int(rec["n_manipulated"]), "T_invert": int(rec["T_invert"]), "T": int(rec["T"])}
        if rec["metric"] == "fid":
            paper = DIFFAE_TABLE9.get(rec["mode"], {}).get(rec["attribute"], np.nan)
            ours_paper, w_paper = paper if isinstance(paper, tuple) else (paper, np.nan)
            t9.append({"mode": rec["mode"], "attribute": rec["attribute"], "fid": rec["value"],
                       "fid_paper": ours_paper, "fid_stylegan_w": w_paper, **common,
                       "n_positive": int(rec["n_positive"]), "n_negative": int(rec["n_negative"]), **prov})
        else:
            ours_paper, w_paper = DIFFAE_TABLE10.get(rec["attribute"], (np.nan, np.nan))
            t10.append({"attribute": rec["attribute"], "cosine": rec["value"], "cosine_paper": ours_paper,
                        "cosine_stylegan_w": w_paper, **common, **prov})
    modes = {m: i for i, m in enumerate(DIFFAE_TABLE9)}
    t9 = sorted(t9, key=lambda r: modes.get(r["mode"], len(modes)))
    return write_table(t9, table9_csv), write_table(t10, table10_csv)


def diffae_table3_report(numbers_csv: str | Path, out_csv: str | Path, preset: str) -> pd.DataFrame:
    """Columns: scenario, class, fid (mean over repeats; naive: one number), fid_std, n_repeats, acceptance
    (mean), fid_paper, fid_std_paper, fid_d2c (reference), n_reference, T, provenance."""
    df = read_numbers(numbers_csv, ("scenario", "class", "repeat", "fid", "acceptance", "n_samples", "n_reference",
                                    "T", "seed", "feature_net"))
    rows = []
    for (scenario, name), g in df.groupby(["scenario", "class"], sort=False):
        fids = g["fid"].to_numpy(dtype=np.float64)
        if scenario == "naive":
            paper, paper_std, d2c = DIFFAE_TABLE3_NAIVE.get(name, np.nan), np.nan, np.nan
        else:
            paper, paper_std = DIFFAE_TABLE3.get(scenario, {}).get(name, (np.nan, np.nan))
            d2c = DIFFAE_TABLE3_D2C.get(scenario, {}).get(name, np.nan)
        ok = fids[np.isfinite(fids)]
        rows.append({"scenario": scenario, "class": name, "fid": ok.mean() if len(ok) else np.nan,
                     "fid_std": ok.std(ddof=1) if len(ok) > 1 else np.nan, "n_repeats": len(ok),
                     "acceptance": float(g["acceptance"].mean()), "fid_paper": paper, "fid_std_paper": paper_std,
                     "fid_d2c": d2c, "n_reference": int(g["n_reference"].iloc[0]), "T": int(g["T"].iloc[0]),
                     **provenance(preset, int(g["n_samples"].max()), int(g["seed"].iloc[0]),
                                  str(g["feature_net"].iloc[0]))})
    order = {"binary": 0, "PU": 1, "naive": 2}
    rows.sort(key=lambda r: order.get(r["scenario"], 3))
    return write_table(rows, out_csv)
