"""Assemble report tables: our numbers, the papers' numbers beside them, provenance columns (DESIGN §8)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

from diffae.utils.atomic import atomic_path

NOT_COMPARABLE = ("embedded/smoke presets: stand-in data and tiny CPU models; numbers are not comparable "
                  "to the paper's, only orderings are")


def provenance(preset: str, n_samples: int, seed: int, feature_net: str) -> dict:
    note = "" if preset.startswith("paper-") else NOT_COMPARABLE
    return {"preset": preset, "n_samples": n_samples, "seed": seed, "feature_net": feature_net, "note": note}


def report_row(ours: dict, paper: dict, preset: str) -> dict:
    """A row of our numbers (with the evaluation's n_samples, seed, feature_net) -> our columns, then the
    paper's, then the provenance columns."""
    ours = dict(ours)
    n_samples, seed, feature_net = (ours.pop(k) for k in ("n_samples", "seed", "feature_net"))
    return {**ours, **paper, **provenance(preset, n_samples, seed, feature_net)}


def write_table(rows: Iterable[dict], out_csv: str | Path) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    with atomic_path(out_csv) as tmp:
        df.to_csv(tmp, index=False, float_format="%.6g")
    return df
