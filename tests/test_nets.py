"""Tests for diffae.nets: UNet + AdaGN, semantic encoders, latent MLP (tiny CPU configs)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from diffae.nets import (
    AlterResNet,
    DiffusionAutoencoder,
    HalfUNetEncoder,
    LatentMLP,
    UNet,
    build_encoder,
    count_parameters,
    timestep_embedding,
)
from diffae.nets.layers import AttentionBlock, ResBlock, adagn_modulate

torch.set_num_threads(2)

TINY_UNET = dict(
    base_channels=8, channel_mult=(1, 2), num_res_blocks=1, attn_resolutions=(8,),
    image_size=16, dropout=0.0, cond_dim=12, embed_channels=16,
)
TINY_ENC = dict(base_channels=8, channel_mult=(1, 2, 2), num_res_blocks=1, attn_resolutions=(8,),
                image_size=16, z_dim=12)


def randomize_(module: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Overwrite every parameter (incl. zero-initialised output convs) with seeded noise."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            if p.ndim >= 2:  # weights: unit-variance fan-in scaling
                p.copy_(noise / math.sqrt(p[0].numel()))
            elif "norm" in name or name.endswith("in_layers.0.weight") or name.endswith("out_layers.0.weight") \
                    or name.endswith("out.0.weight"):
                p.copy_(1 + 0.1 * noise)  # GroupNorm / LayerNorm gains
            else:
                p.copy_(0.1 * noise)  # biases
    return module


def inputs(n: int = 2, size: int = 16, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, size, size, generator=g), torch.tensor([3, 700][:n] + [5] * max(0, n - 2))


def test_timestep_embedding_values():
    e = timestep_embedding(torch.tensor([0, 10]), 8)
    assert e.shape == (2, 8)
    torch.testing.assert_close(e[0], torch.tensor([1.0] * 4 + [0.0] * 4))
    freqs = torch.exp(-math.log(10000.0) * torch.arange(4) / 4)
    torch.testing.assert_close(e[1, :4], torch.cos(10 * freqs))
    assert timestep_embedding(torch.tensor([1]), 7).shape == (1, 7)


@pytest.mark.parametrize("cond_dim,updown", [(12, True), (None, True), (12, False)])
def test_unet_output_shape(cond_dim, updown):
    net = UNet(**{**TINY_UNET, "cond_dim": cond_dim, "resblock_updown": updown}).eval()
    x, t = inputs()
    cond = torch.randn(2, 12) if cond_dim else None
    assert net(x, t, cond).shape == x.shape


def test_unet_rejects_wrong_cond():
    x, t = inputs()
    with pytest.raises(ValueError, match="cond"):
        UNet(**TINY_UNET)(x, t)
    with pytest.raises(ValueError, match="unconditional"):
        UNet(**{**TINY_UNET, "cond_dim": None})(x, t, torch.randn(2, 12))
    with pytest.raises(ValueError, match="image_size"):
        UNet(**{**TINY_UNET, "image_size": 15})


def test_unet_output_zero_at_init():
    # ADM init: zero output conv, so the initial eps prediction is exactly 0.
    x, t = inputs()
    assert torch.count_nonzero(UNet(**TINY_UNET)(x, t, torch.randn(2, 12))) == 0


@pytest.mark.parametrize("z_shift", [False, True])
def test_z_conditioning_changes_output(z_shift):
    net = randomize_(UNet(**{**TINY_UNET, "z_shift": z_shift})).eval()
    x, t = inputs()
    z = torch.randn(2, 12)
    a, b = net(x, t, z), net(x, t, z + 1.0)
    assert (a - b).abs().max() > 1e-3
    torch.testing.assert_close(net(x, t, z), a)  # deterministic in eval mode


def test_z_shift_adds_one_affine_per_resblock():
    base, shifted = UNet(**TINY_UNET), UNet(**{**TINY_UNET, "z_shift": True})
    blocks = [m for m in base.modules() if isinstance(m, ResBlock)]
    extra = sum(b.out_channels * (12 + 1) for b in blocks)
    assert count_parameters(shifted) - count_parameters(base) == extra
    assert count_parameters(UNet(**{**TINY_UNET, "cond_dim": None})) < count_parameters(base)


def test_gradient_reaches_encoder_through_cond():
    enc = HalfUNetEncoder(**TINY_ENC)
    model = randomize_(DiffusionAutoencoder(enc, UNet(**TINY_UNET)))
    x, t = inputs()
    x0 = torch.rand(2, 3, 16, 16) * 2 - 1
    loss = F.mse_loss(model(x, t, x_start=x0), torch.randn_like(x))
    loss.backward()
    grads = [p.grad for p in enc.parameters()]
    assert all(g is not None for g in grads)
    assert sum(g.abs().sum() for g in grads) > 0
    with pytest.raises(ValueError, match="x_start"):
        model(x, t)


def test_adagn_modulate_formula():
    h = torch.randn(2, 4, 3, 3)
    ts, tb, zs, zb = (torch.randn(2, 4) for _ in range(4))
    # paper form (scale_bias=0) with z_s = 1: GN(h) * t_s + t_b
    out = adagn_modulate(h, ts, tb, torch.ones(2, 4), None, scale_bias=0.0)
    torch.testing.assert_close(out, h * ts[:, :, None, None] + tb[:, :, None, None])
    # DiffuseGAE Eq. (8): z_s (t_s h + t_b) + z_b
    out = adagn_modulate(h, ts, tb, zs, zb, scale_bias=0.0)
    expect = zs[:, :, None, None] * (ts[:, :, None, None] * h + tb[:, :, None, None]) + zb[:, :, None, None]
    torch.testing.assert_close(out, expect)


@pytest.mark.parametrize("z_shift", [False, True])
def test_resblock_applies_adagn_after_second_groupnorm(z_shift):
    c, e, d = 8, 6, 5
    block = randomize_(ResBlock(c, c, e, 0.0, d, z_shift=z_shift, scale_bias=1.0)).eval()
    ts, tb, zs, zb = (torch.randn(c) for _ in range(4))
    with torch.no_grad():  # hand-set conditions: zero weights, chosen biases
        block.emb_layers[1].weight.zero_()
        block.emb_layers[1].bias.copy_(torch.cat([ts, tb]))
        block.cond_emb_layers[1].weight.zero_()
        block.cond_emb_layers[1].bias.copy_(torch.cat([zs, zb]) if z_shift else zs)
    seen = {}
    block.out_layers[0].register_forward_hook(lambda m, i, o: seen.__setitem__("gn", o))
    block.out_layers[1].register_forward_pre_hook(lambda m, i: seen.__setitem__("mod", i[0]))
    block(torch.randn(2, c, 4, 4), torch.randn(2, e), torch.randn(2, d))
    gn = seen["gn"]
    expect = (1 + zs[:, None, None]) * ((1 + ts[:, None, None]) * gn + tb[:, None, None])
    if z_shift:
        expect = expect + zb[:, None, None]
    torch.testing.assert_close(seen["mod"], expect)


def test_attention_block_matches_naive_multihead():
    blk = randomize_(AttentionBlock(8, num_heads=2)).eval()
    x = torch.randn(2, 8, 3, 3)
    xf = x.reshape(2, 8, 9)
    qkv = blk.qkv(blk.norm(xf)).reshape(2 * 2, 12, 9)  # head-major [head][q,k,v][ch]
    q, k, v = qkv.split(4, dim=1)
    w = torch.softmax(torch.einsum("bct,bcs->bts", q, k) / 2.0, dim=-1)
    a = torch.einsum("bts,bcs->bct", w, v).reshape(2, 8, 9)
    torch.testing.assert_close(blk(x), (xf + blk.proj_out(a)).reshape(x.shape))


def test_channels_last_matches_contiguous():
    net = randomize_(UNet(**TINY_UNET)).eval()
    x, t = inputs()
    z = torch.randn(2, 12)
    with torch.no_grad():
        a = net(x, t, z)
        b = net.to(memory_format=torch.channels_last)(x.to(memory_format=torch.channels_last), t, z)
    torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


def test_bf16_autocast_runs_close_to_fp32():
    net = randomize_(UNet(**TINY_UNET)).eval()
    x, t = inputs()
    z = torch.randn(2, 12)
    with torch.no_grad():
        ref = net(x, t, z)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = net(x, t, z)
    assert out.shape == ref.shape and torch.isfinite(out).all()
    assert (out.float() - ref).norm() / ref.norm() < 0.1


@pytest.mark.parametrize("kind", ["halfunet", "alter_resnet"])
def test_encoder_output_shape(kind):
    enc = build_encoder(kind, **TINY_ENC).eval()
    assert enc(torch.randn(3, 3, 16, 16)).shape == (3, 12)
    if kind == "halfunet":
        enc = build_encoder(kind, **TINY_ENC, resblock_updown=False).eval()
        assert enc(torch.randn(3, 3, 16, 16)).shape == (3, 12)


def test_half_unet_single_conv_variant_is_smaller():
    two = HalfUNetEncoder(**TINY_ENC)
    one = HalfUNetEncoder(**TINY_ENC, resblock_convs=1)
    assert count_parameters(one) < count_parameters(two)
    assert one(torch.randn(1, 3, 16, 16)).shape == (1, 12)


def test_alter_resnet_last_block_of_later_stages_is_msa():
    enc = AlterResNet(base_channels=8, channel_mult=(1, 2, 2), num_res_blocks=2, image_size=16, z_dim=4)
    last = [type(stage[-1]) for stage in enc.stages]
    assert last == [ResBlock, AttentionBlock, AttentionBlock]
    assert sum(isinstance(m, AttentionBlock) for m in enc.modules()) == 2
    only16 = AlterResNet(base_channels=8, channel_mult=(1, 2), num_res_blocks=2, attn_resolutions=(16,),
                         image_size=16, z_dim=4)
    assert [type(s[-1]) for s in only16.stages] == [AttentionBlock, ResBlock]


def test_build_encoder_unknown_kind():
    with pytest.raises(ValueError, match="unknown encoder kind 'vit'.*alter_resnet"):
        build_encoder("vit", **TINY_ENC)


def test_latent_mlp_shape_and_skip():
    net = LatentMLP(z_dim=12, hidden=32, num_layers=4).eval()
    z = torch.randn(5, 12)
    t = torch.randint(0, 1000, (5,))
    out = net(z, t)
    assert out.shape == (5, 12)
    # skip connections: layers after the first see [h, z_t]
    assert [layer.linear.in_features for layer in net.layers] == [12, 44, 44, 44]
    assert net.layers[-1].cond_layers is None and isinstance(net.layers[0].norm, torch.nn.LayerNorm)
    assert (net(z, t.flip(0)) - out).abs().max() > 0  # time conditioning matters
    with pytest.raises(ValueError, match="no cond"):
        net(z, t, torch.randn(5, 12))


def test_parameter_count_32px_config():
    net = UNet(base_channels=32, channel_mult=(1, 2, 2), num_res_blocks=1, attn_resolutions=(16,),
               image_size=32, cond_dim=128, embed_channels=128)
    n = count_parameters(net)
    assert n == sum(p.numel() for p in net.parameters())
    assert n == 1_478_435  # golden value of this architecture
    net.out.requires_grad_(False)
    assert count_parameters(net, trainable_only=True) == n - sum(p.numel() for p in net.out.parameters())
