"""t-SNE figures of latent spaces, drawn from their embeddings: DiffuseGAE Fig. 2 (Diff-AE / PDAE z_sem) and
Fig. 5 (z_sem vs z_dis parts).

The embeddings, colour labels and per-panel separability scores (leave-one-out k-NN accuracy of the colour
label in 2-D) come from ``diffae.eval.tsne_figures`` as .npz; a figure can be redrawn without rerunning t-SNE.
"""
from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from diffae.eval.figure_data import Embeddings, Panel, load_embeddings
from diffae.utils.atomic import atomic_path

log = logging.getLogger(__name__)

__all__ = ["draw_embeddings", "figures_tsne"]


def _draw_panel(ax, p: Panel, knn_k: int) -> None:
    """Scatter one panel, one colour per label value (legend up to 10 values)."""
    values = sorted(set(p.labels.tolist()), key=str)
    cmap = matplotlib.colormaps["tab10" if len(values) <= 10 else "tab20" if len(values) <= 20 else "gist_ncar"]
    for i, v in enumerate(values):
        m = p.labels == v
        colour = cmap(i % cmap.N) if len(values) <= 20 else cmap(i / max(len(values) - 1, 1))
        ax.scatter(p.y[m, 0], p.y[m, 1], s=6, color=colour, label=str(v), linewidths=0)
    ax.set_title(f"{p.title}, coloured by {p.attribute}\n{len(values)} values, n={len(p.y)}, "
                 f"{knn_k}-NN acc {p.score:.2f}", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    if len(values) <= 10:
        ax.legend(fontsize=6, markerscale=2, loc="best", frameon=False)


def draw_embeddings(emb: Embeddings, out_png: str | Path) -> dict[str, float]:
    """Draw a grid of embedding panels with the caption below; returns the per-panel separability scores."""
    nrows, ncols = len(emb.rows), max(len(r) for r in emb.rows)
    width = 4.6 * ncols
    caption_lines = textwrap.wrap(emb.caption, width=int(16 * width))
    caption_h = 0.2 + 0.15 * len(caption_lines)  # inches at 8 pt
    height = 4.4 * nrows + caption_h
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for r, row in enumerate(emb.rows):
        for c in range(ncols):
            if c < len(row):
                _draw_panel(axes[r][c], row[c], emb.knn_k)
            else:
                axes[r][c].axis("off")
    fig.tight_layout(rect=(0, caption_h / height, 1, 1))
    fig.text(0.01, 0.1 / height, "\n".join(caption_lines), fontsize=8, va="bottom", ha="left")
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    return emb.scores()


def figures_tsne(fig2_npz: str | Path, fig5_npz: str | Path, fig2_png: str | Path, fig5_png: str | Path) -> None:
    """`diffae figures-tsne`: draw DiffuseGAE Figs 2 and 5 from their embeddings."""
    for npz, png in ((fig2_npz, fig2_png), (fig5_npz, fig5_png)):
        scores = draw_embeddings(load_embeddings(npz), png)
        log.info("%s: separability %s", png, {k: round(v, 3) for k, v in scores.items()})
