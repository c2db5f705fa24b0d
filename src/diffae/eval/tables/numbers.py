"""The CSV files of our numbers that evaluation writes and reporting reads: full precision, exact round trip."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from diffae.utils.atomic import atomic_path

PROVENANCE = ("n_samples", "seed", "feature_net")  # what evaluation knows of how a number was made


def write_numbers(rows: Iterable[dict], out_csv: str | Path) -> pd.DataFrame:
    """Rows of our numbers at full precision (the report rounds when it writes the final table)."""
    df = pd.DataFrame(list(rows))
    with atomic_path(out_csv) as tmp:
        df.to_csv(tmp, index=False)
    return df


def read_numbers(path: str | Path, columns: Sequence[str]) -> pd.DataFrame:
    """A numbers CSV with at least ``columns``; floats parsed exactly as written, only empty cells missing."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"numbers file {path} not found (run its `diffae eval-...` command)")
    df = pd.read_csv(path, float_precision="round_trip", keep_default_na=False, na_values=[""])
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}; expected at least {list(columns)}")
    return df
