"""Unconditional generation with Diff-AE (§4, §5.7): z_T ~ N(0, I) -> latent DDIM (T steps, no clipping of
the latent samples, as the official code) -> un-normalise with the training set's z_sem statistics -> the
conditional DDIM decodes with x_T ~ N(0, I) (the same T). The three rows of Diff-AE Table 4 are three ways to
pick the decoder's condition: none (the DDIM baseline), a latent-DDIM sample (Ours) or the z_sem of a real
image (+ autoencoding)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from diffae.diffusion import DDIM, GaussianDiffusion, sample_noise


@dataclass
class LatentSampler:
    """A trained latent DDIM with the z_sem statistics it was trained on (Diff-AE §4: z-normalised z_sem)."""
    net: nn.Module
    diffusion: GaussianDiffusion
    mean: Tensor
    std: Tensor

    @property
    def z_dim(self) -> int:
        return int(self.mean.numel())

    @torch.no_grad()
    def sample(self, n: int, n_steps: int, generator: torch.Generator | None = None) -> Tensor:
        """n z_sem samples (un-normalised) from ``n_steps`` DDIM steps; z_T drawn from ``generator``."""
        z_T = sample_noise((n, self.z_dim), generator, self.mean.device)
        z = DDIM(self.diffusion, n_steps, clip_x0=False).sample(self.net, z_T)
        return z * self.std + self.mean


def load_latent_sampler(path: str | Path, device: str | torch.device = "cpu") -> LatentSampler:
    """The latent DDIM of a ``train-latent-ddim`` artifact, with the statistics it recorded."""
    from diffae.artifacts import load_trained

    m = load_trained(path, device)
    if m.meta.get("kind") != "latent_ddim":
        raise ValueError(f"{path}: a {m.meta.get('kind')!r} artifact, expected a latent DDIM (train-latent-ddim)")
    stats = [torch.tensor(m.meta[k], dtype=torch.float32, device=device) for k in ("latent_mean", "latent_std")]
    return LatentSampler(m["latent"], m.diffusion, *stats)


@torch.no_grad()
def generate(codec, n_steps: int, *, n: int, generator: torch.Generator, batch_size: int,
             sampler: LatentSampler | None = None, source: Tensor | None = None) -> Tensor:
    """n images in [-1, 1] (on the CPU), batch by batch, with x_T ~ N(0, I) from ``generator``:
    the DDIM baseline without ``sampler`` and ``source``, Ours (Diff-AE + latent DDIM) with ``sampler``,
    "+ autoencoding" with ``source`` images whose z_sem conditions the decoder (Diff-AE Table 4 rows)."""
    if sampler is not None and source is not None:
        raise ValueError("generate: give a latent sampler (Ours) or source images (+ autoencoding), not both")
    if source is not None and len(source) < n:
        raise ValueError(f"generate: {len(source)} source images for {n} samples")
    device = next(codec.unet.parameters()).device
    out = []
    for lo in range(0, n, batch_size):
        m = min(batch_size, n - lo)
        x_T = codec.noise(m, generator, device)
        if sampler is not None:
            z = sampler.sample(m, n_steps, generator)
        elif source is not None:
            z = codec.encode(source[lo:lo + m].to(device))
        else:
            z = None
        out.append(codec.decode(z, n_steps, x_T=x_T).float().cpu())
    return torch.cat(out)
