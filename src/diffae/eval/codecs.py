"""Each method as a codec over an attribute-partitioned latent: encode, decode, invert, reconstruct.

The codecs are the evaluation's only entry to DDIM (``diffae.diffusion.DDIM``). Every method is treated alike:
  DDIM        no encoder (z = None): x = DDIM(x_T), the unconditional baseline of both papers' Table 2
  Diff-AE     z = z_sem = Enc(x), partitioned proportionally ("consistent with our method", Table 1 caption)
  DiffuseGAE  z_dis = GAE.E((Enc(x) - mean) / std);  z_sem = GAE.D(z_dis) * std + mean;  x = DDIM(x_T | z_sem)
  GZS-Net / AE + DS   z = AE.E(x), x = AE.D(z)   (pixel autoencoders; no x_T)
Images are in [-1, 1]. Diffusion codecs decode with ``n_steps`` respaced DDIM steps from x_T (random, seeded,
when not given, from ``diffusion.sample_noise``); ``invert`` is the stochastic encoder (Diff-AE Eq. 8 /
DiffuseGAE Eq. 7). A codec holds one ``clip_x0`` setting (params ``diffusion.clip_x0``) used by both
directions, so ``invert`` and ``decode`` integrate the same ODE.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import torch
from torch import Tensor

from diffae.diffusion import DDIM, GaussianDiffusion, sample_noise
from diffae.nets.partition import Partition
from diffae.utils.compiling import compile_in_place
from diffae.utils.digest import arrays_digest, json_digest, modules_digest

X_T_MODES = ("inferred", "random")


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
    """A (conditional) DDIM decoder behind an optional encoder: z -> z_sem (subclass hook) -> DDIM.

    Without an encoder this is the unconditional DDIM baseline: ``encode`` gives None and DDIM runs
    unconditioned. ``partition`` is None where the latent has no attribute parts (the DDIM baseline,
    Diff-AE used for reconstruction only). ``clip_x0`` is used by ``decode`` and ``invert`` alike."""
    name: str
    partition: Partition | None
    encoder: torch.nn.Module | None
    unet: torch.nn.Module
    diffusion: GaussianDiffusion
    clip_x0: bool
    stochastic = True

    def ddim(self, n_steps: int) -> DDIM:
        return DDIM(self.diffusion, n_steps, clip_x0=self.clip_x0)

    @torch.no_grad()
    def encode(self, x: Tensor) -> Tensor | None:
        return None if self.encoder is None else self.encoder(x)

    def z_sem(self, z: Tensor | None) -> Tensor | None:
        return z

    def noise(self, n: int, generator: torch.Generator | None, device: str | torch.device) -> Tensor:
        """n seeded draws of x_T ~ N(0, I) in the decoder's image shape."""
        size = self.unet.image_size
        return sample_noise((n, self.unet.in_channels, size, size), generator, device)

    @torch.no_grad()
    def decode(self, z: Tensor | None, n_steps: int, x_T: Tensor | None = None,
               generator: torch.Generator | None = None) -> Tensor:
        """x = DDIM(x_T | z_sem(z)) with ``n_steps`` steps (Diff-AE Eq. 4); x_T ~ N(0, I) from ``generator`` if None."""
        if x_T is None:
            if z is None:
                raise ValueError(f"{self.name}: decode without a latent needs x_T (how many samples?)")
            x_T = self.noise(len(z), generator, z.device)
        return self.ddim(n_steps).sample(self.unet, x_T, cond=self.z_sem(z))

    @torch.no_grad()
    def invert(self, x: Tensor, z: Tensor | None, n_steps: int) -> Tensor:
        """x_T inferred from x under the condition z_sem(z) (Diff-AE Eq. 8, DiffuseGAE Eq. 7)."""
        return self.ddim(n_steps).invert(self.unet, x, cond=self.z_sem(z))

    @torch.no_grad()
    def reconstruct(self, x: Tensor, n_steps: int, x_T: str = "inferred",
                    generator: torch.Generator | None = None) -> Tensor:
        """Autoencoding (Diff-AE §5.4, Table 2): z = encode(x), then decode with x_T inferred from x by
        Eq. 8 (``x_T="inferred"``) or drawn from N(0, I) with ``generator`` (``"random"``, Table 2 row a)."""
        if x_T not in X_T_MODES:
            raise ValueError(f"unknown reconstruction mode x_T={x_T!r}; expected one of {X_T_MODES}")
        z = self.encode(x)
        if x_T == "inferred":
            noise = self.invert(x, z, n_steps)
        else:
            noise = sample_noise(x.shape, generator, x.device, x.dtype)
        return self.decode(z, n_steps, x_T=noise)


@dataclass
class DiffAECodec(DiffusionCodec):
    """Diff-AE: z = z_sem = Enc(x) conditions the DDIM directly."""


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
    """GZS-Net / AE + DS: decoded directly, no n_steps and x_T (DiffuseGAE Table 2 first row)."""
    name: str
    partition: Partition
    ae: torch.nn.Module
    stochastic = False

    @torch.no_grad()
    def encode(self, x: Tensor) -> Tensor:
        return self.ae.encode(x)

    @torch.no_grad()
    def decode(self, z: Tensor, n_steps: int | None = None, x_T: Tensor | None = None, generator=None) -> Tensor:
        return self.ae.decode(z).clamp(-1, 1)


def compiled_for_sampling(codec):
    """``codec`` with its diffusion decoder compiled in place (params ``eval.compile``; ``compile_in_place``): every
    DDIM step of encode/invert/decode runs the compiled UNet. Weights, state-dict keys and so ``codec_digest`` stay
    as they were; outputs agree with eager execution to float rounding. Pixel codecs are returned unchanged."""
    unet = getattr(codec, "unet", None)
    if unet is not None:
        compile_in_place(unet)
    return codec


def load_codec(method: str, path: str | Path, device: str | torch.device = "cpu", *, clip_x0: bool,
               partition: Partition | None = None, compile: bool = False):
    """Codec of a trained artifact: method in {"DiffuseGAE", "Diff-AE", "DDIM", "GZS-Net", "AE + DS"}.

    ``clip_x0`` (params ``diffusion.clip_x0``) is the diffusion codecs' x0 clipping in both directions.
    Diff-AE's artifact has no partition of its own: pass `partition` (see `proportional_partition`) for
    editing; without one the codec encodes and reconstructs whole z_sem. ``compile`` (params ``eval.compile``):
    see ``compiled_for_sampling``.
    """
    codec = _load_codec(method, path, device, clip_x0=clip_x0, partition=partition)
    return compiled_for_sampling(codec) if compile else codec


def _load_codec(method: str, path: str | Path, device: str | torch.device, *, clip_x0: bool,
                partition: Partition | None):
    from diffae.artifacts import load_trained

    m = load_trained(path, device)
    if method == "DiffuseGAE":
        mean = torch.tensor(m.meta["latent_mean"], dtype=torch.float32, device=device)
        std = torch.tensor(m.meta["latent_std"], dtype=torch.float32, device=device)
        return DiffuseGAECodec(method, m.partition, m["encoder"], m["unet"], m.diffusion, clip_x0,
                               gae=m["gae"], mean=mean, std=std)
    if method == "Diff-AE":
        return DiffAECodec(method, partition, m["encoder"], m["unet"], m.diffusion, clip_x0)
    if method == "DDIM":
        return DiffusionCodec(method, None, None, m["unet"], m.diffusion, clip_x0)
    if method in ("GZS-Net", "AE + DS"):
        return PixelAECodec(method, m.partition, m["ae"])
    raise ValueError(f"unknown method {method!r}; expected DiffuseGAE, Diff-AE, DDIM, GZS-Net or AE + DS")


def load_codecs(models: Mapping[str, str | Path | None], attributes: tuple[str, ...], device: str | torch.device,
                *, clip_x0: bool, z_dim: int, partition_sizes: tuple[int, ...], compile: bool = False) -> dict:
    """method -> codec for the given artifacts (None entries skipped). Diff-AE's z_sem (``z_dim`` wide) is
    split over ``attributes`` in the proportions of the GAE partition (``model.gae.partition``), as DiffuseGAE
    compares the methods part by part."""
    diffae_partition = proportional_partition(tuple(attributes), tuple(partition_sizes), z_dim)
    return {method: load_codec(method, path, device, clip_x0=clip_x0, compile=compile,
                               partition=diffae_partition if method == "Diff-AE" else None)
            for method, path in models.items() if path}


def codec_digest(codec) -> str:
    """Digest of what a codec's numbers depend on: its weights, statistics, partition and x0 clipping."""
    values = {f.name: getattr(codec, f.name) for f in dataclasses.fields(codec)}
    modules = {k: v for k, v in values.items() if isinstance(v, torch.nn.Module)}
    tensors = [v for _, v in sorted(values.items()) if isinstance(v, Tensor)]
    if values.get("diffusion") is not None:
        tensors.append(values["diffusion"].betas)  # the noise schedule
    partition = values.get("partition")
    return json_digest([codec.name, modules_digest(modules), arrays_digest(tensors),
                        None if partition is None else partition.to_dict(), values.get("clip_x0")])

