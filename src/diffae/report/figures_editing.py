"""Editing figures of DiffuseGAE §4.2 and §4.4, drawn from their image grids: replacement (Fig. 6),
recombination (Fig. 7), multi-attribute (Fig. 8) and single-attribute (Fig. 9) interpolation.

The grids (tiles and captions) come from ``diffae.eval.editing_grids`` as .npz; each figure is written
atomically as PNG, so a figure can be redrawn without running the networks.
"""
from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from diffae.eval.figure_data import EDITING_FIGURES, ImageGrid, load_grid
from diffae.utils.atomic import atomic_path


def draw_grid(grid: ImageGrid, out_png: str | Path) -> None:
    """Columns of equally many tiles, titled; a dashed line after column ``separator_after``; the caption below."""
    columns, caption, separator_after, row_labels = grid.columns, grid.caption, grid.separator_after, grid.row_labels
    n_rows, n_cols = len(columns[0][1]), len(columns)
    left = 0.1 if row_labels else 0.02
    cap_h = 0.5 + 0.12 * caption.count("\n") if caption else 0.1
    fig = Figure(figsize=(1.2 * n_cols / (1 - left), 1.2 * n_rows + 0.4 + cap_h))
    FigureCanvasAgg(fig)
    height = fig.get_figheight()
    fig.subplots_adjust(left=left, right=0.98, top=1 - 0.35 / height, bottom=cap_h / height, wspace=0.05, hspace=0.05)
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for c, (title, tiles) in enumerate(columns):
        for r in range(n_rows):
            ax = axes[r, c]
            ax.imshow(tiles[r], cmap="gray" if tiles.ndim == 3 else None, vmin=0, vmax=255, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(title, fontsize=7)
            if c == 0 and row_labels:
                ax.set_ylabel(row_labels[r], fontsize=7)
    if separator_after is not None and 0 < separator_after < n_cols:
        a, b = axes[0, separator_after - 1].get_position(), axes[0, separator_after].get_position()
        x = (a.x1 + b.x0) / 2
        bottom = axes[-1, 0].get_position().y0
        fig.add_artist(Line2D([x, x], [bottom, 1 - 0.05 / height], transform=fig.transFigure,
                              linestyle="--", color="black", linewidth=1.0))
    if caption:
        fig.text(0.5, 0.1 / height, caption, ha="center", va="bottom", fontsize=6.5, wrap=True)
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=120)


def editing_figures(grids_dir: str | Path, outdir: str | Path) -> None:
    """`diffae figures-editing`: draw ``<grids_dir>/<name>.npz`` to ``<outdir>/<name>.png`` for Figs 6-9."""
    for name in EDITING_FIGURES:
        draw_grid(load_grid(Path(grids_dir) / f"{name}.npz"), Path(outdir) / f"{name}.png")
