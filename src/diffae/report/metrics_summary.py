"""One JSON of the headline numbers of every table, for `dvc metrics show/diff` and `dvc exp show`.

Read from the report CSVs only (no networks): DiffuseGAE Table 1 (mean diagonal and off-diagonal probe
accuracy per method), DiffuseGAE Table 2 and Diff-AE Table 2 (every metric per row), the PPL curve, Diff-AE
Table 4 (FID per dataset, row and T), Table 7 (throughput), App. F PPL and Tables 3, 8-10, DiffSiam Tables 4.1
(accuracy per method and set, Avg.) and 4.2 (per shot count, method and set), and the number of claims that hold
(claims reading NA do not count).
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from diffae.report.diffsiam_tables import AVG, DIFFSIAM_TABLE4_1_COLUMNS, DIFFSIAM_TABLE4_2_COLUMNS
from diffae.utils.atomic import atomic_write_text


def _number(x: float) -> float | None:
    """Rounded for the JSON; None where a mean has no values (JSON has no NaN)."""
    return None if pd.isna(x) else round(float(x), 6)


def _table1(path: str | Path) -> dict:
    df = pd.read_csv(path)
    return {method: {"diagonal_accuracy": _number(g[g.is_diagonal].accuracy.mean()),
                     "off_diagonal_accuracy": _number(g[~g.is_diagonal].accuracy.mean())}
            for method, g in df.groupby("method", sort=False)}


def _rows(path: str | Path, key: list[str], metrics: list[str]) -> dict:
    df = pd.read_csv(path)
    out: dict = {}
    for rec in df.to_dict("records"):
        node = out
        for k in key[:-1]:
            node = node.setdefault(str(rec[k]), {})
        node[str(rec[key[-1]])] = {m: _number(rec[m]) for m in metrics}
    return out


def metrics_summary(table1_csv: str | Path | None, table2_csv: str | Path | None,
                    diffae_table2_csv: str | Path | None, ppl_csv: str | Path | None, claims_csv: str | Path,
                    out_json: str | Path, diffae_table4_csv: str | Path | None = None,
                    diffae_ppl_csv: str | Path | None = None, diffae_table7_csv: str | Path | None = None,
                    diffae_table3_csv: str | Path | None = None, diffae_table8_csv: str | Path | None = None,
                    diffae_table9_csv: str | Path | None = None, diffae_table10_csv: str | Path | None = None,
                    diffsiam_table4_1_csv: str | Path | None = None,
                    diffsiam_table4_2_csv: str | Path | None = None) -> dict:
    """Write ``out_json``: {"diffusegae": {"table1", "table2", "ppl"}, "diffae": {"table2", "table4", "ppl",
    "table7", "table3", "table8", "table9", "table10"}, "diffsiam": {"table4_1", "table4_2"}, "claims"} (a paper
    preset run without a dataset leaves the tables that need it out)."""
    claims = pd.read_csv(claims_csv)
    diffusegae = {}
    if table1_csv is not None and table2_csv is not None and ppl_csv is not None:
        diffusegae = {"table1": _table1(table1_csv),
                      "table2": _rows(table2_csv, ["model"], ["fid", "ssim", "lpips", "mse"]),
                      "ppl": _rows(ppl_csv, ["method", "T"], ["ppl"])}
    summary = {
        "diffusegae": diffusegae,
        "diffae": {name: _rows(path, key, metrics) for name, path, key, metrics in (
            ("table2", diffae_table2_csv, ["model", "T"], ["ssim", "lpips", "mse"]),
            ("table4", diffae_table4_csv, ["dataset", "model", "T"], ["fid"]),
            ("ppl", diffae_ppl_csv, ["model"], ["ppl"]),
            ("table7", diffae_table7_csv, ["dataset", "model"], ["img_per_s"]),
            ("table3", diffae_table3_csv, ["scenario", "class"], ["fid"]),
            ("table8", diffae_table8_csv, ["attribute"], ["auroc"]),
            ("table9", diffae_table9_csv, ["mode", "attribute"], ["fid"]),
            ("table10", diffae_table10_csv, ["attribute"], ["cosine"])) if path is not None},
        "diffsiam": {name: _rows(path, key, metrics) for name, path, key, metrics in (
            ("table4_1", diffsiam_table4_1_csv, ["method"], [*DIFFSIAM_TABLE4_1_COLUMNS, AVG]),
            ("table4_2", diffsiam_table4_2_csv, ["shots", "method"], list(DIFFSIAM_TABLE4_2_COLUMNS)))
            if path is not None},
        "claims": {"supported": int(claims.supported.eq(True).sum()), "total": len(claims)},
    }
    atomic_write_text(out_json, json.dumps(summary, indent=1, allow_nan=False) + "\n")
    return summary
