"""Editing figures (DiffuseGAE Figs 6-9) and the PPL figure (Fig. 10): grids computed with stub codecs,
written to .npz and drawn from the file."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from diffae.eval import editing_grids
from diffae.eval.figure_data import EDITING_FIGURES, ImageGrid, load_grid, save_grid
from diffae.eval.tables.numbers import write_numbers
from diffae.report import figure_ppl, figures_editing
from test_editing import NAMES, LinearCodec, StochasticStub, _images

torch.set_num_threads(1)


def _png_size(path) -> tuple[int, int]:
    assert path.stat().st_size > 5_000
    with Image.open(path) as im:
        assert im.format == "PNG"
        return im.size


def _codecs():
    return [StochasticStub("DiffuseGAE"), LinearCodec(3, name="GZS-Net"), LinearCodec(3, name="AE + DS")]


def _draw_from_file(grid: ImageGrid, tmp_path, name: str):
    """Write the grid to .npz, read it back, draw it: the figure needs only the file."""
    save_grid(tmp_path / f"{name}.npz", grid)
    back = load_grid(tmp_path / f"{name}.npz")
    assert [t for t, _ in back.columns] == [t for t, _ in grid.columns] and back.caption == grid.caption
    for (_, a), (_, b) in zip(grid.columns, back.columns):
        np.testing.assert_array_equal(a, b)
    figures_editing.draw_grid(back, tmp_path / f"{name}.png")
    return _png_size(tmp_path / f"{name}.png")


def test_figure6_replacement(tmp_path):
    base, donor = _images(3, 3, 0), _images(3, 3, 1)
    grid, outs = editing_grids.replacement_grid(_codecs(), base, donor, n_steps=10, caption="stand-in iLab, embedded")
    assert list(outs) == ["DiffuseGAE", "GZS-Net", "AE + DS"]
    assert all(x.shape == base.shape for x in outs.values())
    assert grid.separator_after == 2 and grid.caption.endswith("stand-in iLab, embedded")
    w, h = _draw_from_file(grid, tmp_path, "fig6")
    assert w > h  # 5 columns, 3 rows


def test_figure7_recombination_same_noise_per_codec(tmp_path):
    a, b, c = _images(2, 3, 0), _images(2, 3, 1), _images(2, 3, 2)
    s1, s2 = StochasticStub("DiffuseGAE"), StochasticStub("Diff-AE")
    grid, outs = editing_grids.recombination_grid([s1, s2, LinearCodec(3, name="GZS-Net")], a, b, c, n_steps=10,
                                                  seed=4, caption="embedded")
    torch.testing.assert_close(outs["DiffuseGAE"], outs["Diff-AE"])
    _draw_from_file(grid, tmp_path, "fig7")


def test_figure8_interpolation(tmp_path):
    x1, x2 = _images(2, 3, 0), _images(2, 3, 1)
    grid, frames = editing_grids.interpolation_grid(StochasticStub(), x1, x2, n_interp=5, n_steps=10, caption="x")
    assert frames.shape == (5, *x1.shape)
    w, h = _draw_from_file(grid, tmp_path, "fig8")
    assert w > 2 * h  # 7 columns, 2 rows
    with pytest.raises(ValueError, match="n_interp"):
        editing_grids.interpolation_grid(StochasticStub(), x1, x2, n_interp=1, n_steps=10)


def test_figure9_single_attribute(tmp_path):
    pairs = {n: (_images(1, 3, 2 * k), _images(1, 3, 2 * k + 1)) for k, n in enumerate(NAMES)}
    grid, res = editing_grids.single_attribute_grid(StochasticStub(), pairs, n_interp=4, n_steps=10, caption="y")
    assert list(res) == list(NAMES) and res["pose"].shape == (4, 1, 3, 8, 8)
    assert list(grid.row_labels) == list(NAMES)
    w, h = _draw_from_file(grid, tmp_path, "fig9")
    assert w > h  # 6 columns, 3 rows


def test_grids_of_unequal_columns_are_rejected():
    tiles = np.zeros((2, 4, 4), np.uint8)
    with pytest.raises(ValueError, match="equally many"):
        ImageGrid([("a", tiles), ("b", tiles[:1])], caption="")
    with pytest.raises(ValueError, match="row labels"):
        ImageGrid([("a", tiles)], caption="", row_labels=["only one"])


def test_editing_figures_draws_every_grid_file(tmp_path):
    x = _images(2, 1, 0)
    grid, _ = editing_grids.interpolation_grid(LinearCodec(1), x, -x, n_interp=3, n_steps=10)
    for name in EDITING_FIGURES:
        save_grid(tmp_path / "grids" / f"{name}.npz", grid)
    figures_editing.editing_figures(tmp_path / "grids", tmp_path / "figs")
    for name in EDITING_FIGURES:
        _png_size(tmp_path / "figs" / f"{name}.png")


def _rows():
    return [{"method": m, "T": t, "ppl": p, "n_pairs": 8, "eps": 1e-4}
            for m, vals in (("Diff-AE", (30.0, 20.0, 10.0)), ("DiffuseGAE", (20.0, 12.0, 6.0)))
            for t, p in zip((100, 10, 50), vals)]


def test_figure10_writes_png_and_csv(tmp_path):
    png, csv = tmp_path / "fig10.png", tmp_path / "fig10.csv"
    figure_ppl.figure10(_rows(), png, csv, caption="stand-in", preset="embedded",
                        feature_net="lpips-vgg16(random-init, seed 0)")
    _png_size(png)
    df = pd.read_csv(csv)
    assert list(df.columns[:7]) == ["method", "T", "ppl", "n_pairs", "eps", "feature_net", "preset"]
    assert len(df) == 6 and set(df["method"]) == {"Diff-AE", "DiffuseGAE"}
    assert df[df.method == "DiffuseGAE"]["T"].tolist() == [10, 50, 100]  # sorted by T
    assert df[df.method == "DiffuseGAE"]["ppl"].tolist() == [12.0, 6.0, 20.0]
    assert df["note"].str.contains("not comparable").all()


def test_figure10_requires_provenance(tmp_path):
    with pytest.raises(ValueError, match="feature_net"):
        figure_ppl.figure10(_rows(), tmp_path / "a.png", tmp_path / "a.csv", preset="embedded")
    assert not (tmp_path / "a.csv").exists()


def test_figure10_report_from_numbers(tmp_path):
    rows = [{**r, "feature_net": "lpips-vgg16(random-init, seed 0)"} for r in _rows()]
    write_numbers(rows, tmp_path / "ppl.csv")
    png, csv = tmp_path / "fig10.png", tmp_path / "fig10.csv"
    figure_ppl.figure10_report(tmp_path / "ppl.csv", png, csv, preset="smoke")
    _png_size(png)
    df = pd.read_csv(csv)
    assert list(df.columns[:7]) == ["method", "T", "ppl", "n_pairs", "eps", "feature_net", "preset"]
    assert (df["preset"] == "smoke").all() and df["note"].str.contains("not comparable").all()
    assert df[df.method == "DiffuseGAE"]["ppl"].tolist() == [12.0, 6.0, 20.0]
