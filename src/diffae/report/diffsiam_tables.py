"""DiffSiam Tables 4.1 (many-shot linear transfer) and 4.2 (5-way few-shot) reports beside the thesis's numbers.

Input: one long CSV per trained encoder ("run") written by ``diffae.eval.transfer_eval`` (columns ``NUMBER_COLUMNS``:
one row per protocol, dataset and shot count). A row's display name comes from its method / variant / k_mode
(``method_name``), never from the run's name, so runs added by a user get a name too.

Outputs (beside each CSV a short markdown rendering, cells "ours (thesis)", the best of each column in bold):
  table4_1.csv  one row per run: method, run, per thesis column (CIFAR10 ... SUN) our accuracy and `<col>_paper`,
                Avg (mean of the 10 columns including CIFAR-10, NaN unless all 10 are evaluated) and Avg_paper,
                mean_per_class (the columns that are mean per-class accuracy), provenance, note
  table4_2.csv  one row per (shots, run): shots, method, run, per thesis column (no Flowers) our mean, `<col>_ci95`,
                `<col>_std`, `<col>_paper`, `<col>_ci95_paper`, n_episodes, provenance, note
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from diffae.eval.tables.numbers import read_numbers
from diffae.report.paper_numbers import (DIFFSIAM_TABLE4_1, DIFFSIAM_TABLE4_1_COLUMNS, DIFFSIAM_TABLE4_2,
                                         DIFFSIAM_TABLE4_2_COLUMNS)
from diffae.report.tables import NOT_COMPARABLE, write_table
from diffae.utils.atomic import atomic_write_text
from diffae.utils.diffsiam_names import HIER, SEQ, SIMSIAM, method_name

__all__ = ["build_diffsiam_tables", "build_table4_1", "build_table4_2", "method_name", "SIMSIAM", "SEQ", "HIER", "AVG"]

NUMBER_COLUMNS = ("run", "method", "variant", "k_mode", "protocol", "dataset", "shots", "metric", "accuracy", "std",
                  "ci95", "n_episodes", "preset", "seed", "encoder")
# our dataset names (diffae.data.transfer) -> the thesis's column names
COLUMN = {"cifar10": "CIFAR10", "aircraft": "Aircraft", "caltech101": "Caltech", "cars": "Cars",
          "cifar100": "CIFAR100", "dtd": "DTD", "flowers": "Flowers", "food": "Food", "pets": "Pets", "sun397": "SUN"}
AVG = "Avg"
# row order: the thesis's rows, then our extra baselines / ablations, then anything else in input order
_ORDER = (SIMSIAM, SEQ, HIER, "DiffSiam (Hier., literal Alg. 1)", "DiffSiam (Seq., literal Alg. 1)",
          "DiffSiam (Hier.-Detach)", "DiffSiam (Hier.-Detach, literal Alg. 1)", "PDAE")
PROVENANCE_COLUMNS = ("preset", "seed", "encoder", "k_mode", "variant")

_unknown = [n for n in (SIMSIAM, SEQ, HIER) if n not in DIFFSIAM_TABLE4_1 or n not in DIFFSIAM_TABLE4_2[1]]
if _unknown or set(DIFFSIAM_TABLE4_1_COLUMNS) != set(COLUMN.values()):
    raise RuntimeError(f"diffsiam_tables: names {_unknown} / columns disagree with paper_numbers' DiffSiam tables")


def _read_runs(numbers: Sequence[str | Path]) -> list[tuple[str, pd.DataFrame]]:
    """(display name, rows) per run CSV, in the thesis's row order; a name two runs share gets " [<run>]" on
    every run after the first, so names stay unique (the claims read the un-suffixed one)."""
    if not numbers:
        raise ValueError("diffsiam tables: no per-run numbers CSVs given")
    runs, seen = [], set()
    for path in numbers:
        df = read_numbers(path, NUMBER_COLUMNS)
        if df.empty:
            raise ValueError(f"{path}: no rows")
        first = df.iloc[0]
        name = method_name(first["method"], first["variant"], first["k_mode"])
        if name in seen:
            name = f"{name} [{first['run']}]"
        seen.add(name)
        runs.append((name, df))
    order = {n: i for i, n in enumerate(_ORDER)}
    return sorted(runs, key=lambda r: order.get(r[0], len(order)))   # stable: unknown names keep input order


def _joined(values: pd.Series) -> object:
    vals = list(dict.fromkeys(v for v in values if not (isinstance(v, float) and math.isnan(v))))
    if len(vals) == 1:
        return vals[0]
    return ", ".join(str(v) for v in vals) if vals else np.nan


def _provenance(df: pd.DataFrame) -> dict:
    prov = {k: _joined(df[k]) for k in PROVENANCE_COLUMNS}
    if isinstance(prov["seed"], float) and prov["seed"].is_integer():
        prov["seed"] = int(prov["seed"])
    return prov


def _note(preset: object, *extra: str) -> str:
    presets = [p.strip() for p in str(preset).split(",")]
    scale = "" if all(p.startswith("paper-") for p in presets) else NOT_COMPARABLE
    return "; ".join(filter(None, (*extra, scale)))


def _cells(df: pd.DataFrame, protocol: str, shots: int | None = None) -> dict[str, dict]:
    """Thesis column -> our row (as a dict) for one protocol (and shot count)."""
    sel = df[df["protocol"] == protocol]
    if shots is not None:
        sel = sel[sel["shots"].astype(float) == shots]
    out = {}
    for rec in sel.to_dict("records"):
        col = COLUMN.get(str(rec["dataset"]))
        if col is None:
            continue
        if col in out:
            raise ValueError(f"run {rec['run']!r}: two {protocol} rows for {rec['dataset']}"
                             + (f" at {shots} shots" if shots is not None else ""))
        out[col] = rec
    return out


def build_table4_1(numbers: list[str], out: str) -> pd.DataFrame:
    """DiffSiam Table 4.1 from the per-run CSVs ``numbers``; writes ``out`` (CSV) and ``out`` with suffix .md.

    Columns: method, run, then CIFAR10, CIFAR10_paper, Aircraft, Aircraft_paper, ... SUN, SUN_paper (thesis order;
    ours NaN where the run did not evaluate the set, _paper NaN for rows the thesis lacks), Avg, Avg_paper,
    mean_per_class (the columns whose metric is mean per-class accuracy, from our rows), preset, seed, encoder,
    k_mode, variant, note."""
    rows = []
    for name, df in _read_runs(numbers):
        cells = _cells(df, "many_shot")
        paper = DIFFSIAM_TABLE4_1.get(name, {})
        row: dict = {"method": name, "run": _joined(df["run"])}
        for col in DIFFSIAM_TABLE4_1_COLUMNS:
            row[col] = float(cells[col]["accuracy"]) if col in cells else np.nan
            row[f"{col}_paper"] = paper.get(col, np.nan)
        ours = [row[c] for c in DIFFSIAM_TABLE4_1_COLUMNS]
        missing = [c for c, v in zip(DIFFSIAM_TABLE4_1_COLUMNS, ours) if math.isnan(v)]
        row[AVG] = float(np.mean(ours)) if not missing else np.nan
        row[f"{AVG}_paper"] = paper.get(AVG, np.nan)
        row["mean_per_class"] = ", ".join(c for c in DIFFSIAM_TABLE4_1_COLUMNS
                                          if c in cells and cells[c]["metric"] == "mean_per_class")
        prov = _provenance(df)
        extra = [f"not evaluated: {', '.join(missing)} (NaN; Avg is NaN unless all 10 sets are evaluated)"
                 if missing else "",
                 "" if paper else "no thesis row (_paper columns NaN)"]
        rows.append({**row, **prov, "note": _note(prov["preset"], *extra)})
    table = write_table(rows, out)
    atomic_write_text(Path(out).with_suffix(".md"), _markdown(
        table, "DiffSiam Table 4.1: many-shot linear transfer accuracy (%)", (*DIFFSIAM_TABLE4_1_COLUMNS, AVG),
        "Aircraft, Caltech, Flowers, Pets: mean per-class accuracy; the rest top-1. Avg = mean of the 10 columns "
        "including CIFAR-10 (NaN unless all 10 are evaluated)."))
    return table


def build_table4_2(numbers: list[str], out: str) -> pd.DataFrame:
    """DiffSiam Table 4.2 from the per-run CSVs ``numbers``; writes ``out`` (CSV) and ``out`` with suffix .md.

    One row per (shots, run), shots ascending (every shot count any run evaluated). Columns: shots, method, run,
    then per thesis column (CIFAR10 ... SUN, no Flowers) <col> (mean accuracy over episodes), <col>_ci95
    (1.96 σ / √episodes), <col>_std (σ over episodes), <col>_paper, <col>_ci95_paper (the thesis's "±"); then
    n_episodes, preset, seed, encoder, k_mode, variant, note. NaN where not evaluated / not in the thesis."""
    runs = _read_runs(numbers)
    shot_counts = sorted({int(s) for _, df in runs for s in df.loc[df["protocol"] == "few_shot", "shots"].dropna()})
    rows = []
    for shots in shot_counts:
        for name, df in runs:
            cells = _cells(df, "few_shot", shots)
            paper = DIFFSIAM_TABLE4_2.get(shots, {}).get(name, {})
            row: dict = {"shots": shots, "method": name, "run": _joined(df["run"])}
            for col in DIFFSIAM_TABLE4_2_COLUMNS:
                rec = cells.get(col, {})
                row[col] = float(rec.get("accuracy", np.nan))
                row[f"{col}_ci95"] = float(rec.get("ci95", np.nan))
                row[f"{col}_std"] = float(rec.get("std", np.nan))
                row[f"{col}_paper"], row[f"{col}_ci95_paper"] = paper.get(col, (np.nan, np.nan))
            few = df[(df["protocol"] == "few_shot") & (df["shots"].astype(float) == shots)]
            episodes = _joined(few["n_episodes"].dropna().astype(int)) if len(few) else np.nan
            missing = [c for c in DIFFSIAM_TABLE4_2_COLUMNS if c not in cells]
            prov = _provenance(df)
            extra = [f"not evaluated: {', '.join(missing)} (NaN)" if missing else "",
                     "" if paper else "no thesis row (_paper columns NaN)",
                     "ci95 = 1.96·std/√n_episodes, as the thesis's ±"]
            rows.append({**row, "n_episodes": episodes, **prov, "note": _note(prov["preset"], *extra)})
    table = write_table(rows, out)
    atomic_write_text(Path(out).with_suffix(".md"), _markdown(
        table, "DiffSiam Table 4.2: 5-way few-shot accuracy (%), mean ± 95 % CI", DIFFSIAM_TABLE4_2_COLUMNS,
        "Top-1 on the 75 queries of each episode; ± is 1.96·σ/√episodes (the thesis's ±).", ci=True))
    return table


def build_diffsiam_tables(numbers: list[str], table4_1: str, table4_2: str) -> int:
    """`diffae table-diffsiam`: both tables from the per-run numbers; returns the number of runs."""
    build_table4_1(numbers, table4_1)
    build_table4_2(numbers, table4_2)
    return len(numbers)


def _markdown(df: pd.DataFrame, title: str, columns: Sequence[str], legend: str, ci: bool = False) -> str:
    """Cells "ours (thesis)", ± the 95 % CI when ``ci``; the best of our numbers per column (and shot count) in bold."""
    lines = [f"# {title}", "", f"Cells are `ours (thesis)`; our best per column in bold. {legend}"]
    presets = sorted({str(p) for p in df["preset"].dropna()}) if "preset" in df else []
    if presets and not all(p.startswith("paper-") for p in presets):
        lines.append(f"Preset {', '.join(presets)}: {NOT_COMPARABLE}.")
    lead = ["shots", "method"] if "shots" in df else ["method"]
    lines += ["", "| " + " | ".join(lead + list(columns)) + " |", "|" + "---|" * (len(lead) + len(columns))]
    groups = df.groupby("shots", sort=False) if "shots" in df else [(None, df)]
    for _, sub in groups:
        best = {c: sub[c].max() for c in columns}
        for rec in sub.to_dict("records"):
            cells = [str(rec[k]) for k in lead]
            for c in columns:
                ours = "–" if pd.isna(rec[c]) else f"{rec[c]:.2f}"
                if ci and not pd.isna(rec[c]) and not pd.isna(rec[f"{c}_ci95"]):
                    ours += f"±{rec[f'{c}_ci95']:.2f}"
                if not pd.isna(rec[c]) and rec[c] == best[c]:
                    ours = f"**{ours}**"
                paper = "–" if pd.isna(rec[f"{c}_paper"]) else f"{rec[f'{c}_paper']:.2f}"
                if ci and not pd.isna(rec[f"{c}_paper"]):
                    paper += f"±{rec[f'{c}_ci95_paper']:.2f}"
                cells.append(f"{ours} ({paper})")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
