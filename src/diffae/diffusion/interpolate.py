"""Latent interpolation: Lerp for z_sem, Slerp for x_T (Diff-AE §5.2, DiffuseGAE §4.4 / Eq. 13)."""
from __future__ import annotations

import torch


def _alpha(alpha: float | torch.Tensor, a: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """alpha as a tensor shaped (N, 1, ..., 1) (or a scalar) broadcasting against a."""
    al = torch.as_tensor(alpha, dtype=dtype, device=a.device)
    if al.dim() == 0:
        return al
    if al.dim() != 1 or al.shape[0] != a.shape[0]:
        raise ValueError(f"interpolate: alpha must be a float or a (N,) tensor with N={a.shape[0]}, got shape {tuple(al.shape)}")
    return al.reshape(-1, *([1] * (a.dim() - 1)))


def _check(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.shape != b.shape:
        raise ValueError(f"interpolate: a shape {tuple(a.shape)} != b shape {tuple(b.shape)}")
    if a.dim() < 1:
        raise ValueError("interpolate: inputs need a batch dimension (N, ...)")


def lerp(a: torch.Tensor, b: torch.Tensor, alpha: float | torch.Tensor) -> torch.Tensor:
    """(1 - alpha) a + alpha b, per sample; alpha is a float or a (N,) tensor."""
    _check(a, b)
    al = _alpha(alpha, a, a.dtype if a.dtype.is_floating_point else torch.get_default_dtype())
    return a + al * (b - a)


def slerp(a: torch.Tensor, b: torch.Tensor, alpha: float | torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Spherical interpolation of each sample's flattened vector.

    slerp = sin((1 - alpha) theta) / sin(theta) a + sin(alpha theta) / sin(theta) b with
    theta the angle between a_i and b_i (computed in float64). Falls back to ``lerp``
    where theta < eps (parallel inputs).
    """
    _check(a, b)
    n = a.shape[0]
    a64, b64 = a.reshape(n, -1).double(), b.reshape(n, -1).double()
    cos = (a64 * b64).sum(1) / (a64.norm(dim=1) * b64.norm(dim=1)).clamp_min(1e-300)
    theta = torch.arccos(cos.clamp(-1.0, 1.0))
    al = torch.as_tensor(alpha, dtype=torch.float64, device=a.device)
    if al.dim() not in (0, 1) or (al.dim() == 1 and al.shape[0] != n):
        raise ValueError(f"slerp: alpha must be a float or a (N,) tensor with N={n}, got shape {tuple(al.shape)}")
    al = al.expand(n)
    small = theta < eps
    sin_t = torch.where(small, torch.ones_like(theta), torch.sin(theta))
    wa = torch.where(small, 1.0 - al, torch.sin((1.0 - al) * theta) / sin_t)
    wb = torch.where(small, al, torch.sin(al * theta) / sin_t)
    out = wa[:, None] * a64 + wb[:, None] * b64
    return out.reshape(a.shape).to(a.dtype if a.dtype.is_floating_point else torch.get_default_dtype())
