"""Official Diff-AE checkpoint compatibility: the shipped key/shape manifest of the release's
ffhq128_autoenc_130M model maps exactly onto our model (built on the meta device: no memory)."""

from __future__ import annotations

import json
from importlib import resources

import pytest
import torch

from diffae.nets import (
    UNet,
    build_official_autoencoder,
    count_parameters,
    map_official_state_dict,
    official_config,
)
from diffae.nets.official_keys import map_official_key

MANIFEST = "diffae_official_ffhq128_autoenc_keys.json"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(resources.files("diffae.resources").joinpath(MANIFEST).read_text())


@pytest.fixture(scope="module")
def ours() -> torch.nn.Module:
    return build_official_autoencoder("ffhq128_autoenc_130M", device="meta")


def test_manifest_maps_exactly_onto_our_state_dict(manifest, ours):
    assert manifest["config"] == "ffhq128_autoenc_130M"
    mapped = {map_official_key(k): tuple(v) for k, v in manifest["keys"].items()}
    assert None not in mapped  # no aliases in the autoencoder
    our_shapes = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    assert sorted(set(mapped) - set(our_shapes)) == []  # nothing unexpected
    assert sorted(set(our_shapes) - set(mapped)) == []  # nothing missing
    assert {k: s for k, s in mapped.items() if our_shapes[k] != s} == {}
    assert len(mapped) == len(manifest["keys"])  # the mapping is injective


def test_parameter_count_matches_release(manifest, ours):
    assert count_parameters(ours) == manifest["num_parameters"] == 128_545_155


def test_synthetic_checkpoint_loads_strict(manifest, ours):
    ckpt = {}
    for prefix in manifest["checkpoint_prefixes"]:
        for k, shape in manifest["keys"].items():
            ckpt[prefix + k] = torch.empty(shape, device="meta")
    ckpt["x_T"] = torch.empty(1, 3, 128, 128, device="meta")  # Lightning module buffer, not model
    mapped = map_official_state_dict(ckpt, prefix="ema_model.")
    assert len(mapped) == len(manifest["keys"])
    result = ours.load_state_dict(mapped, strict=True, assign=True)
    assert not result.missing_keys and not result.unexpected_keys


def test_mapping_selects_prefix_and_keeps_tensors():
    small = {"model.encoder.out.3.weight": torch.zeros(1), "ema_model.encoder.out.3.weight": torch.ones(1),
             "ema_model.time_embed.time_embed.0.bias": torch.full((1,), 2.0),
             "ema_model.output_blocks.0.0.in_layers.2.weight": torch.full((1,), 3.0),
             "ema_model.latent_net.layers.0.linear_emb.weight": torch.ones(1),
             "ema_model.latent_net.layers.0.cond_layers.1.weight": torch.ones(1)}
    ema = map_official_state_dict(small)
    assert ema["encoder.out.3.weight"] is small["ema_model.encoder.out.3.weight"]
    assert set(ema) == {"encoder.out.3.weight", "decoder.time_embed.0.bias",
                        "decoder.output_blocks.0.0.in_layers.2.weight",
                        "latent_net.layers.0.cond_layers.1.weight"}
    assert map_official_state_dict(small, prefix="model.")["encoder.out.3.weight"].item() == 0.0
    with pytest.raises(KeyError, match="no key starts with prefix 'module.'"):
        map_official_state_dict(small, prefix="module.")


def test_official_config_is_a_copy_and_validates():
    cfg = official_config()
    assert cfg["decoder"]["channel_mult"] == (1, 1, 2, 3, 4)  # Diff-AE Table 5, FFHQ 128
    assert cfg["encoder"]["channel_mult"] == (1, 1, 2, 3, 4, 4)
    cfg["decoder"]["base_channels"] = 1
    assert official_config()["decoder"]["base_channels"] == 128
    with pytest.raises(ValueError, match="unknown config 'ffhq1024'"):
        official_config("ffhq1024")


def test_unconditional_release_unet_has_identical_names(manifest):
    # Release DDIM baselines (BeatGANsUNetModel) = the autoencoder's decoder without z layers,
    # with time_embed.* stored directly: their keys equal our UNet(cond_dim=None) keys.
    expected = {
        k.replace("time_embed.time_embed.", "time_embed."): tuple(v)
        for k, v in manifest["keys"].items()
        if not k.startswith("encoder.") and ".cond_emb_layers." not in k
    }
    cfg = {**official_config()["decoder"], "cond_dim": None}
    with torch.device("meta"):
        net = UNet(**cfg)
    assert {k: tuple(v.shape) for k, v in net.state_dict().items()} == expected


def test_init_from_imports_the_release_ema_weights(tmp_path, monkeypatch):
    """diffae_zoo.init_from: a release-format checkpoint (EMA under ema_model., the raw model under model.) becomes a
    final.pt that load_trained rebuilds with the release's architecture and EMA weights; a misfit is an error."""
    from diffae.artifacts import load_trained
    from diffae.config import DiffusionConfig
    from diffae.nets import encoders, unet
    from diffae.train import official_import

    small = {"decoder": dict(in_channels=3, base_channels=8, channel_mult=(1, 2), num_res_blocks=1,
                             attn_resolutions=(8,), image_size=16, dropout=0.1, num_heads=1, num_head_channels=-1,
                             cond_dim=12, embed_channels=16, time_embed_channels=8, cond_act=True,
                             resblock_updown=True, scale_bias=1.0, z_shift=False),
             "encoder": dict(in_channels=3, base_channels=8, channel_mult=(1, 2, 2), num_res_blocks=1,
                             attn_resolutions=(8,), image_size=16, z_dim=12, dropout=0.1, num_heads=1,
                             num_head_channels=-1, resblock_updown=True, resblock_convs=1)}
    monkeypatch.setattr(official_import, "official_config", lambda name: small)
    torch.manual_seed(0)
    enc, dec = encoders.HalfUNetEncoder(**small["encoder"]), unet.UNet(**small["decoder"])
    state = {"x_T": torch.zeros(1, 3, 16, 16)}
    for prefix, scale in (("ema_model.", 1.0), ("model.", 0.0)):  # the raw model must not be the one imported
        state.update({f"{prefix}encoder.{k}": v * scale for k, v in enc.state_dict().items()})
        state.update({f"{prefix}{'time_embed.' if k.startswith('time_embed.') else ''}{k}": v * scale
                      for k, v in dec.state_dict().items()})
    torch.save({"state_dict": state, "epoch": 3}, tmp_path / "last.ckpt")
    diff = DiffusionConfig(T=1000, beta_schedule="linear", T_eval=10, T_recon=(10,), clip_x0=True)
    final = official_import.import_official_diffae(tmp_path / "last.ckpt", tmp_path / "out", image_size=16,
                                                   diff_cfg=diff)
    m = load_trained(final)
    for ours, ref in ((m["encoder"], enc), (m["unet"], dec)):
        for k, v in ref.state_dict().items():
            torch.testing.assert_close(ours.state_dict()[k], v)
    assert m.meta["init_from"].endswith("last.ckpt") and m.diffusion.T == 1000
    with pytest.raises(ValueError, match="px model but the prepared data is 32 px"):
        official_import.import_official_diffae(tmp_path / "last.ckpt", tmp_path / "o2", image_size=32, diff_cfg=diff)
    del state["ema_model.encoder.out.3.weight" if "ema_model.encoder.out.3.weight" in state else
              next(k for k in state if k.startswith("ema_model.encoder."))]
    torch.save({"state_dict": state}, tmp_path / "bad.ckpt")
    with pytest.raises(ValueError, match="does not fit"):
        official_import.import_official_diffae(tmp_path / "bad.ckpt", tmp_path / "o3", image_size=16, diff_cfg=diff)


def _small_release(monkeypatch):
    """The release importers pointed at a 16 px architecture (same flags) and a 12-wide, 3-layer latent net."""
    from diffae.train import official_import

    dec = dict(in_channels=3, base_channels=8, channel_mult=(1, 2), num_res_blocks=1, attn_resolutions=(8,),
               image_size=16, dropout=0.1, num_heads=1, num_head_channels=-1, cond_dim=None, embed_channels=16,
               time_embed_channels=8, cond_act=True, resblock_updown=True, scale_bias=1.0, z_shift=False)
    latent = dict(z_dim=12, hidden=16, num_layers=3, time_embed_channels=8, use_norm=True, condition_bias=1.0,
                  dropout=0.0, skip=True)
    configs = {"ffhq128_ddpm_130M": {"decoder": dec}, "ffhq128_autoenc_latent": {"latent": latent}}
    monkeypatch.setattr(official_import, "official_config", lambda name: configs[name])
    return official_import, dec, latent


def test_init_from_imports_the_release_ddim(tmp_path, monkeypatch):
    """A release DDIM (BeatGANsUNetModel: time_embed.* stored directly) becomes a DDIM final.pt with its EMA
    weights; an autoencoder checkpoint given as the DDIM is refused, naming the unexpected keys."""
    from diffae.artifacts import load_trained
    from diffae.config import DiffusionConfig

    official_import, dec, _ = _small_release(monkeypatch)
    torch.manual_seed(1)
    ref = UNet(**dec)
    state = {f"ema_model.{k}": v for k, v in ref.state_dict().items()}
    state.update({f"model.{k}": torch.zeros_like(v) for k, v in ref.state_dict().items()})
    torch.save({"state_dict": state}, tmp_path / "ddpm.ckpt")
    diff = DiffusionConfig(T=1000, beta_schedule="linear", T_eval=10, T_recon=(10,), clip_x0=True)
    m = load_trained(official_import.import_official_ddim(tmp_path / "ddpm.ckpt", tmp_path / "ddim", image_size=16,
                                                          diff_cfg=diff))
    assert m.meta["kind"] == "ddim" and m.meta["diffusion"] == {"T": 1000, "beta_schedule": "linear"}
    for k, v in ref.state_dict().items():
        torch.testing.assert_close(m["unet"].state_dict()[k], v)
    state["ema_model.encoder.out.0.weight"] = torch.zeros(1)
    torch.save({"state_dict": state}, tmp_path / "autoenc.ckpt")
    with pytest.raises(ValueError, match=r"does not fit .*unexpected \['encoder.out.0.weight'\]"):
        official_import.import_official_ddim(tmp_path / "autoenc.ckpt", tmp_path / "x", image_size=16, diff_cfg=diff)
    cosine = DiffusionConfig(T=1000, beta_schedule="cosine", T_eval=10, T_recon=(10,), clip_x0=True)
    with pytest.raises(ValueError, match="diffusion.T/beta_schedule"):
        official_import.import_official_ddim(tmp_path / "ddpm.ckpt", tmp_path / "y", image_size=16, diff_cfg=cosine)


def test_init_from_imports_the_release_latent_ddim_with_its_statistics(tmp_path, monkeypatch):
    """A release latent DDIM (ema_model.latent_net.*, with the duplicate linear_emb alias, and the Lightning
    module's conds_mean/conds_std buffers of shape (1, d)) becomes a latent_ddim final.pt whose net predicts
    what the original does and whose normalisation is the release's; without the statistics it is refused."""
    from diffae.artifacts import load_trained
    from diffae.nets.latent_mlp import LatentMLP

    official_import, _, latent = _small_release(monkeypatch)
    torch.manual_seed(2)
    ref = LatentMLP(**latent).eval()
    state = {f"ema_model.latent_net.{k}": v for k, v in ref.state_dict().items()}
    for k in list(state):  # the release stores each layer's condition projection twice
        if ".cond_layers.1." in k:
            state[k.replace(".cond_layers.1.", ".linear_emb.")] = state[k]
    state["ema_model.encoder.out.0.weight"] = torch.zeros(1)  # the autoencoder is in the same file; not taken here
    mean, std = torch.randn(1, 12), torch.rand(1, 12) + 0.5
    torch.save({"state_dict": {**state, "conds_mean": mean, "conds_std": std}}, tmp_path / "latent.ckpt")
    m = load_trained(official_import.import_official_latent_ddim(tmp_path / "latent.ckpt", tmp_path / "lat"))
    assert m.meta["kind"] == "latent_ddim" and m.meta["diffusion"] == {"T": 1000, "beta_schedule": "const0.008"}
    torch.testing.assert_close(torch.tensor(m.meta["latent_mean"]), mean[0])
    torch.testing.assert_close(torch.tensor(m.meta["latent_std"]), std[0])
    z, t = torch.randn(5, 12), torch.tensor([0, 10, 200, 500, 999])
    torch.testing.assert_close(m["latent"](z, t), ref(z, t))
    torch.save({"state_dict": state}, tmp_path / "no_stats.ckpt")
    with pytest.raises(ValueError, match=r"no \['conds_mean', 'conds_std'\]"):
        official_import.import_official_latent_ddim(tmp_path / "no_stats.ckpt", tmp_path / "lat2")


def test_init_from_config_and_release_coverage(monkeypatch):
    """diffae_zoo.init_from entries: per kind, a latent DDIM only with its autoencoder, datasets the release covers;
    a zoo dataset without an entry trains (run_zoo falls through to run)."""
    from pydantic import ValidationError

    from diffae.config import OfficialModels
    from diffae.nets.latent_mlp import LatentMLP
    from diffae.train.official_import import RELEASES, release_name
    from diffae.train.recipes import latent_ddim

    assert OfficialModels(diffae="a.ckpt").ddim is None
    with pytest.raises(ValidationError, match="set diffae too"):
        OfficialModels(latent_ddim="l.ckpt")
    assert release_name("lsun_horse", "latent_ddim") == "horse128_autoenc_latent"
    with pytest.raises(ValueError, match="diffae_zoo.init_from.celeba: the official release has no celeba"):
        release_name("celeba", "diffae")
    for names in RELEASES.values():  # every release name has an architecture of its kind
        assert set(official_config(names["diffae"])) == {"decoder", "encoder"}
        assert official_config(names["ddim"])["decoder"]["cond_dim"] is None
        cfg = official_config(names["latent_ddim"])["latent"]
        with torch.device("meta"):
            assert len(LatentMLP(**cfg).layers) == cfg["num_layers"]
    assert official_config("horse128_autoenc_latent")["latent"]["num_layers"] == 20  # templates_latent.py
    assert official_config("ffhq128_autoenc_latent")["latent"]["num_layers"] == 10
    seen = {}
    monkeypatch.setattr(latent_ddim, "run", lambda **kw: seen.setdefault("trained", kw["out_dir"]))
    latent_ddim.run_zoo(dataset="celeba", init_from={"ffhq": OfficialModels(diffae="a")}, out_dir="o")
    assert seen == {"trained": "o"}
