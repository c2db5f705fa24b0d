"""Attribute labels of a prepared dataset as integer class codes (targets of the AE + DS heads)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def attribute_codes(labels: pd.DataFrame, attributes: list[str]) -> tuple[np.ndarray, list[int]]:
    """(N, m) integer class codes per attribute (sorted value order) and the class counts."""
    codes, counts = [], []
    for a in attributes:
        values = sorted(labels[a].astype(str).unique())
        lookup = {v: i for i, v in enumerate(values)}
        codes.append(labels[a].astype(str).map(lookup).to_numpy())
        counts.append(len(values))
    return np.stack(codes, axis=1).astype(np.int64), counts
