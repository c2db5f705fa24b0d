"""Editing over codecs (DiffuseGAE §4.2, §4.4, Eq. 13) with exact stub codecs."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from diffae.eval import editing
from diffae.eval.ppl import percentile_filtered_mean
from diffae.nets.partition import Partition

torch.set_num_threads(1)
NAMES = ("identity", "background", "pose")


def _orthogonal(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))
    return q.float()


class LinearCodec:
    """Pixel 'autoencoder' z = Q x (Q orthogonal): decode is the exact inverse of encode."""

    stochastic = False

    def __init__(self, channels: int = 1, size: int = 8, name: str = "AE + DS") -> None:
        dim = channels * size * size
        self.name, self.shape = name, (channels, size, size)
        self.partition = Partition(NAMES, (dim // 2, dim // 4, dim - dim // 2 - dim // 4))
        self.Q = _orthogonal(dim, 0)

    def encode(self, x):
        return x.flatten(1) @ self.Q.to(x.dtype).T

    def decode(self, z, T=None, x_T=None, generator=None):
        return (z @ self.Q.to(z.dtype)).reshape(len(z), *self.shape)


class StochasticStub:
    """Diffusion-like codec on (N, C>=2, 8, 8): z codes channel 0; x_T sets the other channels.

    decode: ch0 = Q^T z, ch1.. = x_T[:, 1:] * 10 / T + 0.5 ch0;  invert is its exact inverse
    given z = encode(x), and encode(decode(z, T, x_T)) = z for any x_T.
    """

    stochastic = True

    def __init__(self, name: str = "DiffuseGAE") -> None:
        self.name = name
        self.partition = Partition(NAMES, (32, 16, 16))
        self.Q = _orthogonal(64, 1)
        self.last_x_T = None

    def _img(self, z):
        return (z @ self.Q.to(z.dtype)).reshape(len(z), 1, 8, 8)

    def encode(self, x):
        return x[:, 0].flatten(1) @ self.Q.to(x.dtype).T

    def decode(self, z, T, x_T=None, generator=None):
        if x_T is None:
            x_T = torch.randn(len(z), 3, 8, 8, generator=generator)
        self.last_x_T = x_T.clone()
        ch0 = self._img(z)
        return torch.cat([ch0, x_T[:, 1:] * (10.0 / T) + 0.5 * ch0], dim=1)

    def invert(self, x, z, T):
        ch0 = self._img(z)
        return torch.cat([x[:, :1], (x[:, 1:] - 0.5 * ch0) * (T / 10.0)], dim=1)


class ConstantCodec(StochasticStub):
    def decode(self, z, T, x_T=None, generator=None):
        return torch.zeros(len(z), 3, 8, 8)


def _images(n: int, c: int, seed: int) -> torch.Tensor:
    return torch.rand(n, c, 8, 8, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _codecs():
    return [(LinearCodec(1), _images(4, 1, 0), _images(4, 1, 1)),
            (StochasticStub(), _images(4, 3, 0), _images(4, 3, 1))]


def _mse_distance(x, y):
    return ((x - y) ** 2).flatten(1).mean(1)


# --------------------------------------------------------------- replacement (Fig. 6)
@pytest.mark.parametrize("k", [0, 1])
def test_replacement_without_parts_reproduces_base(k):
    codec, base, donor = _codecs()[k]
    out = editing.replace_attributes(codec, base, donor, [], n_steps=20)
    torch.testing.assert_close(out, base, atol=1e-5, rtol=0)


@pytest.mark.parametrize("k", [0, 1])
def test_replacing_a_part_equals_manual_assembly(k):
    codec, base, donor = _codecs()[k]
    zb, zd = codec.encode(base), codec.encode(donor)
    sl = codec.partition.slice("background")
    z = torch.cat([zb[:, : sl.start], zd[:, sl], zb[:, sl.stop:]], dim=1)
    out = editing.replace_attributes(codec, base, donor, ["background"], n_steps=20)
    if codec.stochastic:
        x_T = codec.invert(base, zb, 20)
        torch.testing.assert_close(codec.last_x_T, x_T)  # x_T from the base (Eq. 7)
        expected = codec.decode(z, 20, x_T)
    else:
        expected = codec.decode(z)
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=0)
    zo = codec.encode(out)
    torch.testing.assert_close(zo[:, sl], zd[:, sl], atol=1e-5, rtol=0)
    torch.testing.assert_close(zo[:, codec.partition.slice("identity")], zb[:, codec.partition.slice("identity")],
                               atol=1e-5, rtol=0)
    assert not torch.allclose(out, base, atol=1e-3)


def test_replacement_rejects_unknown_part():
    codec, base, donor = _codecs()[0]
    with pytest.raises(KeyError, match="colour"):
        editing.replace_attributes(codec, base, donor, ["colour"], n_steps=10)


# --------------------------------------------------------------- recombination (Fig. 7)
@pytest.mark.parametrize("k", [0, 1])
def test_recombine_takes_part_k_from_source_k(k):
    codec, a, b = _codecs()[k]
    c = -a.flip(0)
    sources = dict(zip(NAMES, (a, b, c)))
    out = editing.recombine(codec, sources, n_steps=10, generator=torch.Generator().manual_seed(3))
    zo = codec.encode(out)
    for name, x in sources.items():
        sl = codec.partition.slice(name)
        torch.testing.assert_close(zo[:, sl], codec.encode(x)[:, sl], atol=1e-5, rtol=0)
    if codec.stochastic:  # x_T ~ N(0, I), seeded
        torch.testing.assert_close(codec.last_x_T, torch.randn(a.shape, generator=torch.Generator().manual_seed(3)))
        again = editing.recombine(codec, sources, n_steps=10, generator=torch.Generator().manual_seed(3))
        torch.testing.assert_close(out, again)


def test_recombine_needs_every_part():
    codec, a, b = _codecs()[0]
    with pytest.raises(KeyError, match="pose"):
        editing.recombine(codec, {"identity": a, "background": b}, n_steps=10)


# --------------------------------------------------------------- interpolation (Figs 8-9)
@pytest.mark.parametrize("k", [0, 1])
def test_interpolation_endpoints_and_midpoint(k):
    codec, x1, x2 = _codecs()[k]
    frames = editing.interpolate(codec, x1, x2, [0.0, 0.5, 1.0], n_steps=10)
    assert frames.shape == (3, *x1.shape)
    torch.testing.assert_close(frames[0], x1, atol=1e-5, rtol=0)
    torch.testing.assert_close(frames[2], x2, atol=1e-5, rtol=0)
    torch.testing.assert_close(codec.encode(frames[1]), 0.5 * (codec.encode(x1) + codec.encode(x2)),
                               atol=1e-5, rtol=0)


@pytest.mark.parametrize("k", [0, 1])
@pytest.mark.parametrize("part", NAMES)
def test_single_attribute_interpolation_keeps_other_parts(k, part):
    codec, x1, x2 = _codecs()[k]
    alphas = [0.0, 0.25, 1.0]
    frames = editing.interpolate(codec, x1, x2, alphas, n_steps=10, parts=[part])
    z1, z2 = codec.encode(x1), codec.encode(x2)
    for a, f in zip(alphas, frames):
        z = codec.encode(f)
        for name in NAMES:
            sl = codec.partition.slice(name)
            want = z1[:, sl] + a * (z2[:, sl] - z1[:, sl]) if name == part else z1[:, sl]
            torch.testing.assert_close(z[:, sl], want, atol=1e-5, rtol=0)
    torch.testing.assert_close(frames[0], x1, atol=1e-5, rtol=0)


def test_interpolation_keeps_first_x_T_on_request():
    codec, x1, x2 = _codecs()[1]
    editing.interpolate(codec, x1, x2, [1.0], n_steps=10, parts=["pose"], xT_path="first")
    torch.testing.assert_close(codec.last_x_T, codec.invert(x1, codec.encode(x1), 10))


# --------------------------------------------------------------- PPL curve (Eq. 13, Fig. 10)
def test_ppl_curve_constant_decoder_is_zero():
    rows = editing.ppl_curve(ConstantCodec(), _images(10, 3, 0), [5, 10], n_pairs=12, eps=1e-4,
                             lpips_vgg=_mse_distance, generator=torch.Generator().manual_seed(0), batch_size=5)
    assert [r["T"] for r in rows] == [5, 10]
    assert all(r["ppl"] == pytest.approx(0.0, abs=1e-12) and r["n_pairs"] == 12 for r in rows)


def test_ppl_curve_positive_deterministic_and_depends_on_T():
    codec, imgs = StochasticStub(), _images(10, 3, 2)

    def run(seed):
        return editing.ppl_curve(codec, imgs, [5, 20], n_pairs=16, eps=1e-2, lpips_vgg=_mse_distance,
                                 generator=torch.Generator().manual_seed(seed), batch_size=6)

    a, b, c = run(0), run(0), run(1)
    assert all(r["ppl"] > 0 for r in a)
    assert [r["ppl"] for r in a] == [r["ppl"] for r in b]
    assert [r["ppl"] for r in a] != [r["ppl"] for r in c]
    assert a[0]["ppl"] > a[1]["ppl"]  # x_T weighs 10 / T: fewer steps, longer path in this stub


def test_ppl_curve_matches_closed_form_for_linear_decoder():
    """G linear in z: d(G(z(a)), G(z(a+eps))) / eps^2 = mean((x_j - x_i)^2) for every alpha."""
    codec, imgs = LinearCodec(1), _images(9, 1, 4)
    rows = editing.ppl_curve(codec, imgs, [10], n_pairs=20, eps=1e-2, lpips_vgg=_mse_distance,
                             generator=torch.Generator().manual_seed(7), batch_size=8)
    i, j = editing._distinct_pairs(9, 20, torch.Generator().manual_seed(7))
    assert bool((i != j).all())
    per_pair = ((imgs[j] - imgs[i]) ** 2).flatten(1).mean(1).double().numpy()
    assert rows[0]["ppl"] == pytest.approx(percentile_filtered_mean(per_pair), rel=1e-3)
    assert rows[0]["ppl"] == pytest.approx(np.mean(per_pair), rel=0.2)


def test_ppl_curve_rejects_single_image():
    with pytest.raises(ValueError, match="at least 2"):
        editing.ppl_curve(StochasticStub(), _images(1, 3, 0), [10], 4, 1e-4, _mse_distance)
