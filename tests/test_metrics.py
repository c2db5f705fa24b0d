"""Reconstruction metrics, offline metric weights and PPL (Diff-AE Tables 1-2, App. F; DiffuseGAE Eq. 13)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from diffae.eval import weights as W
from diffae.eval.metrics import LPIPSMetric, mse, reconstruction_metrics, ssim

torch.set_num_threads(2)


pytestmark = pytest.mark.usefixtures("empty_hub")  # offline hub cache, downloads fail (conftest)


# ---------------------------------------------------------------- MSE / SSIM


def test_mse_hand_value():
    x = torch.zeros(2, 3, 2, 2)
    y = torch.zeros(2, 3, 2, 2)
    y[0, 0, 0, 0] = 0.5  # one of 12 entries differs by 0.5 -> 0.25 / 12
    y[1] = 1.0
    np.testing.assert_allclose(mse(x, y).numpy(), [0.25 / 12, 1.0], rtol=1e-7)


def _structured(n: int, h: int, w: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.linspace(0, 1, h), torch.linspace(0, 1, w), indexing="ij")
    imgs = []
    for i in range(n):
        f = 2 + 3 * torch.rand(3, generator=g)
        base = torch.stack([
            0.5 + 0.4 * torch.sin(2 * math.pi * f[0] * xx + i),
            ((xx * f[1]).floor() + (yy * f[1]).floor()) % 2 * 0.8 + 0.1,  # checkerboard
            (0.3 * xx + 0.6 * yy) * (yy > 0.4).float(),  # ramp with an edge
        ])
        imgs.append(base)
    return torch.stack(imgs)


def _pairs():
    g = torch.Generator().manual_seed(0)
    rnd_x = torch.rand(3, 3, 24, 28, generator=g, dtype=torch.float64)
    rnd_y = torch.rand(3, 3, 24, 28, generator=g, dtype=torch.float64)
    mixed_y = (0.7 * rnd_x + 0.3 * rnd_y).clamp(0, 1)
    st_x = _structured(3, 32, 30, seed=1).double()
    st_y = (st_x + 0.08 * torch.randn(st_x.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    st_shift = torch.roll(st_x, shifts=2, dims=3)
    return {"random": (rnd_x, rnd_y), "correlated": (rnd_x, mixed_y), "structured": (st_x, st_y), "shifted": (st_x, st_shift)}


def _skimage_ssim(x: np.ndarray, y: np.ndarray) -> float:
    return structural_similarity(
        x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0, channel_axis=0
    )


@pytest.mark.parametrize("case", ["random", "correlated", "structured", "shifted"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_ssim_valid_matches_skimage(case, dtype):
    x, y = _pairs()[case]
    ours = ssim(x.to(dtype), y.to(dtype), padding="valid").double().numpy()
    ref = [_skimage_ssim(a, b) for a, b in zip(x.numpy(), y.numpy())]
    np.testing.assert_allclose(ours, ref, atol=1e-3 if dtype == torch.float32 else 1e-9)
    assert ours.shape == (len(x),)


@pytest.mark.parametrize("case", ["random", "structured"])
def test_ssim_zero_padding_is_skimage_on_zero_padded_images(case):
    """Diff-AE's ssim.py convention: zero padding 5, mean over the full H x W map."""
    x, y = _pairs()[case]
    ours = ssim(x, y, padding="zeros").numpy()
    pad = ((0, 0), (5, 5), (5, 5))
    ref = [_skimage_ssim(np.pad(a, pad), np.pad(b, pad)) for a, b in zip(x.numpy(), y.numpy())]
    np.testing.assert_allclose(ours, ref, atol=1e-9)
    # and it differs from the valid convention (borders count)
    assert np.abs(ours - ssim(x, y, padding="valid").numpy()).max() > 1e-4


def test_ssim_identity_and_bad_input():
    x = _structured(2, 16, 16, seed=3)
    np.testing.assert_allclose(ssim(x, x).numpy(), 1.0, atol=1e-6)
    with pytest.raises(ValueError, match=r"\[0.0, 1.0\]"):
        ssim(x * 255, x * 255)
    with pytest.raises(ValueError, match="one shape"):
        ssim(x, x[:, :, :8])
    with pytest.raises(ValueError, match="smaller than the 11px window"):
        ssim(x[..., :8, :8], x[..., :8, :8], padding="valid")


# ---------------------------------------------------------------- weight resolution


def test_resolve_weight_search_order_and_errors(tmp_path, empty_hub):
    name = W.ALEXNET_FILE
    wdir = tmp_path / "weights"
    wdir.mkdir()
    (empty_hub / "checkpoints").mkdir()
    hub_file = empty_hub / "checkpoints" / name
    hub_file.write_bytes(b"hub")
    assert W.resolve_weight(name, wdir) == hub_file  # falls back to the hub cache
    (wdir / name).write_bytes(b"dir")
    assert W.resolve_weight(name, wdir) == wdir / name  # weights_dir wins
    hub_file.unlink()
    (wdir / name).unlink()
    with pytest.raises(W.MetricWeightsError) as err:
        W.resolve_weight(name, wdir, allow_random=False)
    msg = str(err.value)
    assert name in msg and str(wdir / name) in msg and str(empty_hub / "checkpoints" / name) in msg
    assert f"curl -L -o {wdir / name} " in msg and W.METRIC_WEIGHTS[name].url().endswith(name)
    assert W.resolve_weight(name, wdir, allow_random=True) is None


def test_metric_weight_table_urls_come_from_the_packages():
    assert set(W.METRIC_WEIGHTS) == {W.ALEXNET_FILE, W.VGG16_FILE, W.FID_INCEPTION_FILE, W.ARCFACE_FILE}
    for filename, info in W.METRIC_WEIGHTS.items():
        if filename == W.ARCFACE_FILE:     # released with pSp only: no package holds its address
            assert info.url() is None and info.sha256_prefix is None and "pSp" in info.source_note
            continue
        assert info.url().rsplit("/", 1)[-1] == filename
        assert filename.rsplit("-", 1)[-1].startswith(info.sha256_prefix)


def test_sha256_prefix_check(tmp_path):
    bad = tmp_path / W.VGG16_FILE
    bad.write_bytes(b"not the weights")
    assert W.sha256_matches(bad) is False


# ---------------------------------------------------------------- LPIPS


def _lpips_reference(net: str, seed: int):
    import lpips

    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return lpips.LPIPS(net=net, pnet_rand=True, verbose=False).eval()


def _images(n: int = 3, size: int = 32, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, size, size, generator=g) * 2 - 1
    y = (x + 0.3 * torch.randn(x.shape, generator=g)).clamp(-1, 1)
    return x, y


def test_lpips_loads_backbone_file_like_lpips(tmp_path):
    """A torchvision-format AlexNet file in weights_dir gives the same distances as lpips with that backbone."""
    ref = _lpips_reference("alex", seed=123)  # backbone differs from LPIPSMetric's seed-0 random init
    state = {f"features.{k.split('.', 1)[1]}": v.clone() for k, v in ref.net.state_dict().items()}
    torch.save(state, tmp_path / W.ALEXNET_FILE)
    metric = LPIPSMetric("alex", weights_dir=tmp_path)
    assert not metric.random_init and metric.feature_net == "lpips-alexnet(imagenet)"
    x, y = _images()
    with torch.no_grad():
        expected = ref(x, y).reshape(-1)
    got = metric(x, y)
    assert got.shape == (3,)
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=0)
    assert (got > 0).all() and torch.allclose(metric(x, x), torch.zeros(3), atol=1e-7)


def test_lpips_random_init_is_seeded_flagged_and_offline():
    with pytest.raises(W.MetricWeightsError, match=W.ALEXNET_FILE):
        LPIPSMetric("alex")
    a = LPIPSMetric("alex", allow_random=True, seed=0)
    b = LPIPSMetric("alex", allow_random=True, seed=0)
    c = LPIPSMetric("alex", allow_random=True, seed=1)
    assert a.random_init and a.feature_net == "lpips-alexnet(random-init, seed 0)"
    x, y = _images()
    assert torch.equal(a(x, y), b(x, y))
    assert not torch.allclose(a(x, y), c(x, y))
    with pytest.raises(ValueError, match="net must be one of"):
        LPIPSMetric("squeeze", allow_random=True)


def test_lpips_vgg_random_equals_lpips_with_same_backbone_state():
    metric = LPIPSMetric("vgg", allow_random=True, seed=5)
    ref = _lpips_reference("vgg", seed=5)
    x, y = _images(n=2)
    with torch.no_grad():
        torch.testing.assert_close(metric(x, y), ref(x, y).reshape(-1), atol=1e-6, rtol=0)
    assert metric.feature_net == "lpips-vgg16(random-init, seed 5)"


def test_reconstruction_metrics_convert_from_model_range():
    metric = LPIPSMetric("alex", allow_random=True)
    x, y = _images(n=4)
    out = reconstruction_metrics(x, y, metric)
    assert set(out) == {"ssim", "lpips", "mse"}
    assert all(v.shape == (4,) and v.dtype == np.float64 for v in out.values())
    np.testing.assert_allclose(out["mse"], ((x - y) ** 2).mean((1, 2, 3)).numpy() / 4, rtol=1e-5)
    np.testing.assert_allclose(out["ssim"], ssim((x + 1) / 2, (y + 1) / 2).numpy(), rtol=1e-6)
    same = reconstruction_metrics(x, x, metric)
    np.testing.assert_allclose(same["ssim"], 1.0, atol=1e-5)
    np.testing.assert_allclose(same["mse"], 0.0, atol=0)
    with pytest.raises(ValueError, match=r"\[-1.0, 1.0\]"):
        reconstruction_metrics(x * 127.5 + 127.5, y, metric)


# ---------------------------------------------------------------- PPL (Diff-AE App. F, DiffuseGAE Eq. 13)

from diffae.eval.ppl import percentile_filtered_mean, ppl, ppl_distances  # noqa: E402


def _sq_dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a - b).pow(2).flatten(1).sum(1)


def test_ppl_linear_render_in_z_matches_analytic_value():
    """G(z) = A z is linear and z is lerped: d / eps^2 = |A (z2 - z1)|^2 exactly, for every alpha."""
    g = torch.Generator().manual_seed(0)
    n, d = 300, 6
    a = torch.randn(3 * 4 * 4, d, generator=g, dtype=torch.float64)
    z1 = torch.randn(n, d, generator=g, dtype=torch.float64)
    z2 = torch.randn(n, d, generator=g, dtype=torch.float64)

    def render(z, x_t):
        assert x_t is None
        return (z @ a.T).reshape(-1, 3, 4, 4)

    analytic = ((z2 - z1) @ a.T).pow(2).sum(1).numpy()
    dist = ppl_distances(render, z1, z2, None, None, _sq_dist, generator=torch.Generator().manual_seed(1))
    np.testing.assert_allclose(dist, analytic, rtol=1e-5)
    value = ppl(render, z1, z2, None, None, _sq_dist, generator=torch.Generator().manual_seed(1), batch_size=64)
    np.testing.assert_allclose(value, percentile_filtered_mean(analytic), rtol=1e-5)
    srt = np.sort(analytic)  # StyleGAN's filter: keep [1st 'lower', 99th 'higher'] percentile
    kept = srt[math.floor(0.01 * (n - 1)) : math.ceil(0.99 * (n - 1)) + 1]
    np.testing.assert_allclose(value, kept.mean(), rtol=1e-5)


def test_ppl_slerps_x_t():
    """Orthogonal equal-norm x_T endpoints: slerp moves at constant speed (pi/2)|x| (lerp would give sqrt(2)|x|)."""
    g = torch.Generator().manual_seed(2)
    n = 50
    x1 = torch.randn(n, 1, 4, 4, generator=g, dtype=torch.float64)
    x2 = torch.randn(n, 1, 4, 4, generator=g, dtype=torch.float64)
    f1, f2 = x1.flatten(1), x2.flatten(1)
    f2 = f2 - (f2 * f1).sum(1, keepdim=True) / (f1 * f1).sum(1, keepdim=True) * f1  # orthogonal to x1
    f2 = f2 / f2.norm(dim=1, keepdim=True) * f1.norm(dim=1, keepdim=True)  # same norm
    x2 = f2.reshape(x1.shape)
    z = torch.zeros(n, 2, dtype=torch.float64)
    dist = ppl_distances(lambda z_, x_: x_, z, z, x1, x2, _sq_dist, generator=torch.Generator().manual_seed(0))
    expected = (math.pi / 2) ** 2 * f1.pow(2).sum(1).numpy()
    np.testing.assert_allclose(dist, expected, rtol=1e-3)


def test_percentile_filtering_drops_outliers():
    rng = np.random.default_rng(0)
    d = rng.uniform(1.0, 2.0, size=200)
    d[[3, 77]] = [1e9, 1e-9]  # one huge, one tiny outlier
    kept = d[(d > 1e-6) & (d < 1e6)]
    assert percentile_filtered_mean(d) <= kept.max() and percentile_filtered_mean(d) >= kept.min()
    assert abs(percentile_filtered_mean(d) - kept.mean()) < 0.05
    assert d.mean() > 1e6  # the unfiltered mean is ruined
    with pytest.raises(ValueError, match="non-finite"):
        percentile_filtered_mean(np.array([1.0, np.nan]))


def test_ppl_filters_a_broken_pair_and_checks_inputs():
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(200, 3, generator=g), torch.randn(200, 3, generator=g)
    z2[10] = z1[10] + 1e4  # one pair with an enormous path

    def render(z, x_t):
        return z.reshape(-1, 3, 1, 1).clamp(-1e6, 1e6)

    value = ppl(render, z1.double(), z2.double(), None, None, _sq_dist, generator=torch.Generator().manual_seed(0))
    typical = ((z2 - z1) ** 2).sum(1).numpy()
    assert value < 10 * np.median(typical)
    with pytest.raises(ValueError, match="both xT1 and xT2"):
        ppl(render, z1, z2, torch.zeros(200, 1), None, _sq_dist)
    with pytest.raises(ValueError, match="returned"):
        ppl(lambda z, x: z[:1].reshape(1, 3, 1, 1), z1, z2, None, None, _sq_dist)


def test_lpips_upsamples_images_below_32px():
    from diffae.eval.metrics import LPIPSMetric

    m = LPIPSMetric("alex", allow_random=True, seed=0)
    torch.manual_seed(0)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    d = m(x, x.flip(-1))
    assert d.shape == (2,) and (d > 0).all()
    assert torch.allclose(m(x, x), torch.zeros(2), atol=1e-6)
    up = torch.nn.functional.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False)
    up2 = torch.nn.functional.interpolate(x.flip(-1), size=(32, 32), mode="bilinear", align_corners=False)
    assert torch.allclose(d, m(up, up2), atol=1e-6)
