"""DiffSiam building blocks: PDAE shift terms (spec §2.2), partition masks, shift decoder, encoder, SimSiam loss."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from diffae.diffusion.gaussian import GaussianDiffusion
from diffae.diffusion.pdae import PDAEWeights, draw_level_and_segments
from diffae.nets.layers import count_parameters
from diffae.nets.pdae_shift import PDAEShift
from diffae.nets.resnet10 import ResNet10
from diffae.nets.siamese import SimSiamHead, masked_code, segment_masks
from diffae.train.siamese_losses import negative_cosine, simsiam_loss

TINY = dict(base_channels=8, channel_mult=(1, 2), num_res_blocks=1, attn_resolutions=(4,), embed_channels=16,
            dropout=0.1)


@pytest.fixture(scope="module")
def diffusion():
    return GaussianDiffusion.from_schedule("linear", 1000)


def test_x0_form_equals_pdae_eps_form_when_network_time_is_the_noise_level(diffusion):
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(64, 3, 4, 4, generator=g, dtype=torch.float64)
    noise = torch.randn(x0.shape, generator=g, dtype=torch.float64)
    eps = torch.randn(x0.shape, generator=g, dtype=torch.float64)
    shift = torch.randn(x0.shape, generator=g, dtype=torch.float64)
    t = torch.cat([torch.tensor([0, 1, 999]), torch.randint(0, 1000, (61,), generator=g)])
    x_t = diffusion.q_sample(x0, t, noise)
    u = diffusion.pred_x0_from_eps(x_t, t, eps)
    w = PDAEWeights.of(diffusion)
    torch.testing.assert_close(w.x0_form_loss(x0, u, shift, t), w.eps_form_loss(noise, eps, shift, t),
                               rtol=1e-9, atol=1e-12)
    # and the derived weights of spec §2.2
    abar = diffusion.alphas_cumprod
    snr = abar / (1 - abar)
    np.testing.assert_allclose(w.lambda_x0, snr**1.1 / (1 + snr))
    assert w.w_train[0] == 0.0 and w.w_train[10] == pytest.approx((1 - abar[9]) / np.sqrt(abar[9]))


def test_shifted_eps_gives_the_shifted_x0_prediction(diffusion):
    g = torch.Generator().manual_seed(1)
    x_t, eps, shift = (torch.randn(8, 3, 4, 4, generator=g, dtype=torch.float64) for _ in range(3))
    t = torch.randint(0, 1000, (8,), generator=g)
    w = PDAEWeights.of(diffusion)
    u = diffusion.pred_x0_from_eps(x_t, t, eps)
    for form, coef in (("train", w.w_train), ("guidance", w.w_guidance)):
        got = diffusion.pred_x0_from_eps(x_t, t, w.shifted_eps(eps, shift, t, diffusion, form))
        torch.testing.assert_close(got, u + PDAEWeights.gather(coef, t, u) * shift)
    with pytest.raises(ValueError, match="shift form"):
        w.shifted_eps(eps, shift, t, diffusion, "other")


def test_masks_select_exactly_the_intended_segments():
    z = torch.arange(1, 13, dtype=torch.float32).repeat(3, 1).requires_grad_()  # 12 dims, 4 segments of 3
    k = torch.tensor([1, 2, 4])
    hier = masked_code(z, k, 4, "hierarchical")
    seq = masked_code(z, k, 4, "sequential")
    assert torch.equal(hier[0], torch.tensor([1., 2, 3] + [0] * 9))
    assert torch.equal(hier[1], torch.tensor([1., 2, 3, 4, 5, 6] + [0] * 6))
    assert torch.equal(hier[2], z[2].detach())
    assert torch.equal(seq[1], torch.tensor([0., 0, 0, 4, 5, 6] + [0] * 6))
    assert torch.equal(seq[2], torch.tensor([0.] * 9 + [10, 11, 12]))
    assert masked_code(z, k, 4, "pdae") is z
    det = masked_code(z, k, 4, "hierarchical_detach")
    assert torch.equal(det, hier)
    det.sum().backward()  # gradient reaches segment k only
    assert torch.equal(z.grad[1], torch.tensor([0., 0, 0, 1, 1, 1] + [0] * 6))
    before, current = segment_masks(k, 4, 12)
    assert torch.equal(before.sum(1), torch.tensor([0., 3, 9])) and torch.equal(current.sum(1), torch.full((3,), 3.))
    with pytest.raises(ValueError, match="1..4"):
        masked_code(z, torch.tensor([0, 1, 1]), 4, "hierarchical")
    with pytest.raises(ValueError, match="divisible"):
        masked_code(z, k, 5, "sequential")
    with pytest.raises(ValueError, match="variant"):
        masked_code(z, k, 4, "other")


def test_level_and_segment_draws():
    g = torch.Generator().manual_seed(0)
    s, tau, k = draw_level_and_segments(20000, 1000, 8, "timestep_block", generator=g)
    assert torch.equal(s, tau) and int(k.min()) == 1 and int(k.max()) == 8
    assert torch.equal(k, s // 125 + 1)  # block of t: 125 steps per segment
    s, tau, k = draw_level_and_segments(20000, 1000, 8, "extra_steps", generator=g)
    assert torch.equal(s, tau + k) and int(s.max()) < 1000 and int(tau.max()) < 992
    assert set(k.tolist()) == set(range(1, 9))
    assert abs(float(torch.corrcoef(torch.stack([tau.double(), k.double()]))[0, 1])) < 0.05  # independent
    with pytest.raises(ValueError, match="k_mode"):
        draw_level_and_segments(4, 1000, 8, "other")


def test_zero_initialised_decoder_leaves_the_frozen_prediction_unchanged():
    torch.manual_seed(0)
    net = PDAEShift(z_dim=16, image_size=8, **TINY).train()
    for p in net.dm.parameters():  # make the DM non-trivial (its own out conv is zero-initialised too)
        p.data.normal_(0, 0.2)
    x, t, z = torch.randn(4, 3, 8, 8), torch.tensor([0, 10, 500, 999]), torch.randn(4, 16)
    eps, shift = net(x, t, z)
    assert torch.equal(shift, torch.zeros_like(shift))
    assert not net.dm.training  # frozen DM: no dropout even in train mode
    torch.testing.assert_close(eps, net.dm(x, t))
    assert eps.abs().sum() > 0
    with pytest.raises(ValueError, match="z of shape"):
        net(x, t, torch.randn(4, 15))


def test_frozen_parameters_do_not_change_after_a_step():
    torch.manual_seed(0)
    net = PDAEShift(z_dim=16, image_size=8, **TINY).train()
    enc = ResNet10(width=4, z_dim=16)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    opt = torch.optim.Adam(net.trainable_parameters() + list(enc.parameters()), lr=1e-2)
    x = torch.randn(4, 3, 8, 8)
    for _ in range(3):  # zero-initialised convs: each step lets the gradient reach one layer further back
        eps, shift = net(x, torch.tensor([1, 2, 3, 4]), enc(x))
        opt.zero_grad()
        (eps + shift - x).square().mean().backward()
        opt.step()
    after = net.state_dict()
    frozen = [k for k in after if k.startswith("dm.")]
    assert frozen and all(torch.equal(before[k], after[k]) for k in frozen)
    assert all(p.grad is None for p in net.dm.parameters())
    moved = [k for k in after if not k.startswith("dm.") and not torch.equal(before[k], after[k])]
    assert any(k.startswith("shift_out") for k in moved) and any(k.startswith("label_emb") for k in moved)


def test_resnet10_layout():
    assert count_parameters(ResNet10()) == 4_898_112  # spec §2.3: about 4.9M parameters at width 64
    enc = ResNet10(width=8).eval()
    assert enc(torch.randn(2, 3, 32, 32)).shape == (2, 64)
    assert ResNet10(width=8, z_dim=32)(torch.randn(2, 3, 16, 16)).shape == (2, 32)
    # each residual branch starts as identity (zero last BN), so stages only change width/resolution
    assert all(float(b.bn2.weight.detach().abs().sum()) == 0 for b in enc.blocks)


def test_simsiam_loss_and_head():
    head = SimSiamHead(32, pred_hidden=8)
    assert head.predict(torch.randn(5, 32)).shape == (5, 32) and isinstance(head.projector, torch.nn.Identity)
    assert SimSiamHead(32, projector=True).project(torch.randn(5, 32)).shape == (5, 32)
    z = torch.randn(6, 32)
    assert torch.allclose(negative_cosine(z, 3 * z), torch.full((6,), -1.0))
    p1, p2 = torch.randn(6, 32, requires_grad=True), torch.randn(6, 32, requires_grad=True)
    z1, z2 = torch.randn(6, 32, requires_grad=True), torch.randn(6, 32, requires_grad=True)
    loss = simsiam_loss(p1, p2, z1, z2)
    assert -1 <= float(loss.detach()) <= 1
    loss.backward()
    assert z1.grad is None and z2.grad is None  # stop-gradient on the targets
    assert p1.grad.abs().sum() > 0 and p2.grad.abs().sum() > 0


def test_simsiam_views_are_per_sample_and_in_range():
    from diffae.data.augment import SimSiamAugment, random_hflip

    torch.manual_seed(0)
    x = torch.rand(64, 3, 16, 16) * 2 - 1
    x[:, :, :, :8] = -1  # left half dark: a flip or crop is visible
    v = SimSiamAugment()(x)
    assert v.shape == x.shape and float(v.min()) >= -1 and float(v.max()) <= 1
    changed = (v - x).abs().flatten(1).amax(1) > 1e-3
    assert changed.float().mean() > 0.9  # almost every sample is transformed
    # samples differ in their draws: the same image gives different views
    same = x[:1].repeat(8, 1, 1, 1)
    views = SimSiamAugment()(same)
    assert len({tuple(view.flatten()[:50].tolist()) for view in views}) == 8
    gray = SimSiamAugment(p_jitter=0.0, p_gray=1.0, scale=(1.0, 1.0), ratio=(1.0, 1.0))(x)
    assert torch.allclose(gray[:, 0], gray[:, 1]) and torch.allclose(gray[:, 1], gray[:, 2])
    flips = random_hflip(x, p=1.0)
    assert torch.equal(flips, x.flip(-1)) and torch.equal(random_hflip(x, p=0.0), x)
    with pytest.raises(ValueError, match="RGB"):
        SimSiamAugment()(x[:, :1])


@pytest.mark.parametrize("method", ["diffsiam", "simsiam", "pdae"])
def test_recipes_train_on_the_loop_and_keep_the_dm_frozen(tmp_path, method):
    from _tiny_artifacts import tiny_artifacts
    from _tiny_recipe import train_config

    from diffae.artifacts import load_final, load_trained
    from diffae.train.recipes.diffsiam import DiffSiamSettings, train_method

    ddim = tiny_artifacts(tmp_path)["ddim"]
    dm_before = load_final(ddim)["modules"]["unet"]
    images = torch.randint(0, 256, (16, 3, 8, 8), dtype=torch.uint8)
    settings = DiffSiamSettings(method=method, variant="hierarchical_detach", n_segments=4, k_mode="extra_steps")
    final = train_method(images=images, ddim_final=None if method == "simsiam" else ddim, out_dir=tmp_path / method,
                settings=settings, encoder_width=2, z_dim=None, pred_hidden=4, projector=False,
                train_cfg=train_config(steps=3, batch_size=8, lr=1e-3, ema_decay=0.0, log_every=1),
                diffusion_meta={"T": 50, "beta_schedule": "linear"}, seed=0, device="cpu", on_mismatch="refuse")
    trained = load_trained(final)
    expected = {"diffsiam": {"encoder", "shift", "head"}, "simsiam": {"encoder", "head"},
                "pdae": {"encoder", "shift"}}[method]
    assert set(trained.modules) == expected and trained.meta["diffsiam"]["k_mode"] == "extra_steps"
    assert trained["encoder"](images.float()[:2] / 127.5 - 1).shape == (2, 16)
    if "shift" in expected:
        dm_after = trained["shift"].dm.state_dict()
        assert all(torch.equal(dm_before[k], dm_after[k]) for k in dm_before)
    log = (tmp_path / method / "metrics.csv").read_text()
    assert ("l_diffusion" in log) == (method != "simsiam") and ("l_simsiam" in log) == (method != "pdae")
