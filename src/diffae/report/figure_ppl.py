"""DiffuseGAE Fig. 10: perceptual path length (lower is better) against the number of DDIM steps.

The PPL values come from ``diffae.eval.tables.diffusegae_ppl`` (DiffuseGAE Eq. 13); the paper
plots DiffuseGAE and Diff-AE on iLab-20M. The numbers behind the plot go to a CSV beside it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from diffae.eval.tables.numbers import read_numbers
from diffae.report.tables import NOT_COMPARABLE
from diffae.utils.atomic import atomic_path

COLUMNS = ("method", "T", "ppl", "n_pairs", "eps", "feature_net", "preset")


def ppl_table(ppl_rows: Iterable[dict], preset: str | None = None, feature_net: str | None = None) -> pd.DataFrame:
    """Rows -> a frame with COLUMNS first (then a `note`, then any extra keys), sorted by method and T.

    ``preset`` / ``feature_net`` fill rows that lack them; a row still missing a column is an error.
    """
    rows = []
    for k, row in enumerate(ppl_rows):
        row = dict(row)
        if preset is not None:
            row.setdefault("preset", preset)
        if feature_net is not None:
            row.setdefault("feature_net", feature_net)
        missing = [c for c in COLUMNS if c not in row]
        if missing:
            raise ValueError(f"figure10: PPL row {k} lacks {missing}; expected keys {list(COLUMNS)} "
                             f"(pass preset=/feature_net= to fill those), got {sorted(row)}")
        if not np.isfinite(float(row["ppl"])):
            raise ValueError(f"figure10: PPL row {k} ({row['method']}, T={row['T']}) has non-finite ppl {row['ppl']}")
        row.setdefault("note", "" if str(row["preset"]).startswith("paper-") else NOT_COMPARABLE)
        rows.append(row)
    if not rows:
        raise ValueError("figure10: no PPL rows")
    df = pd.DataFrame(rows)
    df = df[list(COLUMNS) + ["note"] + [c for c in df.columns if c not in COLUMNS and c != "note"]]
    df["T"] = df["T"].astype(int)
    return df.sort_values(["method", "T"], kind="stable").reset_index(drop=True)


def figure10(
    ppl_rows: Iterable[dict],
    out_png: str | Path,
    out_csv: str | Path,
    caption: str = "",
    preset: str | None = None,
    feature_net: str | None = None,
) -> pd.DataFrame:
    """PPL vs timesteps, one line per method (DiffuseGAE Fig. 10), and the CSV of COLUMNS beside it."""
    df = ppl_table(ppl_rows, preset, feature_net)
    fig = Figure(figsize=(4.8, 3.8))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for method, g in df.groupby("method", sort=False):
        ax.plot(g["T"], g["ppl"], marker="o", label=str(method))
    ts = sorted(df["T"].unique())
    ax.set_xticks(ts)
    ax.set_xlabel("timesteps T (DDIM steps)")
    ax.set_ylabel("PPL (lower is better)")
    ax.set_title("Perceptual path length (DiffuseGAE Fig. 10)", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    def vals(col: str) -> str:
        return "/".join(str(v) for v in df[col].drop_duplicates())

    auto = (f"PPL = E[d(G(z(a), x_T(a)), G(z(a+eps), x_T(a+eps))) / eps^2], eps = {vals('eps')}, "
            f"{vals('n_pairs')} pairs, x_T ~ N(0, I), 1st-99th percentile filtered; d = {vals('feature_net')}; "
            f"preset {vals('preset')}.")
    text = f"{auto}\n{caption}" if caption else auto
    fig.subplots_adjust(left=0.16, right=0.97, top=0.92, bottom=0.3)
    fig.text(0.5, 0.01, text, ha="center", va="bottom", fontsize=6, wrap=True)
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    with atomic_path(out_csv) as tmp:
        df.to_csv(tmp, index=False, float_format="%.6g")
    return df


def figure10_report(numbers_csv: str | Path, out_png: str | Path, out_csv: str | Path, preset: str) -> pd.DataFrame:
    """Fig. 10 and its CSV from our PPL numbers (method, T, ppl, n_pairs, eps, feature_net)."""
    ours = read_numbers(numbers_csv, COLUMNS[:-1])

    def vals(col: str) -> str:
        return "/".join(str(v) for v in ours[col].drop_duplicates())

    caption = (f"PPL (lower is smoother), {vals('n_pairs')} pairs of held-out images, eps {vals('eps')}, "
               f"{vals('feature_net')}, preset {preset}")
    return figure10(ours.to_dict("records"), out_png, out_csv, caption=caption, preset=preset)
