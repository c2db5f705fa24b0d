"""DiffSiam's time-step-partitioned code and SimSiam head (thesis §3.2-3.3, Eq. 3.9-3.11; spec §2.3).

z (N, d) is cut into ``n_segments`` equal, disjoint segments z_1..z_n. ``masked_code(z, k, n, variant)``:

* ``hierarchical``: z_bar_k = [z_1, ..., z_k, 0, ..., 0] (thesis: z_bar_k = sum_{i<=k} z_i, zero-padded);
* ``sequential``: only segment k visible;
* ``hierarchical_detach``: as hierarchical, with z_1..z_{k-1} through stop-gradient (Fig. 4.9's variant);
* ``pdae``: the full z at every t (the PDAE baseline, thesis §3.2).

The SimSiam head is the predictor p_gamma (512 -> 128 -> 512, BN + ReLU on the hidden layer); the thesis names
no projector (ambiguity A5), so ``projector=True`` (three 512-wide layers with BN, as SimSiam) is a param.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["VARIANTS", "SimSiamHead", "masked_code", "segment_masks"]

VARIANTS = ("hierarchical", "sequential", "hierarchical_detach", "pdae")


def segment_masks(k: torch.Tensor, n_segments: int, z_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(segments 1..k-1, segment k) as float masks (N, z_dim) for k in 1..n_segments."""
    if z_dim % n_segments:
        raise ValueError(f"z dimension {z_dim} is not divisible by n_segments {n_segments}")
    # checked where reading k is free; on an accelerator k comes from segment_of_step, in range by construction,
    # and reading it would stop the host for the device at every training step
    if k.device.type == "cpu" and k.numel() and (int(k.min()) < 1 or int(k.max()) > n_segments):
        raise ValueError(f"segment index k must lie in 1..{n_segments}, got {int(k.min())}..{int(k.max())}")
    seg = torch.arange(z_dim, device=k.device) // (z_dim // n_segments) + 1  # segment of each dimension
    before = (seg[None, :] < k[:, None]).float()
    current = (seg[None, :] == k[:, None]).float()
    return before, current


def masked_code(z: torch.Tensor, k: torch.Tensor, n_segments: int, variant: str) -> torch.Tensor:
    """z_bar_k of Eq. 3.11 for ``variant`` (see module doc); ``k`` (N,) in 1..n_segments."""
    if variant not in VARIANTS:
        raise ValueError(f"diffsiam variant {variant!r} unknown; expected one of {list(VARIANTS)}")
    if variant == "pdae":
        return z
    before, current = segment_masks(k, n_segments, z.shape[1])
    before, current = before.to(z.dtype), current.to(z.dtype)
    if variant == "sequential":
        return z * current
    if variant == "hierarchical":
        return z * (before + current)
    return z.detach() * before + z * current


def _mlp(sizes: list[int], last_bn: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        layers.append(nn.Linear(a, b, bias=last and not last_bn))
        if not last:
            layers += [nn.BatchNorm1d(b), nn.ReLU(inplace=True)]
        elif last_bn:
            layers.append(nn.BatchNorm1d(b, affine=False))
    return nn.Sequential(*layers)


class SimSiamHead(nn.Module):
    """``project(z)`` (identity unless ``projector``) and ``predict(p)`` for Eq. 3.9."""

    def __init__(self, z_dim: int, pred_hidden: int = 128, projector: bool = False):
        super().__init__()
        self.projector = _mlp([z_dim, z_dim, z_dim, z_dim], last_bn=True) if projector else nn.Identity()
        self.predictor = _mlp([z_dim, pred_hidden, z_dim], last_bn=False)

    def project(self, z: torch.Tensor) -> torch.Tensor:
        return self.projector(z)

    def predict(self, p: torch.Tensor) -> torch.Tensor:
        return self.predictor(p)
