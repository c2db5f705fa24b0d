"""The .npz files that hold what a figure shows, written by evaluation and drawn by ``diffae.report``.

Two kinds, each an .npz of arrays plus a JSON ``meta`` string (numpy only, so drawing needs no torch):
  ImageGrid   columns of equally many uint8 tiles with a title each (DiffuseGAE Figs 6-9)
  Embeddings  rows of 2-D embedding panels with colour labels and a separability score (Figs 2 and 5)
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from diffae.utils.atomic import atomic_path

# the editing figures' grids, one .npz each (DiffuseGAE Figs 6-9)
EDITING_FIGURES = ("fig6_replacement", "fig7_recombination", "fig8_interpolation", "fig9_single_attribute")

# Diff-AE's figures: (kind of grid, dataset) -> the paper's figure number; other pairs are ours, unnumbered
DIFFAE_FIGURES = {("variations", "ffhq"): "fig3", ("ddim_vs_diffae", "ffhq"): "fig4", ("pred_x0", "ffhq"): "fig6",
                  ("neighbours", "ffhq"): "fig9", ("variation_stats", "ffhq"): "fig10",
                  ("interpolation", "ffhq"): "fig14", ("interpolation", "lsun_bedroom"): "fig15",
                  ("interpolation", "lsun_horse"): "fig16", ("samples", "ffhq"): "fig20",
                  ("samples", "lsun_bedroom"): "fig21", ("samples", "lsun_horse"): "fig22"}


def diffae_figure_name(kind: str, dataset: str) -> str:
    """File stem of a Diff-AE grid: "fig14_interpolation_ffhq" where the paper has the figure, else
    "interpolation_celeba" (the same kind of figure on a dataset the paper does not show it for)."""
    number = DIFFAE_FIGURES.get((kind, dataset))
    return f"{number}_{kind}_{dataset}" if number else f"{kind}_{dataset}"


def _save(path: str | Path, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, meta=np.array(json.dumps(meta)), **arrays)


def _load(path: str | Path, kind: str) -> tuple[dict, dict[str, np.ndarray]]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{kind} file {path} not found (run its `diffae eval-...` command)")
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    meta = json.loads(str(arrays.pop("meta")))
    if meta.get("kind") != kind:
        raise ValueError(f"{path}: holds {meta.get('kind')!r}, expected {kind!r}")
    return meta, arrays


@dataclass
class ImageGrid:
    """Columns [(title, uint8 tiles (n_rows, H, W[, C]))], a dashed line after column ``separator_after``,
    optional row labels, and the caption saying what was run."""
    columns: list[tuple[str, np.ndarray]]
    caption: str
    separator_after: int | None = None
    row_labels: Sequence[str] | None = None

    def __post_init__(self) -> None:
        n_rows = {len(t) for _, t in self.columns}
        if len(n_rows) != 1 or 0 in n_rows:
            raise ValueError(f"figure columns need equally many (> 0) tiles, got {[len(t) for _, t in self.columns]}")
        if self.row_labels is not None and len(self.row_labels) != n_rows.pop():
            raise ValueError(f"{len(self.row_labels)} row labels for {len(self.columns[0][1])} rows")


def save_grid(path: str | Path, grid: ImageGrid) -> None:
    meta = {"kind": "image_grid", "titles": [t for t, _ in grid.columns], "caption": grid.caption,
            "separator_after": grid.separator_after,
            "row_labels": None if grid.row_labels is None else list(grid.row_labels)}
    _save(path, meta, {"tiles": np.stack([np.asarray(t, dtype=np.uint8) for _, t in grid.columns])})


def load_grid(path: str | Path) -> ImageGrid:
    meta, arrays = _load(path, "image_grid")
    return ImageGrid(list(zip(meta["titles"], arrays["tiles"])), meta["caption"], meta["separator_after"],
                     meta["row_labels"])


@dataclass
class Panel:
    """One embedding panel: ``y`` (n, 2) points coloured by ``labels`` (n,) of ``attribute``; ``score`` is
    the leave-one-out k-NN accuracy of the labels in 2-D."""
    title: str
    attribute: str
    y: np.ndarray
    labels: np.ndarray
    score: float


@dataclass
class Embeddings:
    """Rows of panels (a figure), the k of the k-NN score, and the caption."""
    rows: list[list[Panel]]
    knn_k: int
    caption: str

    def scores(self) -> dict[str, float]:
        """Separability per panel, keyed "<latent> | <attribute>"."""
        return {f"{p.title} | {p.attribute}": p.score for row in self.rows for p in row}


def save_embeddings(path: str | Path, emb: Embeddings) -> None:
    panels = [[{"title": p.title, "attribute": p.attribute, "score": p.score} for p in row] for row in emb.rows]
    arrays = {}
    for r, row in enumerate(emb.rows):
        for c, p in enumerate(row):
            arrays[f"y_{r}_{c}"] = np.asarray(p.y, dtype=np.float64)
            arrays[f"labels_{r}_{c}"] = np.asarray(p.labels).astype(str)
    _save(path, {"kind": "embeddings", "panels": panels, "knn_k": emb.knn_k, "caption": emb.caption}, arrays)


def load_embeddings(path: str | Path) -> Embeddings:
    meta, arrays = _load(path, "embeddings")
    rows = [[Panel(p["title"], p["attribute"], arrays[f"y_{r}_{c}"], arrays[f"labels_{r}_{c}"], p["score"])
             for c, p in enumerate(row)] for r, row in enumerate(meta["panels"])]
    return Embeddings(rows, meta["knn_k"], meta["caption"])
