"""Gaussian forward process and the L_simple training loss (Diff-AE §2-3, Eq. 5-6, 9).

Model calling convention used across the project: ``model(x_t, t, cond)`` returns the
predicted noise with ``x_t``'s shape; ``t`` is a LongTensor (N,) of original timesteps
in [0, T); ``cond`` is a tensor (e.g. z_sem) or None. ``x`` may be images (N, C, H, W)
or vectors (N, D).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from diffae.diffusion.schedules import make_betas

EpsModel = Callable[[torch.Tensor, torch.Tensor, "torch.Tensor | None"], torch.Tensor]
LOSS_TYPES = ("mse", "l1")


_DEVICE_TABLES: dict[tuple[int, str], tuple[np.ndarray, torch.Tensor]] = {}


def _device_table(arr: np.ndarray, device: torch.device) -> torch.Tensor:
    """``arr`` as a tensor on ``device``, copied there once per array and device (float64 where supported)."""
    key = (id(arr), str(device))
    hit = _DEVICE_TABLES.get(key)
    if hit is None or hit[0] is not arr:
        dtype = torch.float32 if device.type == "mps" else torch.float64
        hit = _DEVICE_TABLES[key] = (arr, torch.as_tensor(arr, dtype=dtype, device=device))
    return hit[1]


def gather_schedule(arr: np.ndarray, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """arr[t] of a float64 schedule array, shaped (N, 1, ..., 1) in ``like``'s dtype and device. Timesteps on an
    accelerator index a copy of the table there, so no call waits for the device (a training step stays free of
    host synchronisation); on the CPU the numpy array is indexed directly."""
    if t.device.type == "cpu":
        vals = torch.from_numpy(arr[t.detach().numpy()])
    else:
        vals = _device_table(arr, t.device)[t.detach()]
    dtype = like.dtype if like.dtype.is_floating_point else torch.get_default_dtype()
    return vals.to(device=like.device, dtype=dtype).reshape(-1, *([1] * (like.dim() - 1)))


class GaussianDiffusion:
    """Forward diffusion q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I), abar_t = prod_s (1 - beta_s).

    Coefficients are kept as float64 numpy arrays and gathered into the input's
    dtype/device on use. Timestep index t in [0, T) holds abar_{t+1} in the paper's
    1-based notation.
    """

    def __init__(self, betas: np.ndarray) -> None:
        b = np.asarray(betas, dtype=np.float64)
        if b.ndim != 1 or b.size == 0:
            raise ValueError(f"GaussianDiffusion: betas must be a non-empty 1-D array, got shape {b.shape}")
        if not (np.all(b > 0) and np.all(b < 1)):  # beta = 1 would make abar = 0 and x0 undefined
            raise ValueError(
                f"GaussianDiffusion: betas must lie in (0, 1), got min={b.min()} max={b.max()}"
            )
        self.betas = b
        self.T = int(b.size)
        self.alphas_cumprod = np.cumprod(1.0 - b)
        self._sqrt_abar = np.sqrt(self.alphas_cumprod)
        self._sqrt_1m_abar = np.sqrt(1.0 - self.alphas_cumprod)
        self._sqrt_recip_abar = np.sqrt(1.0 / self.alphas_cumprod)
        self._sqrt_recipm1_abar = np.sqrt(1.0 / self.alphas_cumprod - 1.0)

    @classmethod
    def from_schedule(cls, schedule: str, T: int) -> GaussianDiffusion:
        """Build from a named schedule (see ``make_betas``)."""
        return cls(make_betas(schedule, T))

    # -- helpers -----------------------------------------------------------------
    def _check_t(self, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(t, torch.Tensor) or t.dim() != 1 or t.shape[0] != x.shape[0]:
            raise ValueError(
                f"GaussianDiffusion: t must be a 1-D tensor of length batch={x.shape[0]}, "
                f"got {type(t).__name__} {tuple(t.shape) if isinstance(t, torch.Tensor) else ''}"
            )
        if t.dtype.is_floating_point or t.dtype == torch.bool:
            raise ValueError(f"GaussianDiffusion: t must be an integer tensor, got dtype {t.dtype}")
        # on an accelerator the range is checked by the table lookup itself (an out-of-range index is a device
        # error there); reading t.min() here would stop the host for the device at every call
        if t.device.type == "cpu" and t.numel() and (int(t.min()) < 0 or int(t.max()) >= self.T):
            raise ValueError(
                f"GaussianDiffusion: t must lie in [0, {self.T}), got min={int(t.min())} max={int(t.max())}"
            )
        return t

    def _gather(self, arr: np.ndarray, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """arr[t] as x's dtype/device, shaped (N, 1, ..., 1) to broadcast against x."""
        self._check_t(t, x)
        return gather_schedule(arr, t, x)

    # -- forward process ---------------------------------------------------------
    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps (Diff-AE §2; DiffuseGAE Eq. 1)."""
        if noise is None:
            noise = torch.randn_like(x0)
        _same_shape("q_sample", x0, noise, "x0", "noise")
        return self._gather(self._sqrt_abar, t, x0) * x0 + self._gather(self._sqrt_1m_abar, t, x0) * noise

    def pred_x0_from_eps(self, x_t: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """f_theta(x_t, t) = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t) (Diff-AE Eq. 5)."""
        _same_shape("pred_x0_from_eps", x_t, eps, "x_t", "eps")
        return self._gather(self._sqrt_recip_abar, t, x_t) * x_t - self._gather(self._sqrt_recipm1_abar, t, x_t) * eps

    def pred_eps_from_x0(self, x_t: torch.Tensor, t: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        """eps = (x_t - sqrt(abar_t) x_0) / sqrt(1 - abar_t), the inverse of ``pred_x0_from_eps``."""
        _same_shape("pred_eps_from_x0", x_t, x0, "x_t", "x0")
        return (self._gather(self._sqrt_recip_abar, t, x_t) * x_t - x0) / self._gather(
            self._sqrt_recipm1_abar, t, x_t
        )

    def sample_t(
        self, n: int, generator: torch.Generator | None = None, device: torch.device | str | None = None
    ) -> torch.Tensor:
        """n timesteps drawn uniformly from [0, T) (the expectation over t in Diff-AE Eq. 6)."""
        if device is None and generator is not None:
            device = generator.device
        return torch.randint(0, self.T, (n,), generator=generator, device=device, dtype=torch.long)

    # -- loss --------------------------------------------------------------------
    def training_loss(
        self,
        model: EpsModel,
        x0: torch.Tensor,
        cond: torch.Tensor | None = None,
        loss_type: str = "mse",
        t: torch.Tensor | None = None,
        noise: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Per-sample noise-prediction loss, shape (N,), mean over non-batch dims.

        ``"mse"``: L_simple, Diff-AE Eq. 6 / DiffuseGAE Eq. 1 (image decoder).
        ``"l1"``: L_latent, Diff-AE Eq. 9 (latent DDIM; Appendix A.1 found L1 better).
        ``t`` and ``noise`` default to uniform timesteps and N(0, I) drawn with ``generator``.
        """
        if loss_type not in LOSS_TYPES:
            raise ValueError(f"training_loss: unknown loss_type {loss_type!r}; expected one of {list(LOSS_TYPES)}")
        if t is None:
            t = self.sample_t(x0.shape[0], generator=generator, device=x0.device)
        if noise is None:
            noise = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=x0.dtype)
        x_t = self.q_sample(x0, t, noise)
        eps = model(x_t, t, cond)
        _same_shape("training_loss", eps, noise, "model output", "noise")
        diff = eps - noise
        err = diff.square() if loss_type == "mse" else diff.abs()
        return err.reshape(err.shape[0], -1).mean(dim=1)


def _same_shape(where: str, a: torch.Tensor, b: torch.Tensor, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{where}: {name_a} shape {tuple(a.shape)} != {name_b} shape {tuple(b.shape)}")
