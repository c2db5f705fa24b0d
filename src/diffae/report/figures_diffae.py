"""Diff-AE's result figures (3, 4, 6, 9, 10, 14-16, 20-22 and the same kinds on the other datasets), drawn from
the grids the Diff-AE evaluations write (``diffae.eval.diffae_figures``, ``diffae.eval.tables.diffae_table4``):
each ``<name>.npz`` becomes ``<outdir>/<name>.png`` with its caption, without running a network."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from diffae.eval.figure_data import load_grid
from diffae.report.figures_editing import draw_grid


def diffae_figures(grids_dirs: Iterable[str | Path], outdir: str | Path) -> list[Path]:
    """`diffae figures-diffae`: every grid of the given folders, as PNG; a folder without grids is an error."""
    written = []
    for folder in map(Path, grids_dirs):
        grids = sorted(folder.glob("*.npz"))
        if not grids:
            raise FileNotFoundError(f"{folder}: no figure grids (.npz); run its `diffae eval-diffae-...` command")
        for grid in grids:
            written.append(Path(outdir) / f"{grid.stem}.png")
            draw_grid(load_grid(grid), written[-1])
    return written
