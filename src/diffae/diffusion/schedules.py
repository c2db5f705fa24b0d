"""Beta schedules and timestep respacing (Diff-AE Appendix A, Tables 5-6).

Everything here is float64 numpy; tensors are made only where the math is applied
(`diffae.diffusion.gaussian`).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

SCHEDULES = ("linear", "const0.008", "cosine")


def make_betas(schedule: str, T: int) -> np.ndarray:
    """Return the T betas (float64) of a named schedule.

    - ``"linear"``: Ho et al. / Diff-AE image decoder (Table 5): linspace(1e-4, 0.02)
      scaled by 1000/T so that the process is the same for any T.
    - ``"const0.008"``: Diff-AE latent DDIM (Table 6, Appendix A.1): beta = 0.008
      at T=1000. Like the linear schedule (and the Diff-AE code) it is scaled by
      1000/T for other T; at the paper's T=1000 this is exactly 0.008.
    - ``"cosine"``: Nichol & Dhariwal, abar(t) = cos^2(((t/T)+s)/(1+s) * pi/2), s=0.008,
      betas clipped at 0.999.
    """
    if not isinstance(T, (int, np.integer)) or isinstance(T, bool) or T < 1:
        raise ValueError(f"make_betas: T must be a positive int, got {T!r}")
    T = int(T)
    scale = 1000.0 / T
    if schedule == "linear":
        if scale * 0.02 >= 1.0:
            raise ValueError(f"make_betas: linear with T={T} gives a last beta of {scale * 0.02} >= 1; use T > 20")
        return np.linspace(scale * 1e-4, scale * 0.02, T, dtype=np.float64)
    if schedule == "const0.008":
        beta = scale * 0.008
        if beta >= 1.0:
            raise ValueError(f"make_betas: const0.008 with T={T} gives beta={beta} >= 1; use T >= 9")
        return np.full(T, beta, dtype=np.float64)
    if schedule == "cosine":
        def abar(u: float) -> float:
            return math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2

        betas = [min(1.0 - abar((i + 1) / T) / abar(i / T), 0.999) for i in range(T)]
        return np.asarray(betas, dtype=np.float64)
    raise ValueError(f"make_betas: unknown schedule {schedule!r}; expected one of {list(SCHEDULES)}")


def respaced_timesteps(T: int, n_steps: int) -> list[int]:
    """Timesteps kept when sampling with ``n_steps`` out of ``T`` (Diff-AE evaluation convention).

    Convention (the DDIM paper's "uniform" striding, used by Diff-AE for its T=10..100
    results): ``range(0, T, stride)`` with the smallest integer stride that yields
    exactly ``n_steps`` timesteps. When ``n_steps`` divides ``T`` this is
    ``stride = T // n_steps``, e.g. (1000, 10) -> [0, 100, ..., 900]. The last kept
    step is therefore ``T - stride``, not ``T - 1``.

    Raises ValueError if ``n_steps`` is not in [1, T] or no integer stride gives exactly
    ``n_steps`` steps (e.g. T=10, n_steps=7); then choose an ``n_steps`` that divides T.
    """
    for name, v in (("T", T), ("n_steps", n_steps)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
            raise ValueError(f"respaced_timesteps: {name} must be a positive int, got {v!r}")
    T, n_steps = int(T), int(n_steps)
    if n_steps > T:
        raise ValueError(f"respaced_timesteps: n_steps={n_steps} exceeds the T={T} trained timesteps")
    stride = -(-T // n_steps)  # ceil(T / n_steps); equals T // n_steps when it divides
    steps = list(range(0, T, stride))
    if len(steps) != n_steps:
        raise ValueError(
            f"respaced_timesteps: no integer stride over range(0, {T}) gives exactly "
            f"n_steps={n_steps} timesteps (stride {stride} gives {len(steps)}); "
            f"use an n_steps that divides T={T}"
        )
    return steps


def respace_betas(alphas_cumprod: np.ndarray, use_timesteps: Sequence[int]) -> np.ndarray:
    """Betas of the process restricted to ``use_timesteps`` (DDIM respacing).

    new_beta_i = 1 - abar[t_i] / abar[t_{i-1}] with abar[t_{-1}] = 1, so the respaced
    process has exactly the original abar at every kept timestep.
    """
    abar = np.asarray(alphas_cumprod, dtype=np.float64)
    if abar.ndim != 1 or abar.size == 0:
        raise ValueError(f"respace_betas: alphas_cumprod must be a non-empty 1-D array, got shape {abar.shape}")
    steps = [int(t) for t in use_timesteps]
    if not steps:
        raise ValueError("respace_betas: use_timesteps is empty")
    if any(b <= a for a, b in zip(steps, steps[1:])) or steps[0] < 0 or steps[-1] >= abar.size:
        raise ValueError(
            f"respace_betas: use_timesteps must be strictly increasing within [0, {abar.size}), got {steps}"
        )
    kept = abar[steps]
    prev = np.concatenate([[1.0], kept[:-1]])
    return 1.0 - kept / prev
