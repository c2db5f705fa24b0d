"""What every claim module shares: the tables a claim reads, "input missing", comparison helpers, the Claim
record (``diffae.report.claims`` checks them all)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import pandas as pd

NA = "NA"
LOWER_IS_BETTER = {"fid": True, "ssim": False, "lpips": True, "mse": True, "ppl": True, "img_per_s": False,
                   "auroc": False, "cosine": False}


@dataclass
class Tables:
    """The result tables a claim may read; None = not available."""
    table1: pd.DataFrame | None = None
    table2: pd.DataFrame | None = None
    diffae_table2: pd.DataFrame | None = None
    ppl: pd.DataFrame | None = None
    diffae_table4: pd.DataFrame | None = None
    diffae_ppl: pd.DataFrame | None = None
    diffae_table7: pd.DataFrame | None = None
    diffae_table3: pd.DataFrame | None = None
    diffae_table8: pd.DataFrame | None = None
    diffae_table9: pd.DataFrame | None = None
    diffae_table10: pd.DataFrame | None = None
    diffsiam_table4_1: pd.DataFrame | None = None
    diffsiam_table4_2: pd.DataFrame | None = None


class Missing(Exception):
    """A claim's input (table, row or value) is absent: the claim reads NA."""


# ------------------------------------------------------------------------------------------ helpers
def _fmt(x: float) -> str:
    return f"{x:.2f}" if abs(x) >= 1 else f"{x:.3g}"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def _better(metric: str, a: float, b: float) -> bool:
    """a strictly better than b on `metric`."""
    return a < b if LOWER_IS_BETTER[metric] else a > b


def _need(tables: Tables, name: str) -> pd.DataFrame:
    df = getattr(tables, name)
    if df is None:
        raise Missing(f"no {name}")
    return df


def _value(df: pd.DataFrame, key_col: str, key: str, metric: str, **extra) -> float:
    sel = df[df[key_col] == key]
    for col, val in extra.items():
        sel = sel[sel[col] == val]
    if sel.empty:
        more = "".join(f", {c}={v}" for c, v in extra.items())
        raise Missing(f"no row {key_col}={key!r}{more}")
    v = float(sel[metric].iloc[0])
    if math.isnan(v):
        raise Missing(f"{metric} of {key!r} is NaN")
    return v


def _matrix(tables: Tables, method: str) -> pd.DataFrame:
    t1 = _need(tables, "table1")
    sub = t1[(t1["method"] == method) & t1["accuracy"].notna()]
    if sub.empty:
        raise Missing(f"no Table 1 rows for {method!r}")
    return sub


def _diagonal(tables: Tables, method: str) -> dict[str, float]:
    sub = _matrix(tables, method)
    diag = sub[sub["part"] == sub["attribute"]]
    return dict(zip(diag["attribute"], diag["accuracy"].astype(float)))


def _compare_all(pairs: list[tuple[str, str, float, float]], relation: Callable[[str, float, float], bool]
                 ) -> tuple[bool, str]:
    """pairs: (label, metric, a, b); holds when relation(metric, a, b) holds for every pair."""
    if not pairs:
        raise Missing("nothing to compare")
    ok = all(relation(m, a, b) for _, m, a, b in pairs)
    return ok, "; ".join(f"{label} {_fmt(a)} vs {_fmt(b)}" for label, _, a, b in pairs)


@dataclass(frozen=True)
class Claim:
    """``diagnosis``: why the claim fails on the embedded default, when it does (scale or bug, with the
    evidence); shown beside a failure of any non-paper preset."""
    id: str
    source: str
    statement: str
    check: Callable[[Tables], tuple[bool, str]]
    note: str = ""
    diagnosis: str = ""
