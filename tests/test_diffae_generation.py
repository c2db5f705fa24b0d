"""Diff-AE generation: unconditional sampling (§4), Table 4 numbers and grids, App. F PPL, Figs 3/4/6/10/14-16
grids, their reports (Tables 4, 7, PPL) and the claims on them."""
import numpy as np
import pandas as pd
import pytest
import torch
from _tiny_artifacts import tiny_artifacts

from diffae.data.latents import save_latents
from diffae.data.prepared import save_prepared
from diffae.diffusion import DDIM, GaussianDiffusion
from diffae.eval import editing
from diffae.eval.codecs import load_codec
from diffae.eval.diffae_figures import FIG6_STEPS, neighbour_grid, pred_x0_grid, write_diffae_figures
from diffae.eval.figure_data import diffae_figure_name, load_grid
from diffae.eval.tables.diffae_ppl import diffae_ppl
from diffae.eval.tables.diffae_table4 import diffae_table4, reference_split
from diffae.eval.uncond import LatentSampler, generate
from diffae.report.claims import Tables, evaluate_claims
from diffae.report.diffae_generation import diffae_table4_report, median_throughput, throughput_table

Z = 6


def _artifacts(tmp_path):
    return tiny_artifacts(tmp_path, z_dim=Z, latent=True)


@pytest.fixture
def inputs(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (12, 8, 8, 3), dtype=np.uint8)
    save_prepared(tmp_path / "p", images, pd.DataFrame({"a": np.arange(12) % 2}),
                  {"attributes": ["a"], "source": "standin", "image_size": 8, "dataset": "ffhq"})
    save_latents(tmp_path / "z.npz", rng.normal(size=(12, Z)).astype(np.float32), np.arange(12),
                 np.full(12, "train"), {})
    return tmp_path


class _ZeroEps(torch.nn.Module):
    def forward(self, x, t, cond=None):
        return torch.zeros_like(x)


def test_latent_sampler_unnormalises_its_ddim_sample():
    """With eps = 0 every DDIM step rescales x by sqrt(abar): z = mean + std * z_T / sqrt(abar at the first kept t)."""
    diffusion = GaussianDiffusion.from_schedule("const0.008", 100)
    mean, std = torch.tensor([1.0, -2.0, 0.0]), torch.tensor([0.5, 2.0, 3.0])
    sampler = LatentSampler(_ZeroEps(), diffusion, mean, std)
    z = sampler.sample(4, 10, torch.Generator().manual_seed(3))
    z_T = torch.randn((4, 3), generator=torch.Generator().manual_seed(3))
    abar = float(DDIM(diffusion, 10, clip_x0=False).alphas_cumprod[-1])
    torch.testing.assert_close(z, mean + std * z_T / abar ** 0.5)


class _Recorder:
    """A codec that records what it decodes: the condition and the x_T."""
    unet = torch.nn.Linear(1, 1)

    def __init__(self):
        self.calls = []

    def noise(self, n, generator, device):
        return torch.randn((n, 1, 2, 2), generator=generator)

    def encode(self, x):
        return x.flatten(1)[:, :Z]

    def decode(self, z, n_steps, x_T=None):
        self.calls.append((None if z is None else z.clone(), n_steps))
        return x_T.tanh()


def test_generate_picks_the_condition_of_each_table4_row():
    source = torch.rand(5, 1, 4, 4) * 2 - 1
    sampler = LatentSampler(_ZeroEps(), GaussianDiffusion.from_schedule("const0.008", 50), torch.zeros(Z), torch.ones(Z))
    for kwargs, expect in (({}, "none"), ({"sampler": sampler}, "sampled"), ({"source": source}, "encoded")):
        codec = _Recorder()
        out = generate(codec, 3, n=5, generator=torch.Generator().manual_seed(0), batch_size=2, **kwargs)
        assert out.shape == (5, 1, 2, 2) and [len(z) if z is not None else None for z, _ in codec.calls] != []
        assert len(codec.calls) == 3 and all(n == 3 for _, n in codec.calls)  # batches of 2, 2, 1
        conds = [z for z, _ in codec.calls]
        if expect == "none":
            assert all(z is None for z in conds)
        elif expect == "encoded":
            torch.testing.assert_close(torch.cat(conds), source.flatten(1)[:, :Z])
        else:
            assert torch.cat(conds).shape == (5, Z)
    with pytest.raises(ValueError, match="not both"):
        generate(_Recorder(), 3, n=2, generator=None, batch_size=2, sampler=sampler, source=source)


def test_reference_and_held_out_images_are_disjoint_unless_asked():
    ref, held = reference_split(100, 30, seed=1, autoenc_source="held_out")
    assert len(ref) == len(held) == 30 and not set(ref) & set(held)
    ref2, same = reference_split(100, 30, seed=1, autoenc_source="reference")
    assert (ref2 == ref).all() and (same == ref).all()
    ref3, held3 = reference_split(10, 30, seed=0, autoenc_source="held_out")  # small set: reused, second half
    assert len(ref3) == len(held3) == 30 and set(held3) <= set(np.random.default_rng(0).permutation(10)[5:])
    with pytest.raises(ValueError, match="autoenc_source"):
        reference_split(100, 30, seed=1, autoenc_source="test")


def test_table4_numbers_grids_and_resume(inputs):
    models = _artifacts(inputs)
    kw = dict(dataset="ffhq", step_counts=[2, 3], n_samples=6, autoenc_source="held_out", n_neighbours=2, n_shown=4,
              batch_size=4, seed=0, clip_x0=True, weights_dir=None, allow_random=True, device="cpu")
    df = diffae_table4(models["diffae"], models["ddim"], models["latent_ddim"], inputs / "z.npz", inputs / "p",
                       inputs / "t4.csv", inputs / "grids", **kw)
    assert list(zip(df["model"], df["T"])) == [(m, T) for T in (2, 3) for m in ("DDIM", "Ours", "+ autoencoding")]
    assert np.isfinite(df["fid"]).all() and (df["fid"] >= 0).all() and (df["n_samples"] == 6).all()
    samples = load_grid(inputs / "grids" / "fig20_samples_ffhq.npz")
    assert sum(len(t) for _, t in samples.columns) == 4 and "T=3" in samples.caption
    neighbours = load_grid(inputs / "grids" / "fig9_neighbours_ffhq.npz")
    assert [t for t, _ in neighbours.columns] == ["sample", "LPIPS #1", "LPIPS #2", "MSE #1", "MSE #2",
                                                  "z_sem MSE #1", "z_sem MSE #2"]
    again = diffae_table4(models["diffae"], models["ddim"], models["latent_ddim"], inputs / "z.npz", inputs / "p",
                          inputs / "t4b.csv", inputs / "grids", **kw)
    pd.testing.assert_frame_equal(again, df)  # seeded: the same numbers


def test_the_nearest_neighbour_of_a_training_image_is_itself(inputs):
    models = _artifacts(inputs)
    codec = load_codec("Diff-AE", models["diffae"], "cpu", clip_x0=True)
    from diffae.data.prepared import load_prepared
    images = load_prepared(inputs / "p").images
    x = torch.from_numpy(images[[3, 7]]).permute(0, 3, 1, 2).float() / 127.5 - 1
    train_z = codec.encode(torch.from_numpy(np.array(images)).permute(0, 3, 1, 2).float() / 127.5 - 1)

    def lpips(a, b):
        return ((a - b) ** 2).flatten(1).mean(1) + 1.0  # any distance that is smallest for equal images

    grid = neighbour_grid(x, images, train_z, codec, lpips, k=1, batch_size=5, caption="")
    cols = dict(grid.columns)
    for name in ("LPIPS #1", "MSE #1", "z_sem MSE #1"):
        np.testing.assert_array_equal(cols[name], images[[3, 7]])


def test_fig6_shows_the_papers_steps_and_figures_are_named_by_the_paper(inputs):
    models = _artifacts(inputs)
    ddim, dae = (load_codec(m, models[k], "cpu", clip_x0=True) for m, k in (("DDIM", "ddim"), ("Diff-AE", "diffae")))
    x = torch.rand(2, 3, 8, 8) * 2 - 1
    grid = pred_x0_grid(ddim, dae, x, 10, "what")
    assert [t for t, _ in grid.columns] == ["input"] + [f"t{s}" for s in FIG6_STEPS]
    assert grid.row_labels == ["(a) DDIM"] * 2 + ["(b) Diff-AE"] * 2
    assert diffae_figure_name("interpolation", "lsun_horse") == "fig16_interpolation_lsun_horse"
    assert diffae_figure_name("interpolation", "celeba") == "interpolation_celeba"
    paths = write_diffae_figures(models["diffae"], models["ddim"], inputs / "p", inputs / "figs", dataset="ffhq",
                                 n_examples=2, n_variations=3, n_interp=3, n_steps=2, n_steps_trajectory=10, seed=0,
                                 clip_x0=True, preset="smoke", device="cpu")
    assert sorted(p.stem for p in paths) == ["fig10_variation_stats_ffhq", "fig14_interpolation_ffhq",
                                             "fig3_variations_ffhq", "fig4_ddim_vs_diffae_ffhq", "fig6_pred_x0_ffhq"]
    fig10 = load_grid(inputs / "figs" / "fig10_variation_stats_ffhq.npz")
    assert [t for t, _ in fig10.columns][-2:] == ["mean", "std (x4)"] and len(fig10.columns) == 2 + 3 + 2


def test_ddim_interpolation_walks_its_inverted_x_T(inputs):
    """Fig. 4c: a codec without a latent interpolates x_T alone; alpha = 0 decodes x1's inverted x_T."""
    models = _artifacts(inputs)
    ddim = load_codec("DDIM", models["ddim"], "cpu", clip_x0=False)
    x1, x2 = torch.rand(2, 3, 8, 8) * 2 - 1, torch.rand(2, 3, 8, 8) * 2 - 1
    frames = editing.interpolate(ddim, x1, x2, [0.0, 1.0], n_steps=3)
    torch.testing.assert_close(frames[0], ddim.decode(None, 3, x_T=ddim.invert(x1, None, 3)))
    torch.testing.assert_close(frames[1], ddim.decode(None, 3, x_T=ddim.invert(x2, None, 3)))


def test_app_f_ppl_rows_and_the_latent_free_path(inputs):
    models = _artifacts(inputs)
    df = diffae_ppl(models["diffae"], models["ddim"], inputs / "p", inputs / "ppl.csv", n_steps=2, n_pairs=3,
                    eps=1e-2, batch_size=2, seed=0, clip_x0=True, weights_dir=None, allow_random=True, device="cpu")
    assert list(df["model"]) == ["DDIM", "Diff-AE"] and (df["ppl"] > 0).all() and (df["n_samples"] == 6).all()
    ddim = load_codec("DDIM", models["ddim"], "cpu", clip_x0=True)
    with pytest.raises(ValueError, match="no latent"):
        editing.ppl_curve(ddim, torch.rand(4, 3, 8, 8), [2], n_pairs=2, eps=1e-2, lpips_vgg=None, x_T="random")


def test_table4_report_sets_the_papers_numbers_beside_ours(tmp_path):
    rows = [{"dataset": d, "model": m, "T": T, "fid": 1.0, "reference": "r", "autoenc_source": "held_out",
             "n_samples": 8, "seed": 0, "feature_net": "f"}
            for d in ("lsun_horse", "ffhq") for m in ("+ autoencoding", "Ours", "DDIM") for T in (20, 10, 7)]
    for i, d in enumerate(("lsun_horse", "ffhq")):
        pd.DataFrame([r for r in rows if r["dataset"] == d]).to_csv(tmp_path / f"{i}.csv", index=False)
    df = diffae_table4_report([tmp_path / "0.csv", tmp_path / "1.csv"], tmp_path / "t4.csv", preset="embedded")
    assert list(df["dataset"].drop_duplicates()) == ["FFHQ 128", "Horse 128"]  # the paper's order
    assert list(df["model"][:3]) == ["DDIM"] * 3 and list(df["T"][:3]) == [7, 10, 20]
    ffhq = df[df["dataset"] == "FFHQ 128"].set_index(["model", "T"])["fid_paper"]
    assert ffhq[("DDIM", 10)] == 29.56 and ffhq[("+ autoencoding", 20)] == 10.70 and np.isnan(ffhq[("Ours", 7)])


def test_table7_median_throughput_skips_the_start_up_window(tmp_path):
    for model, values in (("ddim", [5.0, 100.0, 102.0, 98.0]), ("diffae", [4.0, 80.0, 81.0, 79.0])):
        pd.DataFrame({"step": [1, 2, 3, 4], "loss": 1.0, "img_per_s_per_rank": values}).to_csv(
            tmp_path / f"{model}.csv", index=False)
    assert median_throughput(tmp_path / "ddim.csv") == 100.0
    df = throughput_table({"ffhq": {"DDIM": tmp_path / "ddim.csv", "Diff-AE": tmp_path / "diffae.csv"}},
                          tmp_path / "t7.csv", preset="embedded")
    assert list(df["img_per_s"]) == [100.0, 80.0] and list(df["img_per_s_paper"]) == [51.0, 41.65]
    assert df["diffae_over_ddim"].iloc[0] == pytest.approx(0.8)
    assert df["diffae_over_ddim_paper"].iloc[0] == pytest.approx(41.65 / 51)


def test_generation_claims_on_constructed_tables():
    t4 = pd.DataFrame([{"dataset": "A", "model": m, "T": T, "fid": f} for m, T, f in
                       (("DDIM", 10, 30.0), ("Ours", 10, 20.0), ("+ autoencoding", 10, 15.0),
                        ("DDIM", 100, 12.0), ("Ours", 100, 11.0), ("+ autoencoding", 100, 5.0))])
    ppl = pd.DataFrame({"model": ["DDIM", "Diff-AE"], "ppl": [10.0, 3.0]})
    t7 = pd.DataFrame({"dataset": ["A", "A"], "model": ["DDIM", "Diff-AE"], "img_per_s": [50.0, 60.0]})
    got = evaluate_claims(Tables(diffae_table4=t4, diffae_ppl=ppl, diffae_table7=t7)).set_index("claim")["supported"]
    assert got["h1"] is True and got["h2"] is True and got["h3"] is True and got["i"] is True
    assert got["j"] is False  # Diff-AE faster than DDIM here: the claim must fail
    t4.loc[(t4["model"] == "Ours") & (t4["T"] == 100), "fid"] = 1.0  # gap grows with T: h3 fails, h1 too
    got = evaluate_claims(Tables(diffae_table4=t4)).set_index("claim")["supported"]
    assert got["h3"] is False and got["h1"] is False and got["i"] == "NA"
