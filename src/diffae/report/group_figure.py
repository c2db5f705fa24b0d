"""Figure of GROUP(C, s) examples, like DiffuseGAE Fig. 4: per row the centre, then its partners."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from diffae.utils.atomic import atomic_path


def _values(labels: pd.DataFrame, row: int, attributes: Sequence[str]) -> str:
    return "\n".join(str(labels[a].iloc[row]) for a in attributes)


def draw_groups(
    images: np.ndarray,
    labels: pd.DataFrame,
    groups: pd.DataFrame,
    attributes: Sequence[str],
    out_png: str | Path,
    n_rows: int = 4,
    caption: str = "",
) -> None:
    """Draw the first `n_rows` groups: the centre, then one tile per ``partner_<e>`` column.

    Each tile is titled with what it shares with the centre and its attribute values
    (listed in the order of `attributes`). `images` are uint8 NHWC indexed like `labels`.
    """
    if images.ndim != 4 or images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 (N, H, W, C), got {images.dtype} {images.shape}")
    attributes = list(attributes)
    missing = [a for a in attributes if a not in labels.columns]
    if missing:
        raise ValueError(f"labels lack attribute column(s) {missing}")
    pcols = [c for c in groups.columns if c.startswith("partner_")]
    if "center" not in groups.columns or not pcols:
        raise ValueError(f"groups need a 'center' and 'partner_<e>' columns, got {list(groups.columns)}")
    rows = groups.head(max(0, int(n_rows)))
    if rows.empty:
        raise ValueError("no groups to draw")
    idx = rows[["center", *pcols]].to_numpy()
    if idx.min() < 0 or idx.max() >= min(len(images), len(labels)):
        raise ValueError(f"group indices exceed the {len(images)} images / {len(labels)} label rows")

    n_cols = 1 + len(pcols)
    fig = Figure(figsize=(1.7 * n_cols, 2.0 * len(rows) + 0.5))
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(rows), n_cols, squeeze=False)
    fs = 6.5
    for r, members in enumerate(idx):
        for k, sample in enumerate(members):
            ax = axes[r, k]
            ax.imshow(images[sample], interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            head = "centre" if k == 0 else "shares " + pcols[k - 1][len("partner_"):]
            ax.set_title(f"{head}\n{_values(labels, int(sample), attributes)}", fontsize=fs)
    fig.subplots_adjust(left=0.02, right=0.98, top=0.9, bottom=0.07 if caption else 0.03, hspace=0.9, wspace=0.1)
    if caption:
        fig.text(0.5, 0.01, caption, ha="center", va="bottom", fontsize=7, wrap=True)
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
