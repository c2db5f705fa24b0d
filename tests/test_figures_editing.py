"""Editing figures (DiffuseGAE Figs 6-9) and the PPL figure (Fig. 10) with stub codecs."""
from __future__ import annotations

import pandas as pd
import pytest
import torch
from PIL import Image

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


def test_figure6_replacement(tmp_path):
    base, donor = _images(3, 3, 0), _images(3, 3, 1)
    out = tmp_path / "fig6.png"
    outs = figures_editing.figure6_replacement(_codecs(), base, donor, out, T=10, caption="stand-in iLab, embedded")
    assert list(outs) == ["DiffuseGAE", "GZS-Net", "AE + DS"]
    assert all(x.shape == base.shape for x in outs.values())
    w, h = _png_size(out)
    assert w > h  # 5 columns, 3 rows


def test_figure7_recombination_same_noise_per_codec(tmp_path):
    a, b, c = _images(2, 3, 0), _images(2, 3, 1), _images(2, 3, 2)
    out = tmp_path / "fig7.png"
    s1, s2 = StochasticStub("DiffuseGAE"), StochasticStub("Diff-AE")
    outs = figures_editing.figure7_recombination([s1, s2, LinearCodec(3, name="GZS-Net")], a, b, c, out, T=10,
                                                 seed=4, caption="embedded")
    torch.testing.assert_close(outs["DiffuseGAE"], outs["Diff-AE"])
    _png_size(out)


def test_figure8_interpolation(tmp_path):
    x1, x2 = _images(2, 3, 0), _images(2, 3, 1)
    out = tmp_path / "fig8.png"
    frames = figures_editing.figure8_interpolation(StochasticStub(), x1, x2, out, n_interp=5, T=10, caption="x")
    assert frames.shape == (5, *x1.shape)
    w, h = _png_size(out)
    assert w > 2 * h  # 7 columns, 2 rows
    with pytest.raises(ValueError, match="n_interp"):
        figures_editing.figure8_interpolation(StochasticStub(), x1, x2, tmp_path / "bad.png", n_interp=1, T=10)
    assert not (tmp_path / "bad.png").exists()


def test_figure9_single_attribute(tmp_path):
    pairs = {n: (_images(1, 3, 2 * k), _images(1, 3, 2 * k + 1)) for k, n in enumerate(NAMES)}
    out = tmp_path / "fig9.png"
    res = figures_editing.figure9_single_attribute(StochasticStub(), pairs, out, n_interp=4, T=10, caption="y")
    assert list(res) == list(NAMES) and res["pose"].shape == (4, 1, 3, 8, 8)
    w, h = _png_size(out)
    assert w > h  # 6 columns, 3 rows


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
