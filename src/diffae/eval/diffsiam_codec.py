"""A DiffSiam / PDAE run as a codec (DiffSiam thesis Algorithms 2-3, Eq. 3.8; spec §2.5), so the editing
operations of ``diffae.eval.editing`` (segment-wise Lerp, Slerp of inverted x_T) run on it unchanged.

* encode: z = f_omega(x0), cut into the run's ``n_segments`` equal segments (a :class:`Partition` "s1".."sn");
* decode: DDIM with x0_hat = u_theta(x_t, t) + w_t g_phi(x_t, t, z) (clamped; PDAE), the shift weight w_t of
  ``shift_form`` (the thesis's Algorithm 2 prints the training w_t; PDAE's sampler the guidance one);
* invert: DDIM inversion through the frozen DM alone (thesis §4.2.1, ambiguity A9; ``invert_with_guidance=True``
  inverts with the z-guided model as PDAE/DiTi do).

``sample_mask="full"`` gives g the whole code at every step (Algorithm 2 as printed); ``"step_block"`` shows it
only the segments of the current step's block under the run's variant (DiTi's ``masked_guided_ddim``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from diffae.diffusion import GaussianDiffusion
from diffae.diffusion.pdae import SHIFT_FORMS, PDAEWeights, segment_of_step
from diffae.eval.codecs import DiffusionCodec
from diffae.nets.partition import Partition
from diffae.nets.pdae_shift import PDAEShift
from diffae.nets.siamese import masked_code

SAMPLE_MASKS = ("full", "step_block")


class PDAEEps(nn.Module):
    """eps model of the DDIM sampler: the frozen DM's eps without a code, the shifted eps (Eq. 3.8) with one."""

    def __init__(self, shift: PDAEShift, diffusion: GaussianDiffusion, *, form: str, sample_mask: str,
                 variant: str, n_segments: int):
        super().__init__()
        if form not in SHIFT_FORMS:
            raise ValueError(f"shift form {form!r} unknown; expected one of {list(SHIFT_FORMS)}")
        if sample_mask not in SAMPLE_MASKS:
            raise ValueError(f"sample_mask {sample_mask!r} unknown; expected one of {list(SAMPLE_MASKS)}")
        self.shift, self.diffusion, self.weights = shift, diffusion, PDAEWeights.of(diffusion)
        self.form, self.sample_mask, self.variant, self.n_segments = form, sample_mask, variant, n_segments
        self.image_size, self.in_channels = shift.dm.image_size, shift.dm.in_channels

    def forward(self, x: Tensor, t: Tensor, cond: Tensor | None = None) -> Tensor:
        if cond is None:
            return self.shift.dm(x, t)
        if self.sample_mask == "step_block":
            cond = masked_code(cond, segment_of_step(t, self.n_segments, self.diffusion.T), self.n_segments,
                               self.variant)
        eps, g = self.shift(x, t, cond)
        return self.weights.shifted_eps(eps, g, t, self.diffusion, self.form)


@dataclass
class PDAECodec(DiffusionCodec):
    """A DiffSiam / PDAE run: ``unet`` is its :class:`PDAEEps`; see the module doc."""

    invert_with_guidance: bool = False

    @torch.no_grad()
    def invert(self, x: Tensor, z: Tensor | None, n_steps: int) -> Tensor:
        return self.ddim(n_steps).invert(self.unet, x, cond=z if self.invert_with_guidance else None)


def segment_partition(z_dim: int, n_segments: int) -> Partition:
    """z's segments as parts "s1".."sn" (thesis Eq. 3.10: equal, disjoint, in time-step order)."""
    if z_dim % n_segments:
        raise ValueError(f"z dimension {z_dim} is not divisible by n_segments {n_segments}")
    return Partition(tuple(f"s{i + 1}" for i in range(n_segments)), (z_dim // n_segments,) * n_segments)


def load_pdae_codec(path: str | Path, name: str, device: str | torch.device = "cpu", *, clip_x0: bool = True,
                    shift_form: str = "train", sample_mask: str = "full",
                    invert_with_guidance: bool = False) -> PDAECodec:
    """The codec of a train-diffsiam run with a decoder (method diffsiam or pdae)."""
    from diffae.artifacts import load_trained

    m = load_trained(path, device)
    info = m.meta.get("diffsiam", {})
    if "shift" not in m.modules:
        raise ValueError(f"{path}: run of method {info.get('method')!r} has no decoder (shift); the generation "
                         "figures need a diffsiam or pdae run")
    variant = "pdae" if info["method"] == "pdae" else info["variant"]
    eps = PDAEEps(m["shift"], m.diffusion, form=shift_form, sample_mask=sample_mask, variant=variant,
                  n_segments=info["n_segments"])
    return PDAECodec(name, segment_partition(info["z_dim"], info["n_segments"]), m["encoder"], eps, m.diffusion,
                     clip_x0, invert_with_guidance=invert_with_guidance)
