"""Autoencoding reconstruction (Diff-AE §5.4, Tables 1-2): encode, decode with T DDIM steps, compare.

Three ways of decoding a test image x0 at T steps:
  ddim      the unconditional DDIM: x_T = invert(x0), x0_hat = sample(x_T)           (Table 2 "DDIM")
  inferred  Diff-AE: z = Enc(x0), x_T = invert(x0 | z), x0_hat = sample(x_T | z)       (Table 2 "Ours")
  random    Diff-AE: z = Enc(x0), x_T ~ N(0, I) (seeded), x0_hat = sample(x_T | z)    (Table 2 row a)
Inversion and sampling share one DDIM, hence one x0-clipping setting (``clip_x0``, params ``diffusion.clip_x0``).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from diffae.diffusion import DDIM, GaussianDiffusion

MODES = ("ddim", "inferred", "random")


@torch.no_grad()
def decode(mode: str, unet, encoder, diffusion: GaussianDiffusion, x0: torch.Tensor, T: int,
           generator: torch.Generator | None = None, *, clip_x0: bool) -> torch.Tensor:
    """Reconstruct x0 (in [-1, 1]) with `T` respaced DDIM steps using one of MODES."""
    if mode not in MODES:
        raise ValueError(f"unknown reconstruction mode {mode!r}; expected one of {MODES}")
    ddim = DDIM(diffusion, T, clip_x0=clip_x0)
    if mode == "ddim":
        xT = ddim.invert(unet, x0, cond=None)
        return ddim.sample(unet, xT, cond=None)
    z = encoder(x0)
    if mode == "inferred":
        xT = ddim.invert(unet, x0, cond=z)
    else:
        xT = torch.randn(x0.shape, generator=generator, dtype=x0.dtype).to(x0.device)
    return ddim.sample(unet, xT, cond=z)


def evaluate(mode: str, unet, encoder, diffusion, images: torch.Tensor, T: int, metric_fn: Callable,
             batch_size: int, seed: int, *, clip_x0: bool) -> dict[str, float]:
    """Mean per-image metrics (metric_fn(x, y) -> dict of (N,) arrays) of one mode at T steps."""
    gen = torch.Generator().manual_seed(seed)
    parts: dict[str, list[np.ndarray]] = {}
    for lo in range(0, len(images), batch_size):
        x0 = images[lo:lo + batch_size]
        x_hat = decode(mode, unet, encoder, diffusion, x0, T, generator=gen, clip_x0=clip_x0)
        for k, v in metric_fn(x0, x_hat).items():
            parts.setdefault(k, []).append(np.asarray(v))
    return {k: float(np.concatenate(v).mean()) for k, v in parts.items()}
