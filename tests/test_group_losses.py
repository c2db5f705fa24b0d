"""Group-supervised losses (DiffuseGAE Eq. 10-11; GZS-Net; AE + DS)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from diffae.nets.gae import GAE
from diffae.nets.gzsnet import AttributeHeads, GroupAutoencoder
from diffae.nets.partition import Partition
from diffae.train.group_losses import (
    aeds_losses,
    dis_loss,
    gae_reconstruction_loss,
    gzs_losses,
    supervised_swap_loss,
    unsupervised_reassemble_loss,
)

torch.set_num_threads(1)

P = Partition(("identity", "background", "pose"), (3, 2, 2))  # dim 7


class LinearStub(nn.Module):
    """encode: x -> flat(x) @ W ; decode: z -> (z @ W^-1) * scale, reshaped.

    ``scale == 1`` makes decode the exact inverse of encode.
    """

    def __init__(self, item_shape: tuple[int, ...], scale: float = 1.0, seed: int = 0) -> None:
        super().__init__()
        d = 1
        for s in item_shape:
            d *= s
        g = torch.Generator().manual_seed(seed)
        w = torch.randn(d, d, generator=g, dtype=torch.float64) + 3 * torch.eye(d, dtype=torch.float64)
        self.item_shape = item_shape
        self.register_buffer("w", w)
        self.register_buffer("w_inv", torch.linalg.inv(w))
        self.scale = scale
        self.decoded: list[torch.Tensor] = []

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], -1) @ self.w

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        self.decoded.append(z.detach().clone())
        return ((z @ self.w_inv) * self.scale).reshape(z.shape[0], *self.item_shape)


def _shared_group(stub: LinearStub, b: int = 4, share: bool = True, seed: int = 1):
    """Centre and partners in data space whose codes share part k with partner k."""
    g = torch.Generator().manual_seed(seed)
    zc = torch.randn(b, P.dim, generator=g, dtype=torch.float64)
    zp = torch.randn(b, P.num_parts, P.dim, generator=g, dtype=torch.float64)
    if share:
        for k in range(P.num_parts):
            zp[:, k, P.slice(k)] = zc[:, P.slice(k)]
    with torch.no_grad():
        center = stub.decode(zc)
        partners = stub.decode(zp.reshape(-1, P.dim)).reshape(b, P.num_parts, *stub.item_shape)
    stub.decoded.clear()
    return center, partners


# ------------------------------------------------------------------- L_ss
def test_swap_loss_zero_when_partners_identical_to_centre():
    stub = LinearStub((7,))
    center = torch.randn(3, 7, dtype=torch.float64)
    partners = center.unsqueeze(1).expand(3, 3, 7).clone()
    assert float(supervised_swap_loss(stub, center, partners, P)) < 1e-10


def test_swap_loss_zero_iff_partners_share_part_k():
    stub = LinearStub((7,))
    center, partners = _shared_group(stub, share=True)
    assert float(supervised_swap_loss(stub, center, partners, P)) < 1e-10
    center, partners = _shared_group(stub, share=False)
    assert float(supervised_swap_loss(stub, center, partners, P)) > 0.1


def test_swap_loss_decodes_swaps_and_reassembly_from_partner_k():
    stub = LinearStub((7,))
    center, partners = _shared_group(stub, share=False)
    supervised_swap_loss(stub, center, partners, P)
    (decoded,) = stub.decoded  # one batched decode of 2m+1 blocks
    b, m = 4, P.num_parts
    assert decoded.shape == ((2 * m + 1) * b, P.dim)
    zc, zp = stub.encode(center), stub.encode(partners.reshape(-1, 7)).reshape(b, m, 7)
    z_re = decoded[2 * m * b:]
    for k in range(m):
        assert torch.allclose(z_re[:, P.slice(k)], zp[:, k, P.slice(k)])
        swapped_c = decoded[k * b:(k + 1) * b]
        expect_c, expect_p = P.swap(zc, zp[:, k], k)
        assert torch.allclose(swapped_c, expect_c)
        assert torch.allclose(decoded[(m + k) * b:(m + k + 1) * b], expect_p)


def test_swap_loss_reduction_and_distance_options():
    stub = LinearStub((7,), scale=1.5)
    center, partners = _shared_group(stub, share=True)
    s = supervised_swap_loss(stub, center, partners, P, reduction="sum")
    mean = supervised_swap_loss(stub, center, partners, P, reduction="mean")
    assert torch.allclose(s, mean * (2 * P.num_parts + 1))
    mse = supervised_swap_loss(stub, center, partners, P, loss="mse")
    assert float(mse) > 0 and not torch.allclose(mse, s)
    with pytest.raises(ValueError, match="huber"):
        supervised_swap_loss(stub, center, partners, P, loss="huber")


def test_partition_must_match_latent_dim():
    gae = GAE(z_dim=16, dis_dim=100, hidden=16)
    bad = Partition(("identity", "background", "pose"), (60, 20, 10))
    center, partners = torch.randn(2, 16), torch.randn(2, 3, 16)
    with pytest.raises(ValueError, match=r"100.*90"):
        supervised_swap_loss(gae, center, partners, bad)
    with pytest.raises(ValueError, match=r"partners \(2, 2, 16\)"):
        supervised_swap_loss(gae, center, partners[:, :2], Partition(("a", "b", "c"), (50, 25, 25)))


# ------------------------------------------------------------ L_r, L_ur
def test_reconstruction_loss_zero_for_exact_inverse_only():
    z = torch.randn(5, 7, dtype=torch.float64)
    assert float(gae_reconstruction_loss(LinearStub((7,)), z)) < 1e-10
    assert float(gae_reconstruction_loss(LinearStub((7,), scale=2.0), z)) > 0.1


def test_reassemble_loss_zero_for_exact_inverse_positive_otherwise():
    z = torch.randn(6, 7, dtype=torch.float64)
    g = torch.Generator().manual_seed(3)
    assert float(unsupervised_reassemble_loss(LinearStub((7,)), z, P, g)) < 1e-10
    # decode = 2 x inverse: E(D(z_u)) = 2 z_u, so L1 = mean |z_u|
    stub2 = LinearStub((7,), scale=2.0)
    g = torch.Generator().manual_seed(3)
    val = unsupervised_reassemble_loss(stub2, z, P, g)
    z_u, _ = P.random_recombine(stub2.encode(z), torch.Generator().manual_seed(3))
    assert torch.allclose(val, z_u.abs().mean())


# ---------------------------------------------------------------- L_dis
def _tiny_gae() -> GAE:
    torch.manual_seed(0)
    return GAE(z_dim=16, dis_dim=P.dim, hidden=24, norm=("group", "layer"), groups=4)


def test_dis_loss_is_weighted_sum_of_its_terms():
    gae = _tiny_gae()
    center, partners = torch.randn(4, 16), torch.randn(4, 3, 16)
    total, terms = dis_loss(gae, center, partners, P, lambda_ss=0.3, lambda_ur=0.7,
                            generator=torch.Generator().manual_seed(5))
    assert set(terms) == {"rec", "ss", "ur"}
    assert torch.allclose(total, terms["rec"] + 0.3 * terms["ss"] + 0.7 * terms["ur"])
    # each term agrees with its stand-alone function
    assert torch.allclose(terms["ss"], supervised_swap_loss(gae, center, partners, P))
    items = torch.cat([center] + [partners[:, k] for k in range(3)])
    ur = unsupervised_reassemble_loss(gae, items, P, torch.Generator().manual_seed(5))
    assert torch.allclose(terms["ur"], ur)
    rec_sum = sum(gae_reconstruction_loss(gae, x) for x in [center, *partners.unbind(1)])
    assert torch.allclose(terms["rec"], rec_sum)
    # paper defaults (DiffuseGAE §3.3): lambda_ss = 1.0, lambda_ur = 0.5
    total_d, t = dis_loss(gae, center, partners, P, generator=torch.Generator().manual_seed(5))
    assert torch.allclose(total_d, t["rec"] + 1.0 * t["ss"] + 0.5 * t["ur"])


def test_dis_loss_gradients_reach_every_gae_parameter():
    gae = _tiny_gae()
    total, _ = dis_loss(gae, torch.randn(4, 16), torch.randn(4, 3, 16), P,
                        generator=torch.Generator().manual_seed(0))
    total.backward()
    for name, p in gae.named_parameters():
        assert p.grad is not None, name
        assert float(p.grad.abs().sum()) > 0, name


# ------------------------------------------------------------- GZS-Net
IMG = Partition(("identity", "background", "pose"), (6, 3, 3))  # 3x2x2 images = 12 dims


@pytest.mark.parametrize("cycle", ["swap", "latent"])
def test_gzs_losses_zero_for_exact_inverse_stub(cycle):
    stub = LinearStub((3, 2, 2))
    g = torch.Generator().manual_seed(0)
    center = torch.randn(4, 3, 2, 2, dtype=torch.float64)
    # partners whose codes share part k with the centre's code
    zc = stub.encode(center)
    zp = torch.randn(4, 3, 12, generator=g, dtype=torch.float64)
    for k in range(3):
        zp[:, k, IMG.slice(k)] = zc[:, IMG.slice(k)]
    partners = stub.decode(zp.reshape(-1, 12)).reshape(4, 3, 3, 2, 2)
    total, terms = gzs_losses(stub, center, partners, IMG, generator=g, cycle=cycle)
    assert set(terms) == {"rec", "swap", "cycle"}
    assert float(total) < 1e-9


def test_gzs_cycle_swap_positive_for_non_inverse_stub():
    stub = LinearStub((3, 2, 2), scale=0.5)
    center, partners = torch.randn(4, 3, 2, 2, dtype=torch.float64), torch.randn(4, 3, 3, 2, 2, dtype=torch.float64)
    _, terms = gzs_losses(stub, center, partners, IMG, generator=torch.Generator().manual_seed(0))
    assert float(terms["cycle"]) > 0.1


def test_gzs_losses_on_group_autoencoder_weighted_sum_and_grads():
    torch.manual_seed(0)
    part = Partition(("identity", "background", "pose"), (60, 20, 20))
    ae = GroupAutoencoder(image_size=32, base_channels=4, latent_dim=100, fc_hidden=16)
    center = torch.rand(2, 3, 32, 32) * 2 - 1
    partners = torch.rand(2, 3, 3, 32, 32) * 2 - 1
    total, terms = gzs_losses(ae, center, partners, part, w_recon=1.0, w_swap=2.0, w_cycle=0.5,
                              generator=torch.Generator().manual_seed(1))
    assert torch.isfinite(total)
    assert torch.allclose(total, terms["rec"] + 2.0 * terms["swap"] + 0.5 * terms["cycle"])
    total.backward()
    assert all(p.grad is not None for p in ae.parameters())
    with pytest.raises(ValueError, match="cycle='pixel'"):
        gzs_losses(ae, center, partners, part, cycle="pixel")


# ---------------------------------------------------------------- AE + DS
def test_aeds_losses_decrease_on_separable_toy_problem():
    torch.manual_seed(0)
    part = Partition(("identity", "background", "pose"), (4, 2, 2))
    ae = GroupAutoencoder(image_size=16, base_channels=4, latent_dim=8, fc_hidden=32)
    heads = AttributeHeads(part, (2, 2, 2))
    labels = torch.randint(0, 2, (16, 3))
    # channel c is +0.5 or -0.5 according to attribute c's label, plus noise
    images = (labels.float() - 0.5).view(16, 3, 1, 1).expand(16, 3, 16, 16) + 0.05 * torch.randn(16, 3, 16, 16)
    opt = torch.optim.Adam(list(ae.parameters()) + list(heads.parameters()), lr=3e-3)
    history = []
    for _ in range(30):
        total, terms = aeds_losses(ae, heads, images, labels)
        opt.zero_grad()
        total.backward()
        opt.step()
        history.append((total.item(), terms["ce"].item()))
    assert set(terms) == {"rec", "ce", "ce_identity", "ce_background", "ce_pose"}
    assert torch.allclose(terms["ce"], terms["ce_identity"] + terms["ce_background"] + terms["ce_pose"])
    assert history[-1][0] < 0.7 * history[0][0]
    assert history[-1][1] < 0.7 * history[0][1]


def test_aeds_losses_validate_labels():
    part = Partition(("a", "b"), (4, 4))
    ae = GroupAutoencoder(image_size=16, base_channels=4, latent_dim=8, fc_hidden=8)
    heads = AttributeHeads(part, (2, 3))
    x = torch.zeros(2, 3, 16, 16)
    with pytest.raises(ValueError, match=r"\(B=2, m=2\)"):
        aeds_losses(ae, heads, x, torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="torch.long"):
        aeds_losses(ae, heads, x, torch.zeros(2, 2))


def test_gae_gradients_repeat_bit_for_bit_on_several_threads():
    """L_ur gathers parts from random rows (repeats included): the gather's backward must add their gradients in a
    fixed order, or the GAE stage's weights (and DiffuseGAE's tables) change from run to run on 2+ CPU threads."""
    threads = torch.get_num_threads()
    torch.set_num_threads(max(threads, 2))
    try:
        torch.manual_seed(0)
        gae = GAE(z_dim=512, dis_dim=100, hidden=512, n_mlp=4, n_bottleneck=2)  # params.yaml's sizes
        part = Partition(("identity", "background", "pose"), (60, 20, 20))
        group = torch.randn(64, 4, 512)

        def grads():
            gae.zero_grad()
            total, _ = dis_loss(gae, group[:, 0], group[:, 1:], part, generator=torch.Generator().manual_seed(1))
            total.backward()
            return [p.grad.clone() for p in gae.parameters()]

        first = grads()
        for _ in range(4):
            assert all(torch.equal(a, b) for a, b in zip(first, grads()))
    finally:
        torch.set_num_threads(threads)
