"""DiffSiam's generation figures: the PDAE codec (Algorithm 2's sampler and inversion), the grids and Fig. 4.9."""
from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from _tiny_artifacts import tiny_artifacts
from _tiny_recipe import train_config

from diffae.config import DiffSiamFiguresEval, DiffSiamNets, DiffSiamRun, DiffusionConfig, ParamsError, load_params, parse
from diffae.data.stages import prepare_cifar10
from diffae.data.standin_cifar import write_standin_cifar
from diffae.diffusion import DDIM, GaussianDiffusion
from diffae.eval import editing
from diffae.eval.diffsiam_codec import PDAECodec, PDAEEps, load_pdae_codec, segment_partition
from diffae.eval.diffsiam_figures import check_segment_ranges, diffsiam_figure_name, write_diffsiam_figures
from diffae.eval.figure_data import load_grid
from diffae.nets.pdae_shift import PDAEShift
from diffae.nets.resnet10 import ResNet10
from diffae.nets.siamese import masked_code
from diffae.report.figures_diffsiam import diffsiam_figures, loss_curves
from diffae.train.recipes import diffsiam

TINY = dict(base_channels=8, channel_mult=(1, 2), num_res_blocks=1, attn_resolutions=(), embed_channels=16,
            dropout=0.0)


def _codec(seed: int = 0, *, nonzero_shift: bool = True, **eps_kwargs) -> PDAECodec:
    torch.manual_seed(seed)
    shift = PDAEShift(z_dim=8, image_size=8, **TINY).eval()
    for name, p in shift.named_parameters():  # zero-initialised out convs: make both paths non-trivial
        if name.startswith("dm.out") or (nonzero_shift and name.startswith("shift_out")):
            p.data.normal_(0, 0.05)
    diffusion = GaussianDiffusion.from_schedule("linear", 100)
    kwargs = {"form": "train", "sample_mask": "full", "variant": "hierarchical", "n_segments": 4, **eps_kwargs}
    eps = PDAEEps(shift, diffusion, **kwargs)
    return PDAECodec("DiffSiam", segment_partition(8, 4), ResNet10(width=1, z_dim=8).eval(), eps, diffusion, True)


def test_zero_shift_decodes_as_the_frozen_dm():
    codec = _codec(nonzero_shift=False)
    x_T, z = torch.randn(2, 3, 8, 8), torch.randn(2, 8)
    plain = DDIM(codec.diffusion, 5, clip_x0=True).sample(codec.unet.shift.dm, x_T)
    torch.testing.assert_close(codec.decode(z, 5, x_T=x_T), plain)


def test_shifted_sampler_moves_x0_by_w_times_g():
    codec = _codec()
    x, t, z = torch.randn(3, 3, 8, 8), torch.tensor([5, 40, 90]), torch.randn(3, 8)
    eps, g = codec.unet.shift(x, t, z)
    x0_plain = codec.diffusion.pred_x0_from_eps(x, t, eps)
    x0_shift = codec.diffusion.pred_x0_from_eps(x, t, codec.unet(x, t, z))
    w = torch.from_numpy(codec.unet.weights.w_train[t.numpy()]).float().view(-1, 1, 1, 1)
    assert g.abs().sum() > 0
    torch.testing.assert_close(x0_shift, x0_plain + w * g, rtol=1e-4, atol=1e-4)


def test_inversion_goes_through_the_frozen_dm_unless_guided():
    codec = _codec()
    x = torch.rand(2, 3, 8, 8) * 2 - 1
    z1, z2 = torch.randn(2, 8), torch.randn(2, 8)
    torch.testing.assert_close(codec.invert(x, z1, 4), codec.invert(x, z2, 4))
    torch.testing.assert_close(codec.invert(x, z1, 4), DDIM(codec.diffusion, 4, clip_x0=True).invert(
        codec.unet.shift.dm, x))
    guided = copy.copy(codec)
    guided.invert_with_guidance = True
    assert not torch.allclose(guided.invert(x, z1, 4), guided.invert(x, z2, 4))


def test_step_block_mask_shows_the_current_block_only():
    codec = _codec(sample_mask="step_block")
    x, z = torch.randn(2, 3, 8, 8), torch.randn(2, 8)
    t = torch.tensor([10, 80])  # blocks 1 and 4 of 4 over T = 100
    eps, g = codec.unet.shift(x, t, masked_code(z, torch.tensor([1, 4]), 4, "hierarchical"))
    want = codec.unet.weights.shifted_eps(eps, g, t, codec.diffusion, "train")
    torch.testing.assert_close(codec.unet(x, t, z), want)
    full = _codec(sample_mask="full")
    assert not torch.allclose(full.unet(x, t, z), want)
    with pytest.raises(ValueError, match="sample_mask"):
        _codec(sample_mask="per_step")


def test_counterfactual_lerps_only_the_chosen_segments(monkeypatch):
    codec = _codec()
    assert codec.partition.slice("s2") == slice(2, 4) and codec.partition.names == ("s1", "s2", "s3", "s4")
    seen = []
    monkeypatch.setattr(editing, "_decode", lambda c, z, n, x_T: (seen.append(z.clone()), torch.zeros(1, 3, 8, 8))[1])
    x1, x2 = torch.rand(1, 3, 8, 8) * 2 - 1, torch.rand(1, 3, 8, 8) * 2 - 1
    editing.interpolate(codec, x1, x2, [0.0, 0.5, 1.0], n_steps=2, parts=["s2", "s3"])
    z1, z2 = codec.encode(x1), codec.encode(x2)
    torch.testing.assert_close(seen[0], z1)
    torch.testing.assert_close(seen[2][:, 2:6], z2[:, 2:6])
    torch.testing.assert_close(seen[2][:, [0, 1, 6, 7]], z1[:, [0, 1, 6, 7]])
    torch.testing.assert_close(seen[1][:, 2:6], (z1[:, 2:6] + z2[:, 2:6]) / 2)


def test_segment_ranges_and_names():
    assert check_segment_ranges([[0, 2], [2, 8]], 8) == [(0, 2), (2, 8)]
    for bad in ([2, 2], [0, 9], [-1, 3], [1]):
        with pytest.raises(ValueError, match="segment_ranges"):
            check_segment_ranges([bad], 8)
    assert diffsiam_figure_name("counterfactuals", "lsun_bedroom") == "fig4_2_counterfactuals_lsun_bedroom"
    assert diffsiam_figure_name("counterfactuals", "cifar10") == "diffsiam_counterfactuals_cifar10"
    with pytest.raises(ValueError, match="segment"):
        segment_partition(10, 4)


def test_params_refuse_unknown_or_decoderless_figure_runs(repo, tmp_path):
    raw = yaml.safe_load((repo / "params.yaml").read_text())
    for key, value, match in (("runs", ["pdae", "nope"], "eval.diffsiam_figures.runs"),
                              ("loss_runs", ["simsiam"], "SimSiam runs")):
        bad = copy.deepcopy(raw)
        bad["eval"]["diffsiam_figures"][key] = value
        (tmp_path / "p.yaml").write_text(yaml.safe_dump(bad))
        with pytest.raises(ParamsError, match=match):
            load_params(tmp_path / "p.yaml")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("diffsiam_figures")
    write_standin_cifar(root / "cifar10_standin", "cifar10", n_train_per_class=1, n_test_per_class=1, seed=0)
    prepare_cifar10(None, root / "cifar10_standin", root / "prepared")
    all_runs = {name: parse(DiffSiamRun, {"method": method, "variant": variant, "k_mode": "timestep_block"})
                for name, method, variant in (("pdae", "pdae", "hierarchical"), ("hier", "diffsiam", "hierarchical"),
                                              ("hier_detach", "diffsiam", "hierarchical_detach"))}
    nets = parse(DiffSiamNets, {"encoder_width": 1, "z_dim": None, "n_segments": 4, "pred_hidden": 4,
                                "projector": False})
    diff = parse(DiffusionConfig, {"T": 50, "beta_schedule": "linear", "T_eval": 5, "T_recon": [5], "clip_x0": True})
    dm = tiny_artifacts(root)["ddim"]
    for name in all_runs:
        diffsiam.run(run=name, runs=all_runs, simsiam_weight=1.0, nets=nets, prepared=str(root / "prepared"),
                     dm=str(dm), out_dir=str(root / "models" / name),
                     train_cfg=train_config(steps=3, batch_size=4, lr=0.05, optimizer="sgd", ema_decay=0.0,
                                            log_every=1),
                     diff_cfg=diff, seed=0, device="cpu", on_mismatch="refuse")
    return root, dm, all_runs


def test_grids_of_the_figures(runs, repo):
    root, dm, all_runs = runs
    cfg = parse(DiffSiamFiguresEval, {
        "runs": ["pdae", "hier"], "loss_runs": ["hier", "hier_detach"], "n_pairs": 2,
        "segment_ranges": [[0, 1], [1, 4]], "scales": [0.5, 1.0], "n_interp": 3, "T": 2, "lost_t": [10, 40],
        "shift_form": "train", "sample_mask": "full", "invert_with_guidance": False, "seed": 0})
    paths = write_diffsiam_figures(models_dir=root / "models", dm=dm, runs=cfg.runs, all_runs=all_runs,
                                   prepared=root / "prepared", outdir=root / "grids", dataset="cifar10", cfg=cfg,
                                   manipulation=load_params(repo / "params.yaml").eval.diffsiam_manipulation,
                                   clip_x0=True, preset="test", device="cpu")
    grids = {p.stem: load_grid(p) for p in paths}
    lost = grids["diffsiam_lost_attributes_cifar10"]
    assert [t for t, _ in lost.columns] == ["x0", "x_t, t=10", "x0_hat, t=10", "x_t, t=40", "x0_hat, t=40"]
    assert lost.columns[0][1].shape == (2, 32, 32, 3)
    cf = grids["diffsiam_counterfactuals_cifar10"]
    assert len(cf.columns) == 2 + 2 and len(cf.row_labels) == 2 * 2 * 2 * 2  # codecs x ranges x pairs x directions
    assert cf.row_labels[0] == "PDAE 0-1: x0 -> x0'" and cf.row_labels[-1] == "DiffSiam (Hier.) 1-4: x0' -> x0"
    src, tgt = cf.columns[0][1], cf.columns[-1][1]
    np.testing.assert_array_equal(src[0], tgt[1])  # the mirror row starts from the other image
    assert "through the frozen DM alone" in cf.caption
    interp = grids["diffsiam_interpolation_cifar10"]
    assert len(interp.columns) == 3 + 2 and interp.row_labels == ["PDAE", "PDAE", "DiffSiam (Hier.)",
                                                                   "DiffSiam (Hier.)"]
    with pytest.raises(ValueError, match="SimSiam"):
        write_diffsiam_figures(models_dir=root / "models", dm=dm, runs=["s"], cfg=cfg, prepared=root / "prepared",
                               all_runs={"s": parse(DiffSiamRun, {"method": "simsiam", "variant": "hierarchical",
                                                                  "k_mode": "timestep_block"})},
                               outdir=root / "x", dataset="cifar10", manipulation=None, clip_x0=True, preset="test",
                               device="cpu")
    with pytest.raises(ValueError, match="no decoder"):
        load_pdae_codec(dm, "DDIM")  # a DM artifact is not a run
    out = diffsiam_figures(grids_dirs=[root / "grids"], models_dir=root / "models", loss_runs=cfg.loss_runs,
                           runs=all_runs, preset="test", outdir=root / "figures")
    assert sorted(p.name for p in out) == sorted([f"{p.stem}.png" for p in paths] + ["fig4_9_loss.png"])
    assert all(p.stat().st_size > 5000 for p in out)
    curves = pd.read_csv(root / "figures" / "fig4_9_loss.csv")
    assert set(curves["label"]) == {"DiffSiam (Hier.)", "DiffSiam (Hier.-Detach)"}
    assert list(curves[curves["run"] == "hier"]["step"]) == [1, 2, 3] and (curves["l_diffusion"] > 0).all()


def test_loss_curves_need_the_diffusion_term(tmp_path):
    (tmp_path / "simsiam").mkdir()
    (tmp_path / "simsiam" / "metrics.csv").write_text("step,loss,l_simsiam\n1,0.5,0.5\n")
    with pytest.raises(ValueError, match="l_diffusion"):
        loss_curves({"simsiam": tmp_path / "simsiam" / "metrics.csv"})
    with pytest.raises(FileNotFoundError, match="nope"):
        loss_curves({"nope": tmp_path / "nope" / "metrics.csv"})


def test_loss_gap_in_the_caption():
    from diffae.report.figures_diffsiam import largest_gap
    curves = pd.DataFrame({"run": ["a", "a", "b", "b", "b"], "step": [1, 2, 1, 2, 3],
                           "l_diffusion": [1.0, 0.5, 1.0, 0.6, 0.1]})
    assert largest_gap(curves, {"a": "A"}) == " Largest difference from A: 20 % of its loss."
    assert largest_gap(curves[curves.run == "a"], {}) == ""
