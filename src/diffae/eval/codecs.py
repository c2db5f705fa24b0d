"""Each method as a codec over an attribute-partitioned latent: encode, decode, reassemble.

The editing evaluations (DiffuseGAE Table 2, Figs 6-9) treat every method alike:
  DiffuseGAE  z_dis = GAE.E((Enc(x) - mean) / std);  z_sem = GAE.D(z_dis) * std + mean;  x = DDIM(x_T | z_sem)
  Diff-AE     z = z_sem = Enc(x), partitioned proportionally ("consistent with our method", Table 1 caption)
  GZS-Net / AE + DS   z = AE.E(x), x = AE.D(z)   (pixel autoencoders; no x_T)
Images are in [-1, 1]. Diffusion codecs decode with `T` respaced DDIM steps from x_T (random, seeded,
when not given); `invert` is the stochastic encoder (Diff-AE Eq. 8 / DiffuseGAE Eq. 7). A codec holds one
`clip_x0` setting (params `diffusion.clip_x0`) used by both directions, so `invert` and `decode` integrate
the same ODE.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from diffae.diffusion import DDIM, GaussianDiffusion
from diffae.nets.partition import Partition


def proportional_partition(names: tuple[str, ...], sizes: tuple[int, ...], dim: int) -> Partition:
    """Split `dim` in the proportions of `sizes` (largest remainders, ties to the earlier part): 60/20/20 of 512 -> 307/103/102."""
    total = sum(sizes)
    raw = [dim * s / total for s in sizes]
    out = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[: dim - sum(out)]:
        out[i] += 1
    return Partition(tuple(names), tuple(out))


@dataclass
class DiffusionCodec:
    """Shared decoding of diffusion codecs: z -> z_sem (subclass hook) -> conditional DDIM.

    ``clip_x0`` is used by ``decode`` and ``invert`` alike (one DDIM per step count, see ``ddim``)."""
    name: str
    partition: Partition
    encoder: torch.nn.Module
    unet: torch.nn.Module
    diffusion: GaussianDiffusion
    clip_x0: bool
    stochastic = True

    def ddim(self, T: int) -> DDIM:
        return DDIM(self.diffusion, T, clip_x0=self.clip_x0)

    def z_sem(self, z: Tensor) -> Tensor:
        return z

    def _noise(self, n: int, like: Tensor | None, generator: torch.Generator | None, device) -> Tensor:
        size = self.unet.image_size
        shape = (n, self.unet.in_channels, size, size)
        return torch.randn(shape, generator=generator).to(device)

    @torch.no_grad()
    def decode(self, z: Tensor, T: int, x_T: Tensor | None = None, generator: torch.Generator | None = None) -> Tensor:
        cond = self.z_sem(z)
        if x_T is None:
            x_T = self._noise(len(z), None, generator, z.device)
        return self.ddim(T).sample(self.unet, x_T, cond=cond)

    @torch.no_grad()
    def invert(self, x: Tensor, z: Tensor, T: int) -> Tensor:
        return self.ddim(T).invert(self.unet, x, cond=self.z_sem(z))


@dataclass
class DiffAECodec(DiffusionCodec):
    @torch.no_grad()
    def encode(self, x: Tensor) -> Tensor:
        return self.encoder(x)


@dataclass
class DiffuseGAECodec(DiffusionCodec):
    gae: torch.nn.Module = None
    mean: Tensor = None
    std: Tensor = None

    @torch.no_grad()
    def encode(self, x: Tensor) -> Tensor:
        return self.gae.encode((self.encoder(x) - self.mean) / self.std)

    def z_sem(self, z: Tensor) -> Tensor:
        return self.gae.decode(z) * self.std + self.mean


@dataclass
class PixelAECodec:
    """GZS-Net / AE + DS: decoded directly, no T and x_T (DiffuseGAE Table 2 first row)."""
    name: str
    partition: Partition
    ae: torch.nn.Module
    stochastic = False

    @torch.no_grad()
    def encode(self, x: Tensor) -> Tensor:
        return self.ae.encode(x)

    @torch.no_grad()
    def decode(self, z: Tensor, T: int | None = None, x_T: Tensor | None = None, generator=None) -> Tensor:
        return self.ae.decode(z).clamp(-1, 1)


def load_codec(method: str, path: str | Path, device: str | torch.device = "cpu", *, clip_x0: bool,
               partition: Partition | None = None):
    """Codec of a trained artifact: method in {"DiffuseGAE", "Diff-AE", "GZS-Net", "AE + DS"}.

    ``clip_x0`` (params ``diffusion.clip_x0``) is the diffusion codecs' x0 clipping in both directions.
    Diff-AE's artifact has no partition of its own: pass `partition` (see `proportional_partition`).
    """
    from diffae.artifacts import load_trained

    m = load_trained(path, device)
    if method == "DiffuseGAE":
        mean = torch.tensor(m.meta["latent_mean"], dtype=torch.float32, device=device)
        std = torch.tensor(m.meta["latent_std"], dtype=torch.float32, device=device)
        return DiffuseGAECodec(method, m.partition, m["encoder"], m["unet"], m.diffusion, clip_x0,
                               gae=m["gae"], mean=mean, std=std)
    if method == "Diff-AE":
        if partition is None:
            raise ValueError("Diff-AE codec needs a partition of z_sem (proportional_partition(...))")
        return DiffAECodec(method, partition, m["encoder"], m["unet"], m.diffusion, clip_x0)
    if method in ("GZS-Net", "AE + DS"):
        return PixelAECodec(method, m.partition, m["ae"])
    raise ValueError(f"unknown method {method!r}; expected DiffuseGAE, Diff-AE, GZS-Net or AE + DS")
