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
