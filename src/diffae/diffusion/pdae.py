"""PDAE shift terms and DiffSiam's noise-level / segment draw (DiffSiam thesis Eq. 3.8, 3.11; spec §2.2, §2.4).

A frozen eps-prediction DM gives u_theta(x_t, t) = (x_t - sqrt(1 - abar_t) eps_theta) / sqrt(abar_t);
a trainable gradient estimator G = g_phi(x_t, t, z) corrects it:

* training, x0 form (Eq. 3.11): x0_hat = u_theta + w_t G, loss lambda_t ||x0 - x0_hat||^2 with
  w_t = (1 - abar_{t-1}) / sqrt(abar_{t-1}) and lambda_t = snr_t^1.1 / (1 + snr_t), snr_t = abar_t / (1 - abar_t);
* the same in PDAE's eps form: eps_hat = eps_theta + c_t G, c_t = -sqrt(alpha_t) (1 - abar_{t-1}) / sqrt(1 - abar_t),
  loss snr_t^0.1 / (1 + snr_t) ||eps - eps_hat||^2 (PDAE, Zhang et al. 2022, gamma = 0.1). The thesis says only
  "follow the settings in PDAE"; both forms are equal when the network time equals the noise level.
* sampling (Eq. 3.8, classifier-guidance form): eps_hat = eps_theta - sqrt(1 - abar_t) G, i.e.
  x0_hat = u_theta + (1 - abar_t) / sqrt(abar_t) G. The thesis's Algorithm 2 writes the training w_t; PDAE's
  sampler uses this one. ``shift_form`` chooses (default "train": the thesis).

Index convention as :class:`~diffae.diffusion.gaussian.GaussianDiffusion`: t in [0, T), abar_{-1} := 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from diffae.diffusion.gaussian import GaussianDiffusion, gather_schedule

__all__ = ["K_MODES", "SHIFT_FORMS", "PDAEWeights", "draw_level_and_segments", "segment_of_step"]

K_MODES = ("timestep_block", "extra_steps")
SHIFT_FORMS = ("train", "guidance")
GAMMA = 0.1  # PDAE's time-step weight exponent


@dataclass(frozen=True)
class PDAEWeights:
    """Per-timestep coefficients (float64, length T) of the PDAE shift for one diffusion."""

    lambda_x0: np.ndarray
    lambda_eps: np.ndarray
    w_train: np.ndarray
    c_eps: np.ndarray
    w_guidance: np.ndarray

    @classmethod
    def of(cls, diffusion: GaussianDiffusion) -> PDAEWeights:
        abar = diffusion.alphas_cumprod
        abar_prev = np.concatenate([[1.0], abar[:-1]])
        alpha = abar / abar_prev
        snr = abar / (1.0 - abar)
        lambda_eps = snr**GAMMA / (1.0 + snr)
        return cls(
            lambda_x0=snr * lambda_eps,
            lambda_eps=lambda_eps,
            w_train=(1.0 - abar_prev) / np.sqrt(abar_prev),
            c_eps=-np.sqrt(alpha) * (1.0 - abar_prev) / np.sqrt(1.0 - abar),
            w_guidance=(1.0 - abar) / np.sqrt(abar),
        )

    @staticmethod
    def gather(arr: np.ndarray, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """arr[t] shaped (N, 1, ..., 1) in ``like``'s dtype and device."""
        return gather_schedule(arr, t, like)

    def x0_form_loss(self, x0: torch.Tensor, u: torch.Tensor, shift: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Per-sample Eq. 3.11: lambda_t ||x0 - (u + w_t G)||^2, mean over non-batch dims, shape (N,)."""
        x0_hat = u + self.gather(self.w_train, t, x0) * shift
        err = (x0 - x0_hat).square().reshape(x0.shape[0], -1).mean(dim=1)
        return self.gather(self.lambda_x0, t, err) * err

    def eps_form_loss(self, noise: torch.Tensor, eps: torch.Tensor, shift: torch.Tensor,
                      t: torch.Tensor) -> torch.Tensor:
        """Per-sample PDAE loss: lambda^eps_t ||noise - (eps_theta + c_t G)||^2, shape (N,)."""
        eps_hat = eps + self.gather(self.c_eps, t, noise) * shift
        err = (noise - eps_hat).square().reshape(noise.shape[0], -1).mean(dim=1)
        return self.gather(self.lambda_eps, t, err) * err

    def shifted_eps(self, eps: torch.Tensor, shift: torch.Tensor, t: torch.Tensor,
                    diffusion: GaussianDiffusion, form: str = "train") -> torch.Tensor:
        """eps_hat whose x0 prediction is u_theta + w G, for the DDIM sampler (``form``: see module doc)."""
        if form not in SHIFT_FORMS:
            raise ValueError(f"shift form {form!r} unknown; expected one of {list(SHIFT_FORMS)}")
        w = self.gather(self.w_train if form == "train" else self.w_guidance, t, eps)
        # x0 = (x - sqrt(1-abar) eps) / sqrt(abar): adding w G to x0 subtracts w G sqrt(abar)/sqrt(1-abar) from eps
        ratio = self.gather(np.sqrt(diffusion.alphas_cumprod / (1.0 - diffusion.alphas_cumprod)), t, eps)
        return eps - ratio * w * shift


def segment_of_step(t: torch.Tensor, n_segments: int, T: int) -> torch.Tensor:
    """k = floor(t * n_segments / T) + 1: the block of timesteps (1..n_segments) that t falls in (ambiguity A1)."""
    return torch.div(t * n_segments, T, rounding_mode="floor") + 1


def draw_level_and_segments(n: int, T: int, n_segments: int, mode: str,
                            generator: torch.Generator | None = None,
                            device: torch.device | str | None = None
                            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(noise level s, network time tau, visible segments k in 1..n_segments), each a LongTensor (n,).

    Algorithm 1 step 3 (ambiguity A1): ``"timestep_block"`` draws t ~ U[0, T) and k = the block of t
    (k = floor(t * n_segments / T) + 1), s = tau = t; ``"extra_steps"`` (literal) draws t ~ U[0, T - n_segments)
    and k ~ U{1..n_segments} independently, adds k steps of noise (s = t + k) and tells the networks tau = t
    (Eq. 3.11, ambiguity A2).
    """
    if mode not in K_MODES:
        raise ValueError(f"diffsiam.k_mode {mode!r} unknown; expected one of {list(K_MODES)}")
    if not 1 <= n_segments < T:
        raise ValueError(f"n_segments must lie in [1, T={T}), got {n_segments}")
    if mode == "timestep_block":
        t = torch.randint(0, T, (n,), generator=generator, device=device)
        return t, t, segment_of_step(t, n_segments, T)
    t = torch.randint(0, T - n_segments, (n,), generator=generator, device=device)
    k = torch.randint(1, n_segments + 1, (n,), generator=generator, device=device)
    return t + k, t, k
