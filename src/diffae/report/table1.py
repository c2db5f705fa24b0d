"""DiffuseGAE Table 1 report: the attribute-prediction ("perplexity") matrix of every method, beside the paper's.

Input: our probe accuracies (``diffae.eval.tables.diffusegae_table1``). Output: `<out>.csv` (one row per
method x latent part x attribute) and `<out>.md` (one matrix per method, laid out like the paper's table).
"""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from diffae.eval.tables.numbers import PROVENANCE, read_numbers
from diffae.report.paper_numbers import DIFFUSEGAE_TABLE1
from diffae.report.tables import NOT_COMPARABLE, report_row, write_table
from diffae.utils.atomic import atomic_write_text

__all__ = ["build_table1", "render_markdown"]

PROBE_COLUMNS = ("method", "part", "attribute", "accuracy", "chance", "n_classes", "n_train", "n_test")


def _paper_accuracy(method: str, part: str, attribute: str) -> float:
    return DIFFUSEGAE_TABLE1.get(method, {}).get(part, {}).get(attribute, math.nan)


def build_table1(numbers_csv: str | Path, out_csv: str | Path, preset: str = "embedded") -> pd.DataFrame:
    """DiffuseGAE Table 1 (§4.1) from our probe accuracies. Columns: method, part, attribute, accuracy,
    chance, n_classes, n_train, n_test, accuracy_paper (NaN where the paper has none), is_diagonal,
    dim_part and provenance (feature_net "none (linear probe on latents)")."""
    ours = read_numbers(numbers_csv, (*PROBE_COLUMNS, "dim_part", *PROVENANCE, "data_source"))
    rows = []
    for rec in ours.to_dict("records"):
        probe = {k: rec[k] for k in PROBE_COLUMNS}
        paper = {"accuracy_paper": _paper_accuracy(rec["method"], rec["part"], rec["attribute"]),
                 "is_diagonal": rec["part"] == rec["attribute"], "dim_part": rec["dim_part"]}
        rows.append(report_row({**probe, **{k: rec[k] for k in PROVENANCE}}, paper, preset))
    df = write_table(rows, out_csv)
    source = str(ours["data_source"].iloc[0]) if len(ours) else "?"
    atomic_write_text(Path(out_csv).with_suffix(".md"), render_markdown(df, source=source))
    return df


def render_markdown(df: pd.DataFrame, source: str = "?") -> str:
    """One matrix per method: rows = latent part (|A_r|), columns = attribute, cells "ours (paper)"."""
    lines = ["# DiffuseGAE Table 1: linear-probe accuracy (rows: latent part used; columns: attribute predicted)",
             "", f"Cells are `ours (paper)`; diagonal in bold. Data source: {source}."]
    presets = sorted(set(df["preset"])) if "preset" in df else []
    if presets and not all(str(p).startswith("paper-") for p in presets):
        lines.append(f"Preset {', '.join(presets)}: {NOT_COMPARABLE}.")
    for method, sub in df.groupby("method", sort=False):
        attrs = list(dict.fromkeys(sub["attribute"]))
        parts = list(dict.fromkeys(sub["part"]))
        n_cls = dict(zip(sub["attribute"], sub["n_classes"]))
        lines += ["", f"## {method}", "",
                  "| part \\ attribute | " + " | ".join(f"{a} (chance {1 / n_cls[a]:.3g})" for a in attrs) + " |",
                  "|---|" + "---|" * len(attrs)]
        for part in parts:
            cells = []
            for attr in attrs:
                r = sub[(sub.part == part) & (sub.attribute == attr)].iloc[0]
                paper = "–" if pd.isna(r["accuracy_paper"]) else f"{r['accuracy_paper']:.3g}"
                cell = f"{r['accuracy']:.3f} ({paper})"
                cells.append(f"**{cell}**" if part == attr else cell)
            label = f"{part} ({n_cls[part]})" if part in n_cls else part
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
