"""Deterministic DDIM sampling and its inversion, the stochastic encoder.

Diff-AE Eq. 1/4/5 (decoder, eta = 0), Eq. 8 (stochastic encoder); DiffuseGAE Eq. 6
with sigma_t = 0 and Eq. 7. Sampling runs over the respaced timesteps
t_0 < ... < t_{n-1} of ``respaced_timesteps(T, n_steps)``: x_T is the state at
t_{n-1}, each step moves to the next lower kept timestep and the last one to the
clean image (abar = 1). ``invert`` is the exact mirror: clean -> t_0 -> ... -> t_{n-1}.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from diffae.diffusion.gaussian import EpsModel, GaussianDiffusion
from diffae.diffusion.schedules import respaced_timesteps


@dataclass
class Trajectory:
    """Intermediate DDIM states: ``x[0]`` is the start, ``x[k+1]`` the state after step k.

    ``timesteps[k]`` is the original timestep the model saw at step k and
    ``pred_x0[k]`` its (possibly clipped) x_0 prediction.
    """

    timesteps: list[int] = field(default_factory=list)
    x: list[torch.Tensor] = field(default_factory=list)
    pred_x0: list[torch.Tensor] = field(default_factory=list)


class DDIM:
    """eta = 0 DDIM over ``n_steps`` respaced timesteps of ``diffusion`` (see ``respaced_timesteps``).

    ``clip_x0`` (required) clamps every x0 prediction to [-1, 1] and re-derives eps from the
    clamped x0, in ``sample`` and in ``invert`` alike: one object integrates one ODE in both
    directions, so invert -> sample converges as ``n_steps`` grows. Clipping suits images
    (``diffusion.clip_x0``); the latent DDIM and exact-model round trips use ``clip_x0=False``.
    """

    def __init__(self, diffusion: GaussianDiffusion, n_steps: int, *, clip_x0: bool) -> None:
        if not isinstance(clip_x0, bool):
            raise TypeError(f"DDIM: clip_x0 must be a bool, got {clip_x0!r}")
        self.diffusion = diffusion
        self.n_steps = int(n_steps)
        self.clip_x0 = clip_x0
        self.timesteps = respaced_timesteps(diffusion.T, n_steps)
        self.alphas_cumprod = diffusion.alphas_cumprod[self.timesteps]  # float64, abar at kept steps

    @staticmethod
    def _eps(
        model: EpsModel, x: torch.Tensor, t: int, cond: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(t as LongTensor (N,), model's eps at (x, t)) with the output shape checked."""
        tt = torch.full((x.shape[0],), t, dtype=torch.long, device=x.device)
        eps = model(x, tt, cond)
        if eps.shape != x.shape:
            raise ValueError(f"DDIM: model output shape {tuple(eps.shape)} != input shape {tuple(x.shape)}")
        return tt, eps.to(x.dtype)

    def _predict(
        self, model: EpsModel, x: torch.Tensor, t: int, cond: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(eps, x0_hat) at original timestep t; with clipping, eps is re-derived from the clipped x0_hat."""
        tt, eps = self._eps(model, x, t, cond)
        x0 = self.diffusion.pred_x0_from_eps(x, tt, eps)  # Diff-AE Eq. 5
        if self.clip_x0:
            x0 = x0.clamp(-1.0, 1.0)
            eps = self.diffusion.pred_eps_from_x0(x, tt, x0)
        return eps, x0

    @staticmethod
    def _move(x0: torch.Tensor, eps: torch.Tensor, abar: float) -> torch.Tensor:
        """sqrt(abar) x0 + sqrt(1 - abar) eps, coefficients computed in float64."""
        return math.sqrt(abar) * x0 + math.sqrt(1.0 - abar) * eps

    def step(
        self,
        model: EpsModel,
        x: torch.Tensor,
        index: int,
        cond: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One generative step from kept timestep ``timesteps[index]`` to the previous kept one
        (or to x_0 when index == 0). Diff-AE Eq. 1: x_prev = sqrt(abar_prev) x0_hat + sqrt(1 - abar_prev) eps.
        Returns (x_prev, x0_hat)."""
        if not 0 <= index < self.n_steps:
            raise IndexError(f"DDIM.step: index {index} outside [0, {self.n_steps})")
        eps, x0 = self._predict(model, x, self.timesteps[index], cond)
        abar_prev = float(self.alphas_cumprod[index - 1]) if index > 0 else 1.0
        return self._move(x0, eps, abar_prev), x0

    @torch.no_grad()
    def sample(
        self,
        model: EpsModel,
        x_T: torch.Tensor,
        cond: torch.Tensor | None = None,
        progress: bool = False,
        return_trajectory: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, Trajectory]:
        """Decode x_T (the state at timestep t_{n-1}) to x_0, deterministically (Diff-AE Eq. 4)."""
        x = x_T
        traj = Trajectory(x=[x]) if return_trajectory else None
        for i in tqdm(range(self.n_steps - 1, -1, -1), desc="DDIM sample", disable=not progress, leave=False):
            x, x0 = self.step(model, x, i, cond)
            if traj is not None:
                traj.timesteps.append(self.timesteps[i])
                traj.x.append(x)
                traj.pred_x0.append(x0)
        return (x, traj) if traj is not None else x

    @torch.no_grad()
    def invert(
        self,
        model: EpsModel,
        x_0: torch.Tensor,
        cond: torch.Tensor | None = None,
        progress: bool = False,
        match_official_code: bool = False,
        return_trajectory: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, Trajectory]:
        """Stochastic encoder x_0 -> x_T (Diff-AE Eq. 8, DiffuseGAE Eq. 7), the mirror of ``sample``.

        x_{t_i} = sqrt(abar_{t_i}) f(x_{t_{i-1}}, t_{i-1}) + sqrt(1 - abar_{t_i}) eps(x_{t_{i-1}}, t_{i-1}).
        The first step starts from the clean image (abar = 1, so f = x_0 itself) with eps
        evaluated at t_0, the closest trained timestep (the paper's Eq. 8 at t = 0). The
        result is the state at t_{n-1}, the level ``sample`` starts from, so invert ->
        sample is exact for an exact eps model and converges as n_steps grows otherwise.

        ``match_official_code=True`` reproduces the Diff-AE reference code instead: x_0 is
        used as the state at t_0, and the last step goes to abar = 0 (x_T = predicted eps),
        a level that ``sample`` does not start from. Both conventions clip x0 exactly when
        ``sample`` does (the object's ``clip_x0``), as the reference code does in both directions.
        """
        x = x_0
        traj = Trajectory(x=[x]) if return_trajectory else None
        for i in tqdm(range(self.n_steps), desc="DDIM invert", disable=not progress, leave=False):
            if match_official_code:
                t_eval = self.timesteps[i]
                abar_next = float(self.alphas_cumprod[i + 1]) if i + 1 < self.n_steps else 0.0
                eps, x0 = self._predict(model, x, t_eval, cond)
            elif i == 0:
                t_eval = self.timesteps[0]
                abar_next = float(self.alphas_cumprod[0])
                _, eps = self._eps(model, x, t_eval, cond)
                x0 = x.clamp(-1.0, 1.0) if self.clip_x0 else x
            else:
                t_eval = self.timesteps[i - 1]
                abar_next = float(self.alphas_cumprod[i])
                eps, x0 = self._predict(model, x, t_eval, cond)
            x = self._move(x0, eps, abar_next)
            if traj is not None:
                traj.timesteps.append(t_eval)
                traj.x.append(x)
                traj.pred_x0.append(x0)
        return (x, traj) if traj is not None else x
