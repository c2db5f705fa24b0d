"""Diff-AE stage layer: artifacts rebuild their nets, latents round-trip, reconstruction modes behave."""
import numpy as np
import pytest
import torch

from diffae.artifacts import load_trained
from diffae.data.latents import load_latents, save_latents
from diffae.diffusion import GaussianDiffusion
from diffae.eval.codecs import DiffAECodec, DiffusionCodec
from diffae.eval.tables.diffae_table2 import mean_metrics
from diffae.nets import registry
from diffae.train.checkpoint import save_final
from diffae.train.recipes.common import images_from_batch
from diffae.train.recipes.ddim import DDIMRecipe
from diffae.train.recipes.diffae import DiffAERecipe


def tiny_specs(size=8):
    enc = registry.net_spec("encoder", kind="halfunet", image_size=size, base_channels=4, channel_mult=[1, 2],
                          num_res_blocks=1, attn_resolutions=[], z_dim=6)
    unet = registry.net_spec("UNet", image_size=size, cond_dim=6, base_channels=4, channel_mult=[1, 2],
                           num_res_blocks=1, attn_resolutions=[], dropout=0.0, num_heads=1, embed_channels=8,
                           z_shift=False)
    return {"encoder": enc, "unet": unet}


def test_load_trained_rebuilds_exact_weights(tmp_path):
    torch.manual_seed(0)
    specs = tiny_specs()
    nets = {k: registry.build(v) for k, v in specs.items()}
    meta = {"nets": specs, "diffusion": {"T": 50, "beta_schedule": "linear"}}
    save_final(tmp_path / "final.pt", {k: n.state_dict() for k, n in nets.items()}, meta, step=1, ema=False, config={})
    trained = load_trained(tmp_path / "final.pt")
    x = torch.randn(2, 3, 8, 8)
    t = torch.tensor([3, 40])
    z = nets["encoder"](x)
    assert torch.equal(trained["encoder"](x), z)
    assert torch.equal(trained["unet"](x, t, z), nets["unet"](x, t, z))
    assert trained.diffusion.T == 50
    assert not any(p.requires_grad for p in trained["unet"].parameters())
    with pytest.raises(KeyError, match="no module 'gae'"):
        trained["gae"]


def test_unknown_constructor_is_named():
    with pytest.raises(KeyError, match="Nope"):
        registry.net_spec("Nope")


def test_recipes_losses_and_gradients():
    torch.manual_seed(0)
    specs = tiny_specs()
    enc, unet = registry.build(specs["encoder"]), registry.build(specs["unet"])
    diffusion = GaussianDiffusion.from_schedule("linear", 50)
    batch = [torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)]
    x = images_from_batch(batch)
    assert x.min() >= -1 and x.max() <= 1 and x.dtype == torch.float32
    loss, terms = DiffAERecipe(enc, unet, diffusion).loss(batch, 0)
    loss.backward()
    assert loss.item() > 0 and "l_simple" in terms
    assert all(p.grad is not None for p in enc.parameters() if p.requires_grad), "gradients must reach the encoder"
    uncond = registry.build({**specs["unet"], "kwargs": {**specs["unet"]["kwargs"], "cond_dim": None}})
    loss2, _ = DDIMRecipe(uncond, diffusion).loss(batch, 0)
    assert torch.isfinite(loss2)


def test_latents_roundtrip_and_normalisation(tmp_path):
    rng = np.random.default_rng(0)
    z = rng.normal(3.0, 2.0, size=(20, 5)).astype(np.float32)
    split = np.array(["train"] * 15 + ["test"] * 5)
    save_latents(tmp_path / "z.npz", z, np.arange(20), split, {"a": 1})
    lat = load_latents(tmp_path / "z.npz")
    assert np.allclose(lat.z, z) and lat.meta == {"a": 1}
    zn = lat.normalised("train")
    assert np.allclose(zn.mean(0), 0, atol=1e-5) and np.allclose(zn.std(0), 1, atol=1e-4)
    assert lat.select("test").shape == (5, 5)
    with pytest.raises(FileNotFoundError, match="diffae encode"):
        load_latents(tmp_path / "missing.npz")


class OracleEps(torch.nn.Module):
    """eps model that knows x0: exact noise for the target image (cond ignored)."""

    def __init__(self, x0, diffusion):
        super().__init__()
        self.x0, self.d = x0, diffusion

    def forward(self, x, t, cond=None):
        return self.d.pred_eps_from_x0(x, t, self.x0)


def test_reconstruction_modes_on_an_oracle():
    torch.manual_seed(0)
    d = GaussianDiffusion.from_schedule("linear", 100)
    x0 = torch.rand(3, 3, 8, 8) * 1.6 - 0.8
    oracle = OracleEps(x0, d)
    enc = lambda x: torch.zeros(len(x), 4)  # noqa: E731
    ddim = DiffusionCodec("DDIM", None, None, oracle, d, True)  # no encoder: the unconditional DDIM row
    diffae = DiffAECodec("Diff-AE", None, enc, oracle, d, True)
    for codec in (ddim, diffae):
        out = codec.reconstruct(x0, n_steps=10, x_T="inferred")
        assert torch.allclose(out, x0, atol=1e-4), codec.name
    with pytest.raises(ValueError, match="unknown reconstruction mode"):
        diffae.reconstruct(x0, n_steps=10, x_T="bogus")


def test_random_xT_is_seeded_and_inferred_beats_random():
    torch.manual_seed(0)
    d = GaussianDiffusion.from_schedule("linear", 100)
    x0 = torch.rand(4, 3, 8, 8) * 1.6 - 0.8
    # a generic smooth model that knows nothing of x0: only inversion can carry x0 to x_T
    model = lambda x, t, cond=None: 0.5 * torch.tanh(x)  # noqa: E731
    enc = lambda x: torch.zeros(len(x), 4)  # noqa: E731
    mse = lambda a, b: {"mse": ((a - b) ** 2).mean(dim=(1, 2, 3)).numpy()}  # noqa: E731
    codec = DiffAECodec("Diff-AE", None, enc, model, d, True)
    r1 = mean_metrics(codec, x0, n_steps=50, x_T="random", metric_fn=mse, batch_size=4, seed=3)
    r2 = mean_metrics(codec, x0, n_steps=50, x_T="random", metric_fn=mse, batch_size=4, seed=3)
    inf = mean_metrics(codec, x0, n_steps=50, x_T="inferred", metric_fn=mse, batch_size=4, seed=3)
    assert r1 == r2
    assert inf["mse"] < r1["mse"]
