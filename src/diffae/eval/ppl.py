"""Perceptual path length of interpolations (Diff-AE App. F Eq. 10, DiffuseGAE Eq. 13).

    PPL = E_{pairs, alpha ~ U(0,1)} [ d(G(path(alpha)), G(path(alpha + eps))) / eps^2 ]

with eps = 1e-4, d = LPIPS-VGG on images in [-1, 1], G the decoder (``render_fn``,
supplied by the caller) and, as in StyleGAN's PPL that both papers cite, the per-pair
distances outside the 1st-99th percentile discarded before averaging.

The path interpolates the semantic code and the stochastic code separately
(DESIGN §5, Diff-AE's interpolation code): lerp on z_sem and slerp on x_T. The papers'
equations write slerp for the whole code; ``z_interp="slerp"`` gives that reading.
"""
from __future__ import annotations

from typing import Callable, Literal

import numpy as np
import torch

from diffae.diffusion.interpolate import lerp, slerp

RenderFn = Callable[[torch.Tensor, "torch.Tensor | None"], torch.Tensor]
DistanceFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def percentile_filtered_mean(values: np.ndarray, lo: float = 1.0, hi: float = 99.0) -> float:
    """Mean of the values within [lo-th, hi-th] percentile (StyleGAN PPL: 'lower'/'higher' percentiles)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValueError("percentile_filtered_mean: no values")
    if not np.isfinite(values).all():
        raise ValueError(f"percentile_filtered_mean: {int((~np.isfinite(values)).sum())} non-finite distances")
    low = np.percentile(values, lo, method="lower")
    high = np.percentile(values, hi, method="higher")
    return float(values[(values >= low) & (values <= high)].mean())


def ppl_distances(
    render_fn: RenderFn,
    z1: torch.Tensor,
    z2: torch.Tensor,
    xT1: torch.Tensor | None,
    xT2: torch.Tensor | None,
    lpips_vgg: DistanceFn,
    eps: float = 1e-4,
    generator: torch.Generator | None = None,
    z_interp: Literal["lerp", "slerp"] = "lerp",
    batch_size: int | None = None,
) -> np.ndarray:
    """Per-pair d(G(path(alpha)), G(path(alpha + eps))) / eps^2 -> (N,) float64, alpha ~ U(0, 1).

    ``render_fn(z, x_T)`` decodes a batch to images in [-1, 1] (x_T may be None when the
    pairs have no stochastic code); each call gets both endpoints of up to ``batch_size``
    pairs (2 * batch_size codes). ``generator`` seeds alpha (drawn on the CPU).
    """
    if z1.shape != z2.shape or z1.dim() < 1:
        raise ValueError(f"ppl: z1 {tuple(z1.shape)} and z2 {tuple(z2.shape)} must be batches of one shape")
    if (xT1 is None) != (xT2 is None):
        raise ValueError("ppl: give both xT1 and xT2 or neither")
    n = z1.shape[0]
    if xT1 is not None and (xT1.shape != xT2.shape or xT1.shape[0] != n):
        raise ValueError(f"ppl: xT1 {tuple(xT1.shape)} / xT2 {tuple(xT2.shape)} must match each other and N={n}")
    if z_interp not in ("lerp", "slerp"):
        raise ValueError(f"ppl: z_interp must be 'lerp' or 'slerp', got {z_interp!r}")
    if eps <= 0:
        raise ValueError(f"ppl: eps must be > 0, got {eps}")
    interp_z = lerp if z_interp == "lerp" else slerp
    alpha = torch.rand(n, generator=generator, dtype=torch.float64)
    step = batch_size or n
    out = []
    for s in range(0, n, step):
        sl = slice(s, min(s + step, n))
        a = alpha[sl].to(z1.device)
        za, zb = interp_z(z1[sl], z2[sl], a), interp_z(z1[sl], z2[sl], a + eps)
        if xT1 is None:
            xa = None
        else:
            xa = torch.cat([slerp(xT1[sl], xT2[sl], a.to(xT1.device)), slerp(xT1[sl], xT2[sl], a.to(xT1.device) + eps)])
        imgs = render_fn(torch.cat([za, zb]), xa)
        m = sl.stop - sl.start
        if imgs.shape[0] != 2 * m:
            raise ValueError(f"ppl: render_fn returned {imgs.shape[0]} images for {2 * m} codes")
        d = lpips_vgg(imgs[:m], imgs[m:]).reshape(-1)
        out.append(d.detach().double().cpu().numpy() / eps**2)
    return np.concatenate(out)


def ppl(
    render_fn: RenderFn,
    z1: torch.Tensor,
    z2: torch.Tensor,
    xT1: torch.Tensor | None,
    xT2: torch.Tensor | None,
    lpips_vgg: DistanceFn,
    eps: float = 1e-4,
    generator: torch.Generator | None = None,
    z_interp: Literal["lerp", "slerp"] = "lerp",
    batch_size: int | None = None,
) -> float:
    """Perceptual path length (Diff-AE Eq. 10, DiffuseGAE Eq. 13): 1st-99th percentile-filtered mean.

    ``lpips_vgg`` is the distance (e.g. ``LPIPSMetric("vgg")``); see :func:`ppl_distances`.
    Diff-AE uses 200 pairs on FFHQ, DiffuseGAE 1k pairs.
    """
    d = ppl_distances(render_fn, z1, z2, xT1, xT2, lpips_vgg, eps, generator, z_interp, batch_size)
    return percentile_filtered_mean(d)
