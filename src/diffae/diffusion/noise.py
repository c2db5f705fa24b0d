"""The one source of the DDIM starting noise x_T ~ N(0, I) (Diff-AE Eq. 4; random x_T of Diff-AE Table 2 (a)
and DiffuseGAE Table 2, Fig. 7 recombination, Fig. 10 PPL paths)."""
from __future__ import annotations

from typing import Sequence

import torch


def sample_noise(
    shape: Sequence[int],
    generator: torch.Generator | None = None,
    device: str | torch.device = "cpu",
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """x_T ~ N(0, I) of ``shape``: drawn on the CPU from ``generator`` in ``dtype``, then moved to ``device``,
    so one seed gives the same noise on every device."""
    return torch.randn(tuple(shape), generator=generator, dtype=dtype).to(device)
