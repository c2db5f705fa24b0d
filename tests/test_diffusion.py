"""Tests for diffae.diffusion: schedules, forward process, loss, DDIM sample/invert, interpolation."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from diffae.diffusion import (
    DDIM,
    GaussianDiffusion,
    lerp,
    make_betas,
    respace_betas,
    respaced_timesteps,
    sample_noise,
    slerp,
)

torch.set_num_threads(1)
F64 = torch.float64


# --------------------------------------------------------------------------- schedules
def test_linear_endpoints_and_scaling():
    b = make_betas("linear", 1000)
    assert b.dtype == np.float64 and b.shape == (1000,)
    assert b[0] == pytest.approx(1e-4) and b[-1] == pytest.approx(0.02)
    assert np.all(np.diff(b) > 0)
    b100 = make_betas("linear", 100)
    assert b100[0] == pytest.approx(1e-3) and b100[-1] == pytest.approx(0.2)


def test_const_schedule():
    assert np.allclose(make_betas("const0.008", 1000), 0.008)
    assert np.allclose(make_betas("const0.008", 100), 0.08)  # scaled by 1000/T like "linear"


def test_cosine_schedule():
    T = 200
    b = make_betas("cosine", T)
    assert np.all(b > 0) and np.all(b <= 0.999)
    assert np.all(np.diff(b) >= 0)
    assert b[-1] == pytest.approx(0.999)
    f = lambda u: math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    abar = np.cumprod(1 - b)
    for t in (0, 50, 100, 150):
        assert abar[t] == pytest.approx(f((t + 1) / T) / f(0), rel=1e-9)


def test_unknown_schedule_lists_valid_names():
    with pytest.raises(ValueError, match="linear.*const0.008.*cosine"):
        make_betas("quadratic", 10)
    with pytest.raises(ValueError, match="T > 20"):
        make_betas("linear", 20)  # last beta would reach 1
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        GaussianDiffusion(np.array([0.1, 1.0]))


def test_respaced_timesteps():
    assert respaced_timesteps(1000, 10) == list(range(0, 1000, 100))
    assert respaced_timesteps(1000, 1000) == list(range(1000))
    assert respaced_timesteps(100, 4) == [0, 25, 50, 75]
    assert len(respaced_timesteps(1000, 30)) == 30  # non-divisor: smallest stride giving exactly 30
    with pytest.raises(ValueError, match="exceeds"):
        respaced_timesteps(10, 20)
    with pytest.raises(ValueError, match="exactly"):
        respaced_timesteps(10, 7)
    with pytest.raises(ValueError):
        respaced_timesteps(10, 0)


def test_respace_betas_preserves_alphas_cumprod():
    diff = GaussianDiffusion.from_schedule("linear", 1000)
    steps = respaced_timesteps(1000, 20)
    new_b = respace_betas(diff.alphas_cumprod, steps)
    assert new_b.shape == (20,) and np.all(new_b > 0) and np.all(new_b < 1)
    respaced = GaussianDiffusion(new_b)
    np.testing.assert_allclose(respaced.alphas_cumprod, diff.alphas_cumprod[steps], rtol=1e-12)
    with pytest.raises(ValueError):
        respace_betas(diff.alphas_cumprod, [5, 3])


# --------------------------------------------------------------------------- forward process
def test_q_sample_statistics():
    diff = GaussianDiffusion.from_schedule("linear", 1000)
    g = torch.Generator().manual_seed(0)
    x0 = torch.tensor([[0.8, -0.3, 0.0]], dtype=F64)
    n, t = 40000, 400
    noise = torch.randn(n, 3, generator=g, dtype=F64)
    xt = diff.q_sample(x0.expand(n, 3), torch.full((n,), t, dtype=torch.long), noise)
    abar = np.prod(1 - np.linspace(1e-4, 0.02, 1000)[: t + 1])
    np.testing.assert_allclose(xt.mean(0).numpy(), math.sqrt(abar) * x0[0].numpy(), atol=4 / math.sqrt(n))
    np.testing.assert_allclose(xt.var(0).numpy(), np.full(3, 1 - abar), rtol=0.03)


def test_pred_x0_and_eps_are_consistent_and_keep_dtype():
    diff = GaussianDiffusion.from_schedule("linear", 100)
    g = torch.Generator().manual_seed(1)
    x0, eps = torch.randn(4, 2, 3, 3, generator=g), torch.randn(4, 2, 3, 3, generator=g)
    t = torch.tensor([0, 10, 50, 99])
    xt = diff.q_sample(x0, t, eps)
    assert xt.dtype == torch.float32
    torch.testing.assert_close(diff.pred_x0_from_eps(xt, t, eps), x0, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(diff.pred_eps_from_x0(xt, t, x0), eps, atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match=r"\[0, 100\)"):
        diff.q_sample(x0, torch.tensor([0, 1, 2, 100]), eps)


def test_sample_t_uniform_range_and_seeded():
    diff = GaussianDiffusion.from_schedule("const0.008", 10)
    t = diff.sample_t(5000, generator=torch.Generator().manual_seed(0))
    assert t.dtype == torch.long and int(t.min()) == 0 and int(t.max()) == 9
    counts = torch.bincount(t, minlength=10).double()
    assert torch.all((counts - 500).abs() < 100)
    t2 = diff.sample_t(5000, generator=torch.Generator().manual_seed(0))
    assert torch.equal(t, t2)


# --------------------------------------------------------------------------- training loss
def test_training_loss_oracle_zero_and_values():
    diff = GaussianDiffusion.from_schedule("linear", 1000)
    g = torch.Generator().manual_seed(2)
    x0 = torch.rand(6, 3, 4, 4, generator=g, dtype=F64) * 2 - 1
    seen = {}

    def oracle(x_t, t, cond):  # cond carries the true x0 (exact eps)
        seen["t"] = t
        return diff.pred_eps_from_x0(x_t, t, cond)

    loss = diff.training_loss(oracle, x0, cond=x0, generator=g)
    assert loss.shape == (6,) and float(loss.max()) < 1e-20
    t = torch.arange(6) * 150
    noise = torch.randn(x0.shape, generator=g, dtype=F64)
    zero = lambda x_t, t, cond: torch.zeros_like(x_t)  # noqa: E731
    mse = diff.training_loss(zero, x0, t=t, noise=noise)
    l1 = diff.training_loss(zero, x0, loss_type="l1", t=t, noise=noise)
    torch.testing.assert_close(mse, noise.square().mean(dim=(1, 2, 3)))
    torch.testing.assert_close(l1, noise.abs().mean(dim=(1, 2, 3)))
    assert torch.all(mse > 0) and not torch.allclose(mse, l1)
    diff.training_loss(oracle, x0, cond=x0, t=t)
    assert torch.equal(seen["t"], t)  # the model sees the original timesteps
    with pytest.raises(ValueError, match="loss_type"):
        diff.training_loss(zero, x0, loss_type="huber")


# --------------------------------------------------------------------------- DDIM
def _oracle_for(diff, x0):
    return lambda x_t, t, cond: diff.pred_eps_from_x0(x_t, t, x0)


@pytest.mark.parametrize("n_steps", [1, 5, 10, 50])
def test_oracle_round_trip_exact(n_steps):
    diff = GaussianDiffusion.from_schedule("linear", 1000)
    x0 = torch.rand(3, 3, 4, 4, generator=torch.Generator().manual_seed(3), dtype=F64) * 2 - 1
    model = _oracle_for(diff, x0)
    ddim = DDIM(diff, n_steps, clip_x0=False)
    x_T = ddim.invert(model, x0)
    # the oracle ODE path is the ray sqrt(abar) x0 + sqrt(1-abar) e, e = eps(x0, t_0); x_T sits at t_{n-1}
    a0, aT = diff.alphas_cumprod[0], diff.alphas_cumprod[ddim.timesteps[-1]]
    e = (1 - math.sqrt(a0)) / math.sqrt(1 - a0) * x0
    torch.testing.assert_close(x_T, math.sqrt(aT) * x0 + math.sqrt(1 - aT) * e, atol=1e-9, rtol=1e-9)
    rec = ddim.sample(model, x_T)
    assert float((rec - x0).abs().max()) < 1e-5


def test_constant_eps_round_trip_exact_and_official_convention_differs():
    # with an eps independent of x and t, every DDIM step is affine and its inversion exact
    diff = GaussianDiffusion.from_schedule("linear", 1000)
    g = torch.Generator().manual_seed(4)
    x0, e = torch.randn(2, 6, generator=g, dtype=F64), torch.randn(2, 6, generator=g, dtype=F64)
    model = lambda x_t, t, cond: e  # noqa: E731
    ddim = DDIM(diff, 20, clip_x0=False)
    rec = ddim.sample(model, ddim.invert(model, x0))
    assert float((rec - x0).abs().max()) < 1e-9
    off = ddim.invert(model, x0, match_official_code=True)
    torch.testing.assert_close(off, e)  # reference code's last step lands on abar = 0
    assert float((ddim.sample(model, off) - x0).abs().max()) > 1e-2


def test_generic_model_round_trip_converges():
    diff = GaussianDiffusion.from_schedule("linear", 1000)
    g = torch.Generator().manual_seed(5)
    D = 8
    M = torch.randn(D, D, generator=g, dtype=F64) * 0.3 / math.sqrt(D)
    x0 = torch.rand(5, D, generator=g, dtype=F64) * 2 - 1

    def model(x_t, t, cond):  # smooth, non-oracle, depends on t
        return (x_t @ M.T) * (1 + t.double()[:, None] / 1000) + 0.1 * torch.tanh(x_t)

    errs = []
    for n in (10, 20, 50, 100):
        ddim = DDIM(diff, n, clip_x0=False)
        rec = ddim.sample(model, ddim.invert(model, x0))
        errs.append(float((rec - x0).abs().max()))
    assert all(b < a for a, b in zip(errs, errs[1:])), errs
    assert errs[-1] < 0.25 * errs[0], errs


def _hand_abar(T):
    return np.cumprod(1.0 - np.linspace(1e-4 * 1000 / T, 0.02 * 1000 / T, T))


@pytest.mark.parametrize("n_steps,expected_ts", [(100, list(range(100))), (4, [0, 25, 50, 75])])
def test_ddim_steps_match_hand_derivation(n_steps, expected_ts):
    T = 100
    abar = _hand_abar(T)
    diff = GaussianDiffusion.from_schedule("linear", T)
    calls = []

    def model(x_t, t, cond):
        calls.append(t.tolist())
        return 0.5 * x_t + cond * (t.double()[:, None] / T)

    x_T = torch.tensor([[0.3, -1.2], [2.0, 0.1]], dtype=F64)
    cond = torch.tensor([[1.0], [-2.0]], dtype=F64)
    ddim = DDIM(diff, n_steps, clip_x0=False)
    assert ddim.timesteps == expected_ts
    out, traj = ddim.sample(model, x_T, cond, return_trajectory=True)
    assert [c[0] for c in calls] == expected_ts[::-1] and traj.timesteps == expected_ts[::-1]

    def np_step(x, t, a_prev):
        eps = 0.5 * x + cond.numpy() * t / T
        x0_hat = (x - np.sqrt(1 - abar[t]) * eps) / np.sqrt(abar[t])
        return np.sqrt(a_prev) * x0_hat + np.sqrt(1 - a_prev) * eps

    t_hi, t_lo = expected_ts[-1], expected_ts[-2]
    first = np_step(x_T.numpy(), t_hi, abar[t_lo])
    np.testing.assert_allclose(traj.x[1].numpy(), first, rtol=1e-12, atol=1e-12)
    last = np_step(traj.x[-2].numpy(), 0, 1.0)  # final step lands on abar = 1
    np.testing.assert_allclose(out.numpy(), last, rtol=1e-12, atol=1e-12)

    # inversion: clean -> t_0 with eps(x0, t_0), then t_0 -> t_1 with eps evaluated at t_0
    x0 = out
    _, inv = ddim.invert(model, x0, cond, return_trajectory=True)
    eps0 = 0.5 * x0.numpy() + cond.numpy() * 0 / T
    x_t0 = np.sqrt(abar[0]) * x0.numpy() + np.sqrt(1 - abar[0]) * eps0
    np.testing.assert_allclose(inv.x[1].numpy(), x_t0, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(inv.x[2].numpy(), np_step(x_t0, 0, abar[expected_ts[1]]), rtol=1e-12, atol=1e-12)
    assert inv.timesteps == [0] + expected_ts[:-1]


def test_clip_x0_and_float32():
    diff = GaussianDiffusion.from_schedule("linear", 1000)
    model = lambda x_t, t, cond: -3.0 * x_t  # noqa: E731  (x0 predictions far outside [-1, 1])
    x_T = torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(6))
    ddim = DDIM(diff, 10, clip_x0=True)
    out, traj = ddim.sample(model, x_T, return_trajectory=True)
    assert out.dtype == torch.float32 and out.shape == x_T.shape
    assert all(float(p.abs().max()) <= 1.0 for p in traj.pred_x0)
    assert float(out.abs().max()) <= 1.0 + 1e-6
    unclipped = DDIM(diff, 10, clip_x0=False).sample(model, x_T)
    assert float(unclipped.abs().max()) > 1.0
    ref = DDIM(diff, 10, clip_x0=False).sample(model, x_T.double())
    torch.testing.assert_close(unclipped.double(), ref, rtol=1e-4, atol=1e-4)


def test_ddim_rejects_bad_model_output():
    ddim = DDIM(GaussianDiffusion.from_schedule("linear", 100), 2, clip_x0=True)
    with pytest.raises(ValueError, match="shape"):
        ddim.sample(lambda x, t, c: x[:, :1], torch.zeros(2, 3))


# --------------------------------------------------------------------------- interpolation
def test_slerp_endpoints_and_norm():
    g = torch.Generator().manual_seed(7)
    a, b = torch.randn(4, 3, 5, 5, generator=g), torch.randn(4, 3, 5, 5, generator=g)
    torch.testing.assert_close(slerp(a, b, 0.0), a)
    torch.testing.assert_close(slerp(a, b, 1.0), b)
    b = b / b.flatten(1).norm(dim=1)[:, None, None, None] * a.flatten(1).norm(dim=1)[:, None, None, None]
    for al in (0.1, 0.5, 0.9):
        out = slerp(a, b, al)
        torch.testing.assert_close(out.flatten(1).norm(dim=1), a.flatten(1).norm(dim=1))
    alphas = torch.tensor([0.0, 0.25, 0.75, 1.0])
    per = slerp(a, b, alphas)
    torch.testing.assert_close(per[0], a[0])
    torch.testing.assert_close(per[3], b[3])
    torch.testing.assert_close(per[1], slerp(a[1:2], b[1:2], 0.25)[0])


def test_slerp_orthogonal_and_parallel():
    a = torch.tensor([[1.0, 0.0]])
    b = torch.tensor([[0.0, 1.0]])
    torch.testing.assert_close(slerp(a, b, 0.5), torch.tensor([[1.0, 1.0]]) / math.sqrt(2))
    torch.testing.assert_close(slerp(a, 2 * a, 0.5), 1.5 * a)  # parallel: falls back to lerp


def test_lerp_linear():
    g = torch.Generator().manual_seed(8)
    a, b = torch.randn(3, 6, generator=g), torch.randn(3, 6, generator=g)
    torch.testing.assert_close(lerp(a, b, 0.0), a)
    torch.testing.assert_close(lerp(a, b, 1.0), b)
    torch.testing.assert_close(lerp(a, b, 0.5), (a + b) / 2)
    torch.testing.assert_close(lerp(a, b, 0.3) + lerp(a, b, 0.7), a + b)
    per = lerp(a, b, torch.tensor([0.0, 0.5, 1.0]))
    torch.testing.assert_close(per, torch.stack([a[0], (a[1] + b[1]) / 2, b[2]]))
    with pytest.raises(ValueError):
        lerp(a, b, torch.tensor([0.1, 0.2]))


def test_sample_noise_is_a_seeded_cpu_draw():
    """x_T ~ N(0, I): drawn on the CPU from the generator in the given dtype, so a seed fixes it on every device."""
    shape = (2, 3, 4, 4)
    x = sample_noise(shape, torch.Generator().manual_seed(5))
    assert x.shape == shape and x.dtype == torch.float32 and x.device.type == "cpu"
    assert torch.equal(x, torch.randn(shape, generator=torch.Generator().manual_seed(5)))
    x64 = sample_noise(shape, torch.Generator().manual_seed(5), device="cpu", dtype=torch.float64)
    assert x64.dtype == torch.float64
    assert torch.equal(x64, torch.randn(shape, generator=torch.Generator().manual_seed(5), dtype=torch.float64))
    assert not torch.equal(x, sample_noise(shape, torch.Generator().manual_seed(6)))
