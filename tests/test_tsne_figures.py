"""t-SNE embedding, separability score and DiffuseGAE Figs 2 / 5 (embeddings computed, saved, drawn from file)."""
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from diffae.data.prepared import save_prepared
from diffae.data.latents import save_latents
from diffae.eval.figure_data import load_embeddings, save_embeddings
from diffae.eval.tsne import knn_label_accuracy, subsample_rows, tsne_embed
from diffae.eval.tsne_figures import figure2_embeddings, figure5_embeddings, select_values, write_tsne_embeddings
from diffae.report.figures_tsne import draw_embeddings, figures_tsne

ATTRS = ["identity", "background", "pose"]


def _clusters(n_per=30, k=4, d=10, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=10.0, size=(k, d))
    y = np.repeat(np.arange(k), n_per)
    return centres[y] + rng.normal(size=(len(y), d)), y


def test_tsne_seeded_and_separates_clusters():
    z, y = _clusters()
    a, idx_a = tsne_embed(z, perplexity=10, seed=3)
    b, idx_b = tsne_embed(z, perplexity=10, seed=3)
    c, _ = tsne_embed(z, perplexity=10, seed=4)
    assert a.shape == (120, 2) and np.array_equal(idx_a, np.arange(120))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert knn_label_accuracy(a, y) > 0.95
    shuffled = np.random.default_rng(0).permutation(y)
    assert knn_label_accuracy(a, shuffled) < 0.5


def test_tsne_subsample_and_tiny_n():
    z, _ = _clusters(n_per=10)
    y, idx = tsne_embed(z, perplexity=30, seed=0, max_points=8)  # perplexity clipped to 7/3
    assert y.shape == (8, 2) and len(idx) == 8 and np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(idx, subsample_rows(40, 8, seed=0))
    assert np.isfinite(y).all()
    with pytest.raises(ValueError, match="at least 4"):
        tsne_embed(z[:3])


def test_knn_label_accuracy_exact():
    y = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [10.2]])
    assert knn_label_accuracy(y, np.array(["a"] * 3 + ["b"] * 3), k=2) == 1.0
    assert knn_label_accuracy(y, np.array(["a", "b"] * 3), k=1) == 0.0


def test_select_values_most_frequent_first():
    s = pd.Series(["x", "y", "y", "z", "z", "z", "w"])
    assert select_values(s, 2) == ["z", "y"]
    assert select_values(s, None) == ["z", "y", "w", "x"]


def _write(tmp_path, n=160):
    rng = np.random.default_rng(0)
    labels = pd.DataFrame({"identity": [f"id{v}" for v in rng.integers(0, 8, n)],
                           "background": [f"b{v:04d}" for v in rng.integers(0, 20, n)],
                           "pose": rng.integers(0, 3, n)})
    save_prepared(tmp_path / "prepared", np.zeros((n, 4, 4, 3), np.uint8), labels,
                  {"dataset": "ilab", "source": "standin", "attributes": ATTRS})
    split = np.where(np.arange(n) % 5 == 0, "test", "train")
    parts = []
    for attr, size in (("identity", 6), ("background", 4), ("pose", 4)):
        codes = pd.factorize(labels[attr], sort=True)[0]
        parts.append(rng.normal(scale=8.0, size=(codes.max() + 1, size))[codes] + rng.normal(size=(n, size)))
    z_dis = np.concatenate(parts, axis=1)
    meta = {"method": "DiffuseGAE", "partition": {"names": ATTRS, "sizes": [6, 4, 4]}}
    save_latents(tmp_path / "gae.npz", z_dis, np.arange(n), split, meta)
    # "z_sem": only weakly related to the attributes (mostly noise)
    z_sem = rng.normal(size=(n, 16)) * 3 + z_dis[:, :14] @ rng.normal(scale=0.05, size=(14, 16))
    save_latents(tmp_path / "diffae.npz", z_sem, np.arange(n), split, {"method": "Diff-AE"})
    return tmp_path / "gae.npz", tmp_path / "diffae.npz", tmp_path / "prepared"


def _draw(emb, tmp_path, name):
    """Save, reload and draw: the figure needs only the .npz; returns the scores drawn."""
    save_embeddings(tmp_path / f"{name}.npz", emb)
    back = load_embeddings(tmp_path / f"{name}.npz")
    assert back.scores() == emb.scores() and back.caption == emb.caption
    return draw_embeddings(back, tmp_path / "figs" / f"{name}.png")


def test_figures_write_pngs_and_scores(tmp_path):
    gae, diffae, prepared = _write(tmp_path)
    s2 = _draw(figure2_embeddings(diffae, prepared, perplexity=10, seed=0, max_points=60, caption_extra="test run"),
               tmp_path, "fig2")
    assert set(s2) == {"Diff-AE z_sem | identity", "Diff-AE z_sem | background"}
    one_row = Image.open(tmp_path / "figs" / "fig2.png").size
    pdae = tmp_path / "pdae.npz"
    save_latents(pdae, np.random.default_rng(5).normal(size=(160, 8)), np.arange(160),
                 np.where(np.arange(160) % 5 == 0, "test", "train"), {"method": "PDAE"})
    s2b = _draw(figure2_embeddings(diffae, prepared, perplexity=10, seed=0, max_points=60, pdae_latents=pdae),
                tmp_path, "fig2")
    assert set(s2b) == set(s2) | {"PDAE z_sem | identity", "PDAE z_sem | background"}
    assert s2b["Diff-AE z_sem | identity"] == s2["Diff-AE z_sem | identity"]  # seeded
    two_rows = Image.open(tmp_path / "figs" / "fig2.png").size
    assert two_rows[0] == one_row[0] and two_rows[1] > one_row[1] > 200
    s5 = _draw(figure5_embeddings(gae, diffae, prepared, perplexity=10, seed=0, max_points=80, preset="smoke"),
               tmp_path, "fig5")
    assert Image.open(tmp_path / "figs" / "fig5.png").size[1] > 200
    assert set(s5) == {"Diff-AE z_sem | identity", "DiffuseGAE z_dis[identity] | identity",
                       "Diff-AE z_sem | background", "DiffuseGAE z_dis[background] | background"}
    assert all(0.0 <= v <= 1.0 for v in s5.values())
    # the disentangled part separates its attribute; the noisy z_sem does not
    assert s5["DiffuseGAE z_dis[identity] | identity"] > 0.9
    assert s5["DiffuseGAE z_dis[identity] | identity"] > s5["Diff-AE z_sem | identity"] + 0.3
    assert s5["DiffuseGAE z_dis[background] | background"] > s5["Diff-AE z_sem | background"] + 0.3


def test_tsne_stage_then_figures(tmp_path):
    gae, diffae, prepared = _write(tmp_path, n=60)
    write_tsne_embeddings(gae, diffae, prepared, tmp_path / "f2.npz", tmp_path / "f5.npz", perplexity=5, seed=0,
                          max_points=30, preset="smoke")
    assert "preset smoke" in load_embeddings(tmp_path / "f5.npz").caption
    figures_tsne(tmp_path / "f2.npz", tmp_path / "f5.npz", tmp_path / "f2.png", tmp_path / "f5.png")
    assert Image.open(tmp_path / "f2.png").size[1] > 200 and Image.open(tmp_path / "f5.png").size[1] > 200


def test_figure5_needs_partition(tmp_path):
    gae, diffae, prepared = _write(tmp_path, n=40)
    with pytest.raises(ValueError, match="partition"):
        write_tsne_embeddings(diffae, diffae, prepared, tmp_path / "f2.npz", tmp_path / "f5.npz", perplexity=5,
                              seed=0, max_points=20, preset="")
    assert not (tmp_path / "f5.npz").exists()
