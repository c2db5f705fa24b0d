"""DiffuseGAE stage layer: Table 2 reassembly on stub codecs, partitions, group data, recipes."""
import numpy as np
import pandas as pd
import pytest
import torch

from diffae.data.groups import GroupImages, group_members
from diffae.data.labels import attribute_codes
from diffae.diffusion import GaussianDiffusion
from diffae.eval.codecs import DiffuseGAECodec, proportional_partition
from diffae.nets import registry
from diffae.nets.partition import Partition
from diffae.eval.tables.diffusegae_table2 import reassemble_and_decode, row_specs
from diffae.report.paper_numbers import DIFFUSEGAE_TABLE2
from diffae.train.recipes.common import attribute_partition
from diffae.train.recipes.finetune import FinetuneRecipe
from diffae.train.recipes.gae import GAERecipe

P = Partition(("identity", "background", "pose"), (2, 1, 1))


class PixelStub:
    """Exact linear codec on 2x2 'images': z = flattened pixels of channel 0 (4 values = 2/1/1 parts)."""
    name, partition, stochastic = "stub", P, False

    def encode(self, x):
        return x[:, 0].flatten(1)

    def decode(self, z, T=None, x_T=None, generator=None):
        return z.view(-1, 1, 2, 2).repeat(1, 3, 1, 1)


class DiffusionStub(PixelStub):
    """Stochastic stub: decode adds x_T; invert returns x - decode(z); so inferred x_T reproduces x exactly."""
    stochastic = True

    def decode(self, z, T=None, x_T=None, generator=None):
        base = super().decode(z)
        return base + (x_T if x_T is not None else torch.randn(base.shape, generator=generator))

    def invert(self, x, z, T):
        return x - super().decode(z)


def make_group(b=3):
    """Centres and partners where partner k shares exactly part k with the centre."""
    torch.manual_seed(0)
    center = torch.randn(b, 3, 2, 2)
    center[:, 1:] = center[:, :1]
    partners = torch.randn(b, 3, 3, 2, 2)
    for k in range(3):
        z = partners[:, k, 0].flatten(1)
        z[:, P.slice(k)] = center[:, 0].flatten(1)[:, P.slice(k)]
        partners[:, k] = z.view(b, 1, 2, 2).repeat(1, 3, 1, 1)
    return center, partners


def test_reassembly_reproduces_the_centre_from_partners():
    center, partners = make_group()
    out = reassemble_and_decode(PixelStub(), center, partners, n_steps=10, x_T_mode="none")
    assert torch.allclose(out, center)
    # a partner that does not carry the centre's part breaks it
    partners[:, 1] = partners[:, 1] + 1.0
    assert not torch.allclose(reassemble_and_decode(PixelStub(), center, partners, n_steps=10, x_T_mode="none"), center)


def test_inferred_xT_reconstructs_random_does_not():
    center, partners = make_group()
    center = center + 0.1 * torch.randn_like(center)   # detail the latent cannot carry
    stub = DiffusionStub()
    inferred = reassemble_and_decode(stub, center, partners, 10, "inferred")
    random = reassemble_and_decode(stub, center, partners, 10, "random", torch.Generator().manual_seed(0))
    assert torch.allclose(inferred, center, atol=1e-6)
    assert (random - center).abs().mean() > 0.1


def test_table2_rows_are_the_papers():
    assert [r[0] for r in row_specs(100)] == list(DIFFUSEGAE_TABLE2)
    assert {r[1] for r in row_specs(100)} == {"GZS-Net", "Diff-AE", "DiffuseGAE", "DDIM"}


def test_proportional_partition():
    p = proportional_partition(("identity", "background", "pose"), (60, 20, 20), 512)
    assert p.sizes == (307, 103, 102) and p.dim == 512
    assert proportional_partition(("a", "b"), (1, 1), 7).dim == 7


def test_attribute_partition_needs_one_size_per_attribute():
    with pytest.raises(ValueError, match="one size per attribute"):
        attribute_partition(["identity", "background", "pose"], (60, 40))


def test_group_members_and_images(tmp_path):
    from diffae.data.groups import write_groups

    df = pd.DataFrame({"center": [0, 1], "partner_identity": [2, 3], "partner_background": [4, 5],
                       "partner_pose": [6, 7], "identity": ["a", "b"], "background": ["x", "y"], "pose": ["p", "q"]})
    write_groups(tmp_path / "g.csv", df)
    m = group_members(tmp_path / "g.csv", ["identity", "background", "pose"])
    assert m.tolist() == [[0, 2, 4, 6], [1, 3, 5, 7]]
    images = np.arange(8 * 4 * 4 * 3, dtype=np.uint8).reshape(8, 4, 4, 3)
    (x,) = GroupImages(images, m)[1]
    assert x.shape == (4, 3, 4, 4) and x.dtype == torch.uint8
    assert torch.equal(x[1], torch.from_numpy(images[3]).permute(2, 0, 1))


def test_attribute_codes_sorted_and_counted():
    labels = pd.DataFrame({"identity": ["car", "boat", "car"], "pose": ["r2", "r1", "r3"]})
    codes, counts = attribute_codes(labels, ["identity", "pose"])
    assert codes.tolist() == [[1, 1], [0, 0], [1, 2]] and counts == [2, 3]


def test_gae_and_finetune_recipes_train_all_their_modules():
    torch.manual_seed(0)
    gae = registry.build(registry.net_spec("GAE", z_dim=6, dis_dim=4, hidden=8, n_mlp=4, n_bottleneck=2, norm="layer"))
    loss, terms = GAERecipe(gae, P, 1.0, 0.5).loss([torch.randn(5, 4, 6)], 0)
    loss.backward()
    assert {"rec", "ss", "ur"} <= set(terms) and all(p.grad is not None for p in gae.parameters())

    enc = registry.build(registry.net_spec("encoder", kind="halfunet", image_size=8, base_channels=4, channel_mult=[1, 2],
                                       num_res_blocks=1, attn_resolutions=[], z_dim=6))
    unet = registry.build(registry.net_spec("UNet", image_size=8, cond_dim=6, base_channels=4, channel_mult=[1, 2],
                                        num_res_blocks=1, attn_resolutions=[], dropout=0.0, num_heads=1,
                                        embed_channels=8, z_shift=True))
    gae.zero_grad()
    recipe = FinetuneRecipe(enc, gae, unet, GaussianDiffusion.from_schedule("linear", 50), P,
                            torch.zeros(6), torch.ones(6), gamma=1.0, lambda_ss=0.5, lambda_ur=0.5)
    batch = [torch.randint(0, 256, (2, 4, 3, 8, 8), dtype=torch.uint8)]
    loss, terms = recipe.loss(batch, 0)
    loss.backward()
    assert {"l_simple", "l_dis"} <= set(terms)
    for name, module in recipe.modules().items():
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters()), name


def test_diffusegae_codec_normalises_and_denormalises():
    torch.manual_seed(0)

    class IdentityGAE(torch.nn.Module):
        def encode(self, z):
            return z

        def decode(self, z):
            return z

    mean, std = torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([2.0, 2.0, 2.0, 2.0])
    enc = lambda x: x[:, 0].flatten(1)  # noqa: E731
    codec = DiffuseGAECodec("DiffuseGAE", P, enc, None, None, True, gae=IdentityGAE(), mean=mean, std=std)
    x = torch.randn(3, 3, 2, 2)
    z = codec.encode(x)
    assert torch.allclose(z, (enc(x) - mean) / std)
    assert torch.allclose(codec.z_sem(z), enc(x))
