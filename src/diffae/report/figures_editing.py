"""Editing figures of DiffuseGAE §4.2 and §4.4: replacement (Fig. 6), recombination (Fig. 7),
multi-attribute (Fig. 8) and single-attribute (Fig. 9) interpolation.

Each figure is an image grid written atomically as PNG, with a caption that states what was
run (methods, T, the x_T choice) followed by the caller's text (data source, preset).
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from torch import Tensor

from diffae.data.images import to_uint8
from diffae.eval import editing
from diffae.utils.atomic import atomic_path


def _tiles(x: Tensor) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> uint8 (N, H, W, C) (C = 1 squeezed to (N, H, W))."""
    u = to_uint8(x)
    return u[..., 0] if u.shape[-1] == 1 else u


def _draw_grid(
    columns: Sequence[tuple[str, np.ndarray]],
    out_png: str | Path,
    caption: str,
    separator_after: int | None = None,
    row_labels: Sequence[str] | None = None,
) -> None:
    """Columns of equally many tiles: [(title, uint8 tiles)]; a dashed line after column `separator_after`."""
    n_rows = {len(t) for _, t in columns}
    if len(n_rows) != 1 or 0 in n_rows:
        raise ValueError(f"figure columns need equally many (> 0) tiles, got {[len(t) for _, t in columns]}")
    n_rows, n_cols = n_rows.pop(), len(columns)
    if row_labels is not None and len(row_labels) != n_rows:
        raise ValueError(f"{len(row_labels)} row labels for {n_rows} rows")
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


def _caption(auto: str, caption: str) -> str:
    return f"{auto}\n{caption}" if caption else auto


def _names(codecs) -> str:
    return ", ".join(c.name for c in codecs)


def _xT_note(codecs, stochastic_note: str) -> str:
    pixel = [c.name for c in codecs if not c.stochastic]
    if len(pixel) == len(codecs):
        return "pixel decoders (no T, no x_T)"
    return stochastic_note + (f"; {', '.join(pixel)} decode z directly (no x_T)" if pixel else "")


def figure6_replacement(
    codecs: Sequence,
    base: Tensor,
    donor: Tensor,
    out_png: str | Path,
    T: int,
    parts: Sequence[str] = ("background",),
    caption: str = "",
) -> dict[str, Tensor]:
    """DiffuseGAE Fig. 6: one row per example; base, donor | one column per codec (dashed separator).

    Each codec output is the base image with ``parts`` from the donor
    (``editing.replace_attributes``, x_T inverted from the base with Eq. 7).
    Returns {codec name: images}.
    """
    parts = list(parts)
    outs = {c.name: editing.replace_attributes(c, base, donor, parts, T) for c in codecs}
    kept = [p for p in codecs[0].partition.names if p not in parts] if codecs else []
    columns = [(f"base ({', '.join(kept)})", _tiles(base)), (f"donor ({', '.join(parts)})", _tiles(donor))]
    columns += [(name, _tiles(x)) for name, x in outs.items()]
    auto = (f"Image replacement (DiffuseGAE Fig. 6): {', '.join(parts)} from the donor. Methods: {_names(codecs)}; "
            + _xT_note(codecs, f"T = {T} DDIM steps, x_T inverted from the base image (Eq. 7)") + ".")
    _draw_grid(columns, out_png, _caption(auto, caption), separator_after=2)
    return outs


def figure7_recombination(
    codecs: Sequence,
    id_imgs: Tensor,
    bg_imgs: Tensor,
    pose_imgs: Tensor,
    out_png: str | Path,
    T: int,
    generator: torch.Generator | None = None,
    caption: str = "",
    part_names: tuple[str, str, str] = ("identity", "background", "pose"),
    seed: int | None = None,
) -> dict[str, Tensor]:
    """DiffuseGAE Fig. 7: identity, background, pose sources | one recombined column per codec.

    ``part_names`` are the partition's names of the three attributes. Diffusion codecs decode
    from x_T ~ N(0, I); with ``seed`` each codec gets a fresh generator of that seed (same
    noise for every codec), else all draw in turn from ``generator``. Returns {codec name: images}.
    """
    srcs = dict(zip(part_names, (id_imgs, bg_imgs, pose_imgs)))
    outs = {}
    for c in codecs:
        gen = torch.Generator().manual_seed(seed) if seed is not None else generator
        outs[c.name] = editing.recombine(c, srcs, T, generator=gen)
    columns = [(name, _tiles(x)) for name, x in srcs.items()] + [(n, _tiles(x)) for n, x in outs.items()]
    auto = (f"Image recombination (DiffuseGAE Fig. 7): each attribute from its column. Methods: {_names(codecs)}; "
            + _xT_note(codecs, f"T = {T} DDIM steps, x_T ~ N(0, I)"
                       + (f" (seed {seed})" if seed is not None else "")) + ".")
    _draw_grid(columns, out_png, _caption(auto, caption), separator_after=3)
    return outs


def _interp_columns(x1: Tensor, x2: Tensor, frames: Tensor, alphas: Sequence[float]) -> list:
    cols = [("real x1", _tiles(x1))]
    cols += [(f"a={a:.2f}", _tiles(f)) for a, f in zip(alphas, frames)]
    return cols + [("real x2", _tiles(x2))]


def _alphas(n_interp: int) -> list[float]:
    if n_interp < 2:
        raise ValueError(f"n_interp must be >= 2 (alpha 0 and 1 included), got {n_interp}")
    return [float(a) for a in np.linspace(0.0, 1.0, n_interp)]


def figure8_interpolation(
    codec,
    x1: Tensor,
    x2: Tensor,
    out_png: str | Path,
    n_interp: int,
    T: int,
    caption: str = "",
) -> Tensor:
    """DiffuseGAE Fig. 8: multi-attribute interpolation; real images in the first and last columns.

    One row per pair; ``n_interp`` decoded frames at alpha = linspace(0, 1) between them
    (``editing.interpolate``: Lerp on the whole z, Slerp on inverted x_T). Returns the frames.
    """
    alphas = _alphas(n_interp)
    frames = editing.interpolate(codec, x1, x2, alphas, T)
    auto = (f"Multi-attribute interpolation (DiffuseGAE Fig. 8), {codec.name}: Lerp on all of z; "
            + _xT_note([codec], f"T = {T} DDIM steps, Slerp between x_T inverted from both images (Eq. 7)") + ".")
    _draw_grid(_interp_columns(x1, x2, frames, alphas), out_png, _caption(auto, caption))
    return frames


def figure9_single_attribute(
    codec,
    pairs: Mapping[str, tuple[Tensor, Tensor]],
    out_png: str | Path,
    n_interp: int,
    T: int,
    caption: str = "",
) -> dict[str, Tensor]:
    """DiffuseGAE Fig. 9: one row per attribute (per pair of it): only that part of z is lerped.

    ``pairs`` maps a part name to (x1, x2) batches; the other parts stay those of x1
    (``editing.interpolate(parts=[name])``). Returns {part: frames}.
    """
    if not pairs:
        raise ValueError("figure9_single_attribute: no attribute pairs given")
    alphas = _alphas(n_interp)
    out, labels, blocks = {}, [], []
    for part, (x1, x2) in pairs.items():
        frames = editing.interpolate(codec, x1, x2, alphas, T, parts=[part])
        out[part] = frames
        labels += [part] * len(x1)
        blocks.append(_interp_columns(x1, x2, frames, alphas))
    columns = [(blocks[0][c][0], np.concatenate([b[c][1] for b in blocks])) for c in range(len(blocks[0]))]
    auto = (f"Single-attribute interpolation (DiffuseGAE Fig. 9), {codec.name}: Lerp on the row's part of z only; "
            + _xT_note([codec], f"T = {T} DDIM steps, Slerp between x_T inverted from both images (Eq. 7)") + ".")
    _draw_grid(columns, out_png, _caption(auto, caption), row_labels=labels)
    return out
