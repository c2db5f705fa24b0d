"""SimSiam loss of DiffSiam (thesis Eq. 3.9-3.10; Chen & He 2021).

D(p, z) = -(p / ||p||) . (z / ||z||) with a stop-gradient on z: the thesis's text names the stop-gradient as
what prevents collapse although Eq. 3.10 omits it (spec §2.2). Pure functions, no I/O.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["negative_cosine", "simsiam_loss"]


def negative_cosine(p: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Per-sample D(p, sg(z)) of Eq. 3.10, shape (N,)."""
    return -F.cosine_similarity(p, z.detach(), dim=1)


def simsiam_loss(p1: torch.Tensor, p2: torch.Tensor, z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
    """Eq. 3.9: 1/2 D(p1, z2) + 1/2 D(p2, z1), mean over the batch (p = predictor output, z = view codes)."""
    return 0.5 * (negative_cosine(p1, z2) + negative_cosine(p2, z1)).mean()
