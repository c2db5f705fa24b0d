"""Nets of DiffuseGAE §3.4 and its pixel baselines: Partition, GAE, GZS-Net AE, heads."""

from __future__ import annotations

import pytest
import torch

from diffae.nets.gae import GAE, BottleneckBlock, MLPSkipBlock, make_norm
from diffae.nets.gzsnet import AttributeHeads, GroupAutoencoder
from diffae.nets.partition import Partition

torch.set_num_threads(1)

ILAB = Partition(("identity", "background", "pose"), (60, 20, 20))


# ---------------------------------------------------------------- Partition
def test_partition_slices_for_ilab_sizes():
    assert ILAB.dim == 100 and ILAB.num_parts == 3
    assert ILAB.slice("identity") == slice(0, 60)
    assert ILAB.slice("background") == slice(60, 80)
    assert ILAB.slice(2) == slice(80, 100)
    assert ILAB.slice(-1) == slice(80, 100)


@pytest.mark.parametrize(
    "names, sizes, match",
    [
        (("a", "b"), (3,), "2 names"),
        (("a", "a"), (3, 2), "unique"),
        (("a", "b"), (3, 0), "size 0 of part 'b'"),
        ((), (), "empty"),
    ],
)
def test_partition_rejects_bad_spec(names, sizes, match):
    with pytest.raises(ValueError, match=match):
        Partition(names, sizes)


def test_partition_lookup_errors_name_the_value():
    with pytest.raises(KeyError, match="colour"):
        ILAB.slice("colour")
    with pytest.raises(IndexError, match="5"):
        ILAB.slice(5)
    with pytest.raises(ValueError, match=r"\(4, 90\).*100"):
        ILAB.split(torch.zeros(4, 90))


def test_split_concatenates_back():
    z = torch.randn(5, 100)
    parts = ILAB.split(z)
    assert [p.shape[-1] for p in parts] == [60, 20, 20]
    assert torch.equal(torch.cat(parts, dim=-1), z)


def test_swap_exchanges_only_part_k_and_is_an_involution():
    p = Partition(("a", "b", "c"), (2, 3, 1))
    za = torch.arange(12.0).view(2, 6)
    zb = -za - 100
    sa, sb = p.swap(za, zb, "b")
    assert torch.equal(sa[:, 2:5], zb[:, 2:5]) and torch.equal(sb[:, 2:5], za[:, 2:5])
    keep = [0, 1, 5]
    assert torch.equal(sa[:, keep], za[:, keep]) and torch.equal(sb[:, keep], zb[:, keep])
    ra, rb = p.swap(sa, sb, 1)
    assert torch.equal(ra, za) and torch.equal(rb, zb)


def test_swap_with_per_sample_parts():
    p = Partition(("a", "b"), (1, 2))
    za, zb = torch.zeros(2, 3), torch.ones(2, 3)
    sa, sb = p.swap(za, zb, torch.tensor([0, 1]))
    assert sa.tolist() == [[1, 0, 0], [0, 1, 1]]
    assert sb.tolist() == [[0, 1, 1], [1, 0, 0]]


def test_assemble_takes_part_k_from_source_k():
    p = Partition(("a", "b", "c"), (2, 1, 2))
    # sources[b, k, :] is filled with the value 10*b + k
    src = torch.tensor([[[10.0 * b + k] * 5 for k in range(3)] for b in range(2)])
    out = p.assemble(src)
    assert out.tolist() == [[0, 0, 1, 2, 2], [10, 10, 11, 12, 12]]
    # assembling m copies of one code returns the code
    z = torch.randn(4, 5)
    assert torch.equal(p.assemble(z.unsqueeze(1).expand(4, 3, 5)), z)
    with pytest.raises(ValueError, match=r"\(B, 3, 5\)"):
        p.assemble(torch.zeros(4, 2, 5))


def test_random_recombine_bookkeeping_and_seed():
    z = torch.randn(8, 100)
    z_u, idx = ILAB.random_recombine(z, torch.Generator().manual_seed(0))
    assert z_u.shape == (8, 100) and idx.shape == (8, 3) and idx.dtype == torch.long
    assert int(idx.min()) >= 0 and int(idx.max()) < 8
    for b in range(8):
        for k in range(3):
            sl = ILAB.slice(k)
            assert torch.equal(z_u[b, sl], z[idx[b, k], sl])
    z_u2, idx2 = ILAB.random_recombine(z, torch.Generator().manual_seed(0))
    assert torch.equal(idx, idx2) and torch.equal(z_u, z_u2)
    # with 8 samples, 24 draws are not all "own row": recombination really mixes
    assert not torch.equal(idx, torch.arange(8).unsqueeze(1).expand(8, 3))


# --------------------------------------------------------------------- GAE
@pytest.mark.parametrize("norm", ["layer", "group", ("group", "layer")])
def test_gae_shapes_512_100_512(norm):
    gae = GAE(z_dim=512, dis_dim=100, hidden=128, norm=norm)
    z = torch.randn(3, 512)
    z_dis, z_hat = gae(z)
    assert z_dis.shape == (3, 100) and z_hat.shape == (3, 512)
    assert torch.equal(gae.encode(z), z_dis)


def test_gae_block_structure_and_param_groups():
    gae = GAE(z_dim=32, dis_dim=10, hidden=16, norm=("group", "layer"))
    for half in (gae.encoder, gae.decoder):
        kinds = [type(b) for b in half]
        assert kinds == [MLPSkipBlock] * 4 + [BottleneckBlock] * 2  # last block is a skip block
    assert isinstance(gae.encoder[0].norm, torch.nn.GroupNorm)
    assert isinstance(gae.decoder[0].norm, torch.nn.LayerNorm)
    enc = {id(p) for p in gae.encoder.parameters()}
    dec = {id(p) for p in gae.decoder.parameters()}
    assert enc.isdisjoint(dec)
    assert enc | dec == {id(p) for p in gae.parameters()}
    # widths: 32 -> 16 -> 16 -> 16 -> 10 and back
    assert [b.linear.out_features for b in list(gae.encoder)[:4]] == [16, 16, 16, 10]
    assert [b.linear.out_features for b in list(gae.decoder)[:4]] == [16, 16, 16, 32]


def test_group_norm_keeps_several_features_per_group():
    assert [make_norm("group", w).num_groups for w in (512, 1024, 100, 25, 7)] == [32, 32, 10, 1, 1]
    # normalising a 25-d vector must not collapse it to a constant
    x = torch.randn(3, 25)
    assert make_norm("group", 25)(x).std().item() > 0.5


def test_bottleneck_block_is_identity_when_branch_is_zero():
    blk = BottleneckBlock(10, 3, "layer")
    torch.nn.init.zeros_(blk.branch[-1].weight)
    torch.nn.init.zeros_(blk.branch[-1].bias)
    x = torch.randn(4, 10)
    assert torch.equal(blk(x), x)


def test_gae_rejects_bad_args_and_inputs():
    with pytest.raises(ValueError, match="batch"):
        GAE(norm="batch")
    with pytest.raises(ValueError, match="n_bottleneck=0"):
        GAE(n_bottleneck=0)
    gae = GAE(z_dim=8, dis_dim=4, hidden=8)
    with pytest.raises(ValueError, match=r"\(2, 7\).*\(B, 8\)"):
        gae.encode(torch.zeros(2, 7))


# ------------------------------------------------------------ GZS-Net AE
@pytest.mark.parametrize("size", [32, 64])
def test_group_autoencoder_shapes(size):
    ae = GroupAutoencoder(image_size=size, base_channels=4, latent_dim=100, fc_hidden=16)
    x = torch.rand(2, 3, size, size) * 2 - 1
    z, x_hat = ae(x)
    assert z.shape == (2, 100)
    assert x_hat.shape == x.shape
    assert float(x_hat.detach().abs().max()) <= 1.0  # tanh output, model range [-1, 1]
    assert ae.decode(z).shape == x.shape


def test_group_autoencoder_depth_follows_image_size():
    def n_down(size: int) -> int:
        ae = GroupAutoencoder(image_size=size, base_channels=4, fc_hidden=8)
        return sum(isinstance(m, torch.nn.Conv2d) and m.stride == (2, 2) for m in ae.modules())

    assert [n_down(s) for s in (32, 64, 128)] == [2, 3, 4]
    with pytest.raises(ValueError, match="image_size=48"):
        GroupAutoencoder(image_size=48)


def test_attribute_heads_see_only_their_part():
    p = Partition(("a", "b"), (3, 2))
    heads = AttributeHeads(p, (4, 5))
    z = torch.randn(6, 5)
    logits = heads(z)
    assert [tuple(lg.shape) for lg in logits] == [(6, 4), (6, 5)]
    z2 = z.clone()
    z2[:, 3:] += 1.0  # change part "b" only
    assert torch.equal(heads(z2)[0], logits[0])
    assert not torch.equal(heads(z2)[1], logits[1])
    with pytest.raises(ValueError, match="3 class counts"):
        AttributeHeads(p, (2, 2, 2))
