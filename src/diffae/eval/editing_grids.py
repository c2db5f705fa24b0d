"""Image grids of the editing figures of DiffuseGAE §4.2 and §4.4: replacement (Fig. 6), recombination
(Fig. 7), multi-attribute (Fig. 8) and single-attribute (Fig. 9) interpolation.

Each grid holds uint8 tiles and a caption that states what was run (methods, DDIM steps, the x_T choice)
followed by the caller's text (data source, preset); ``write_editing_grids`` writes them as .npz
(``diffae.eval.figure_data``) and ``diffae.report.figures_editing`` draws them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from diffae.data.images import to_tiles
from diffae.data.prepared import load_prepared
from diffae.data.splits import held_out_images
from diffae.eval import editing
from diffae.eval.figure_data import EDITING_FIGURES, ImageGrid, save_grid


def _caption(auto: str, caption: str) -> str:
    return f"{auto}\n{caption}" if caption else auto


def _names(codecs) -> str:
    return ", ".join(c.name for c in codecs)


def _xT_note(codecs, stochastic_note: str) -> str:
    pixel = [c.name for c in codecs if not c.stochastic]
    if len(pixel) == len(codecs):
        return "pixel decoders (no T, no x_T)"
    return stochastic_note + (f"; {', '.join(pixel)} decode z directly (no x_T)" if pixel else "")


def replacement_grid(codecs: Sequence, base: Tensor, donor: Tensor, n_steps: int,
                     parts: Sequence[str] = ("background",), caption: str = "") -> tuple[ImageGrid, dict[str, Tensor]]:
    """DiffuseGAE Fig. 6: one row per example; base, donor | one column per codec (dashed separator).

    Each codec output is the base image with ``parts`` from the donor
    (``editing.replace_attributes``, x_T inverted from the base with Eq. 7).
    Returns the grid and {codec name: images}.
    """
    parts = list(parts)
    outs = {c.name: editing.replace_attributes(c, base, donor, parts, n_steps=n_steps) for c in codecs}
    kept = [p for p in codecs[0].partition.names if p not in parts] if codecs else []
    columns = [(f"base ({', '.join(kept)})", to_tiles(base)), (f"donor ({', '.join(parts)})", to_tiles(donor))]
    columns += [(name, to_tiles(x)) for name, x in outs.items()]
    auto = (f"Image replacement (DiffuseGAE Fig. 6): {', '.join(parts)} from the donor. Methods: {_names(codecs)}; "
            + _xT_note(codecs, f"T = {n_steps} DDIM steps, x_T inverted from the base image (Eq. 7)") + ".")
    return ImageGrid(columns, _caption(auto, caption), separator_after=2), outs


def recombination_grid(codecs: Sequence, id_imgs: Tensor, bg_imgs: Tensor, pose_imgs: Tensor, n_steps: int,
                       generator: torch.Generator | None = None, caption: str = "",
                       part_names: tuple[str, str, str] = ("identity", "background", "pose"),
                       seed: int | None = None) -> tuple[ImageGrid, dict[str, Tensor]]:
    """DiffuseGAE Fig. 7: identity, background, pose sources | one recombined column per codec.

    ``part_names`` are the partition's names of the three attributes. Diffusion codecs decode
    from x_T ~ N(0, I); with ``seed`` each codec gets a fresh generator of that seed (same
    noise for every codec), else all draw in turn from ``generator``. Returns the grid and
    {codec name: images}.
    """
    srcs = dict(zip(part_names, (id_imgs, bg_imgs, pose_imgs)))
    outs = {}
    for c in codecs:
        gen = torch.Generator().manual_seed(seed) if seed is not None else generator
        outs[c.name] = editing.recombine(c, srcs, n_steps, generator=gen)
    columns = [(name, to_tiles(x)) for name, x in srcs.items()] + [(n, to_tiles(x)) for n, x in outs.items()]
    auto = (f"Image recombination (DiffuseGAE Fig. 7): each attribute from its column. Methods: {_names(codecs)}; "
            + _xT_note(codecs, f"T = {n_steps} DDIM steps, x_T ~ N(0, I)"
                       + (f" (seed {seed})" if seed is not None else "")) + ".")
    return ImageGrid(columns, _caption(auto, caption), separator_after=3), outs


def interp_columns(x1: Tensor, x2: Tensor, frames: Tensor, alphas: Sequence[float]) -> list:
    cols = [("real x1", to_tiles(x1))]
    cols += [(f"a={a:.2f}", to_tiles(f)) for a, f in zip(alphas, frames)]
    return cols + [("real x2", to_tiles(x2))]


def stack_rows(blocks: Sequence[list]) -> list:
    """Blocks of columns [(title, tiles)] with the same titles -> one set of columns, the blocks' rows stacked."""
    return [(blocks[0][c][0], np.concatenate([b[c][1] for b in blocks])) for c in range(len(blocks[0]))]


def interp_alphas(n_interp: int) -> list[float]:
    if n_interp < 2:
        raise ValueError(f"n_interp must be >= 2 (alpha 0 and 1 included), got {n_interp}")
    return [float(a) for a in np.linspace(0.0, 1.0, n_interp)]


def interpolation_grid(codec, x1: Tensor, x2: Tensor, n_interp: int, n_steps: int,
                       caption: str = "") -> tuple[ImageGrid, Tensor]:
    """DiffuseGAE Fig. 8: multi-attribute interpolation; real images in the first and last columns.

    One row per pair; ``n_interp`` decoded frames at alpha = linspace(0, 1) between them
    (``editing.interpolate``: Lerp on the whole z, Slerp on inverted x_T). Returns the grid and the frames.
    """
    alphas = interp_alphas(n_interp)
    frames = editing.interpolate(codec, x1, x2, alphas, n_steps=n_steps)
    auto = (f"Multi-attribute interpolation (DiffuseGAE Fig. 8), {codec.name}: Lerp on all of z; "
            + _xT_note([codec], f"T = {n_steps} DDIM steps, Slerp between x_T inverted from both images (Eq. 7)")
            + ".")
    return ImageGrid(interp_columns(x1, x2, frames, alphas), _caption(auto, caption)), frames


def single_attribute_grid(codec, pairs: Mapping[str, tuple[Tensor, Tensor]], n_interp: int, n_steps: int,
                          caption: str = "") -> tuple[ImageGrid, dict[str, Tensor]]:
    """DiffuseGAE Fig. 9: one row per attribute (per pair of it): only that part of z is lerped.

    ``pairs`` maps a part name to (x1, x2) batches; the other parts stay those of x1
    (``editing.interpolate(parts=[name])``). Returns the grid and {part: frames}.
    """
    if not pairs:
        raise ValueError("single_attribute_grid: no attribute pairs given")
    alphas = interp_alphas(n_interp)
    out, labels, blocks = {}, [], []
    for part, (x1, x2) in pairs.items():
        frames = editing.interpolate(codec, x1, x2, alphas, n_steps=n_steps, parts=[part])
        out[part] = frames
        labels += [part] * len(x1)
        blocks.append(interp_columns(x1, x2, frames, alphas))
    columns = stack_rows(blocks)
    auto = (f"Single-attribute interpolation (DiffuseGAE Fig. 9), {codec.name}: Lerp on the row's part of z only; "
            + _xT_note([codec], f"T = {n_steps} DDIM steps, Slerp between x_T inverted from both images (Eq. 7)")
            + ".")
    return ImageGrid(columns, _caption(auto, caption), row_labels=labels), out


def write_editing_grids(codecs: dict, prepared: str, split_csv: str, outdir: str | Path, *, n_steps: int,
                        n_examples: int, n_interp: int, seed: int, preset: str, device: str) -> None:
    """`diffae eval-editing`: the grids of Figs 6-9 on held-out images, as ``<outdir>/<EDITING_FIGURES[i]>.npz``."""
    k = n_examples
    x = held_out_images(prepared, split_csv, n=9 * k, seed=seed).to(device)
    source = load_prepared(prepared).meta.get("source", "?")
    note = f"held-out iLab-20M images ({source} data), preset {preset}, T={n_steps}"
    order = [codecs[m] for m in ("DiffuseGAE", "GZS-Net", "AE + DS") if m in codecs]
    out = Path(outdir)
    grid6, _ = replacement_grid(order, x[:k], x[k:2 * k], n_steps=n_steps, parts=("background",),
                                caption=f"Image replacement: background from the donor. {note}")
    save_grid(out / f"{EDITING_FIGURES[0]}.npz", grid6)
    grid7, _ = recombination_grid(order, x[2 * k:3 * k], x[3 * k:4 * k], x[4 * k:5 * k], n_steps=n_steps,
                                  generator=torch.Generator().manual_seed(seed),
                                  caption=f"Recombination: identity, background, pose from three images; "
                                          f"x_T ~ N(0, I). {note}")
    save_grid(out / f"{EDITING_FIGURES[1]}.npz", grid7)
    dg = codecs["DiffuseGAE"]
    grid8, _ = interpolation_grid(dg, x[5 * k:6 * k], x[6 * k:7 * k], n_interp=n_interp, n_steps=n_steps,
                                  caption=f"DiffuseGAE multi-attribute interpolation: lerp z_dis, slerp x_T. {note}")
    save_grid(out / f"{EDITING_FIGURES[2]}.npz", grid8)
    pairs = {name: (x[7 * k + i:7 * k + i + 1], x[8 * k + i:8 * k + i + 1])
             for i, name in enumerate(dg.partition.names)}
    grid9, _ = single_attribute_grid(dg, pairs, n_interp=n_interp, n_steps=n_steps,
                                     caption=f"DiffuseGAE single-attribute interpolation (only that part of z_dis). "
                                             f"{note}")
    save_grid(out / f"{EDITING_FIGURES[3]}.npz", grid9)
