"""FID with pytorch-fid's InceptionV3 built offline, and the eigenvalue-form Fréchet distance."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from scipy import linalg

from diffae.eval import weights as W
from diffae.eval.fid import (
    FIDInception,
    _fid_inception_backbone,
    fid_from_images,
    fid_statistics,
    frechet_distance,
    load_stats,
    save_stats,
    to_fid_input,
)

torch.set_num_threads(2)


pytestmark = pytest.mark.usefixtures("empty_hub")  # offline hub cache, downloads fail (conftest)


def _random_stats(d: int, seed: int, n: int = 50):
    rng = np.random.default_rng(seed)
    feats = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) * 0.3 + rng.normal(size=d)
    return feats.mean(0), np.cov(feats, rowvar=False)


def _reference_fd(mu1, s1, mu2, s2) -> float:
    """pytorch-fid's own function; if this SciPy lacks sqrtm(disp=...), a float64 sqrtm reference."""
    from pytorch_fid.fid_score import calculate_frechet_distance

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return float(calculate_frechet_distance(mu1, s1, mu2, s2))
    except TypeError:  # SciPy >= 1.18 removed `disp`
        covmean = linalg.sqrtm(s1 @ s2).real
        diff = mu1 - mu2
        return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


@pytest.mark.parametrize("d,seed", [(8, 0), (64, 1), (64, 2)])
def test_frechet_distance_matches_pytorch_fid(d, seed):
    mu1, s1 = _random_stats(d, seed)
    mu2, s2 = _random_stats(d, seed + 100)
    np.testing.assert_allclose(frechet_distance(mu1, s1, mu2, s2), _reference_fd(mu1, s1, mu2, s2), rtol=1e-4)


def test_frechet_distance_closed_form_and_self():
    """Diagonal covariances: FD = |mu1 - mu2|^2 + sum (sqrt(a) - sqrt(b))^2."""
    a, b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.0])
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    expected = 1 + 4 + ((np.sqrt(a) - np.sqrt(b)) ** 2).sum()
    np.testing.assert_allclose(frechet_distance(mu1, np.diag(a), mu2, np.diag(b)), expected, rtol=1e-12)
    mu, s = _random_stats(32, 3, n=10)  # rank-deficient covariance, as with few images
    assert abs(frechet_distance(mu, s, mu, s)) < 1e-8
    with pytest.raises(ValueError, match="do not describe"):
        frechet_distance(mu, s, mu[:5], s)


class _LinearFeatures:
    """Stand-in feature net: a fixed random projection of the [0, 1] pixels."""

    def __init__(self, d: int = 16):
        self.w = torch.randn(3 * 8 * 8, d, generator=torch.Generator().manual_seed(0))
        self.calls = 0

    def __call__(self, x01: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        assert x01.dtype == torch.float32 and 0 <= x01.min() and x01.max() <= 1
        return x01.flatten(1) @ self.w + 5.0  # a large offset tests the shifted accumulation


def test_fid_statistics_streams_batches_like_np_cov():
    g = torch.Generator().manual_seed(0)
    imgs = torch.rand(37, 3, 8, 8, generator=g) * 2 - 1
    net = _LinearFeatures()
    mu, sigma = fid_statistics(imgs, net, batch_size=10)
    assert net.calls == 4
    feats = net(to_fid_input(imgs)).double().numpy()
    np.testing.assert_allclose(mu, feats.mean(0), rtol=1e-6)  # float32 features, batched differently
    np.testing.assert_allclose(sigma, np.cov(feats, rowvar=False), rtol=1e-4, atol=1e-6)
    # an iterable of batches (e.g. a loader) gives the same statistics
    mu2, sigma2 = fid_statistics((imgs[i : i + 7] for i in range(0, 37, 7)), net, batch_size=4)
    np.testing.assert_allclose(mu2, mu, rtol=1e-6)
    np.testing.assert_allclose(sigma2, sigma, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="at least 2 images"):
        fid_statistics(imgs[:1], net)


def test_to_fid_input_formats():
    u8 = np.random.default_rng(0).integers(0, 256, size=(2, 5, 6, 3), dtype=np.uint8)
    from_np = to_fid_input(u8)
    assert from_np.shape == (2, 3, 5, 6) and from_np.dtype == torch.float32
    np.testing.assert_allclose(from_np.permute(0, 2, 3, 1).numpy() * 255, u8, atol=1e-4)
    model_range = torch.from_numpy(u8).permute(0, 3, 1, 2).float() / 127.5 - 1
    torch.testing.assert_close(to_fid_input(model_range), from_np, atol=1e-6, rtol=0)
    torch.testing.assert_close(to_fid_input(torch.from_numpy(u8).permute(0, 3, 1, 2)), from_np)
    x = torch.tensor([-1.0, -0.999, 0.0, 1.0]).reshape(1, 1, 1, 4).expand(1, 3, 1, 4)
    assert torch.equal(to_fid_input(x, quantize=True)[0, 0, 0] * 255, torch.tensor([0.0, 0.0, 128.0, 255.0]))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        to_fid_input(x * 255)
    with pytest.raises(ValueError, match="uint8 NHWC"):
        to_fid_input(u8.astype(np.float32))


def test_stats_round_trip_and_pytorch_fid_layout(tmp_path):
    mu, sigma = _random_stats(6, 0)
    path = tmp_path / "ref" / "stats.npz"
    save_stats(path, mu, sigma, {"feature_net": "inception-v3-fid(random-init, seed 0)", "n": 50})
    mu2, sigma2, meta = load_stats(path)
    np.testing.assert_array_equal(mu2, mu)
    np.testing.assert_array_equal(sigma2, sigma)
    assert meta == {"feature_net": "inception-v3-fid(random-init, seed 0)", "n": 50}
    with np.load(path) as f:  # what pytorch-fid's compute_statistics_of_path reads
        np.testing.assert_array_equal(f["mu"], mu)
    plain = tmp_path / "plain.npz"
    np.savez(plain, mu=mu, sigma=sigma)
    assert load_stats(plain)[2] == {}
    bad = tmp_path / "bad.npz"
    np.savez(bad, mu=mu)
    with pytest.raises(ValueError, match=r"lacks keys \['sigma'\]"):
        load_stats(bad)


# ---------------------------------------------------------------- the Inception network (heavy: few small images)


@pytest.fixture(scope="module")
def random_inception():
    with pytest.MonkeyPatch.context() as mp:  # the module fixture runs outside the per-test hub patch
        mp.setattr(torch.hub, "get_dir", lambda: "/nonexistent-hub")
        return FIDInception(allow_random=True, seed=0)


def test_inception_structure_and_weight_loading_match_pytorch_fid(tmp_path):
    """A weight file in weights_dir gives the features of pytorch-fid's own InceptionV3 with that state."""
    from pytorch_fid import inception as pfi

    torch.manual_seed(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        state = _fid_inception_backbone().state_dict()
    torch.save(state, tmp_path / W.FID_INCEPTION_FILE)
    ours = FIDInception(weights_dir=tmp_path)
    assert not ours.random_init and ours.feature_net == "inception-v3-fid(imagenet)"
    pfi_load = pfi.load_state_dict_from_url
    try:
        pfi.load_state_dict_from_url = lambda url, **kw: state  # pytorch-fid's own path, strict load
        ref = pfi.InceptionV3([3]).eval()
    finally:
        pfi.load_state_dict_from_url = pfi_load
    x = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = ref(x)[0].flatten(1)
    got = ours(x)
    assert got.shape == (1, 2048)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)


def test_inception_missing_weights_error_and_seeded_random_init(random_inception):
    with pytest.raises(W.MetricWeightsError, match=W.FID_INCEPTION_FILE):
        FIDInception()
    a, b = random_inception, FIDInception(allow_random=True, seed=0)
    assert a.random_init and a.feature_net == "inception-v3-fid(random-init, seed 0)"
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    c = FIDInception(allow_random=True, seed=1)
    assert not torch.equal(sa["blocks.0.0.conv.weight"], c.model.state_dict()["blocks.0.0.conv.weight"])


def test_fid_random_inception_self_zero_and_different_positive(random_inception):
    net = random_inception
    g = torch.Generator().manual_seed(0)
    noise = torch.rand(4, 3, 32, 32, generator=g) * 2 - 1
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 32), torch.linspace(-1, 1, 32), indexing="ij")
    smooth = torch.stack([torch.stack([xx * s, yy * s, xx * yy]) for s in torch.linspace(0.2, 1, 4)])
    mu_n, s_n = fid_statistics(noise, net, batch_size=2)
    assert mu_n.shape == (2048,) and s_n.shape == (2048, 2048)
    assert np.abs(mu_n).mean() > 1e-3  # He init keeps the random features from vanishing
    assert abs(frechet_distance(mu_n, s_n, mu_n, s_n)) < 1e-3
    different = fid_from_images(noise, smooth, net, batch_size=4)
    assert different > 1e-2
