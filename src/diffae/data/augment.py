"""Batched, per-sample random augmentations of image tensors in [-1, 1] (DiffSiam Algorithm 1 steps 1 and 8).

The thesis leaves the SimSiam views unspecified (ambiguity A7); spec §2.4 takes SimSiam's CIFAR recipe:
RandomResizedCrop(scale 0.2-1, ratio 3/4-4/3), horizontal flip, ColorJitter(0.4, 0.4, 0.4, 0.1) with p = 0.8,
grayscale with p = 0.2. Each sample draws its own parameters from the global torch RNG (seeded and checkpointed
by the training loop); the whole batch is transformed at once (affine grid sampling, per-sample colour factors).
Hue is rotated in YIQ space, a close and vectorisable stand-in for torchvision's HSV hue shift.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["SimSiamAugment", "random_hflip"]

_LUMA = torch.tensor([0.299, 0.587, 0.114])


def random_hflip(x: torch.Tensor, p: float = 0.5) -> torch.Tensor:
    """Flip each sample of (N, C, H, W) left-right with probability p."""
    flip = torch.rand(x.shape[0], device=x.device) < p
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


def _uniform(n: int, lo: float, hi: float, device) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, device=device)


@dataclass(frozen=True)
class SimSiamAugment:
    """One random view per sample: resized crop + flip + colour jitter + grayscale."""

    scale: tuple[float, float] = (0.2, 1.0)
    ratio: tuple[float, float] = (3 / 4, 4 / 3)
    brightness: float = 0.4
    contrast: float = 0.4
    saturation: float = 0.4
    hue: float = 0.1
    p_jitter: float = 0.8
    p_gray: float = 0.2

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"SimSiamAugment: expected RGB images (N, 3, H, W), got {tuple(x.shape)}")
        return self.gray(self.jitter(self.crop_flip(x)))

    def crop_flip(self, x: torch.Tensor) -> torch.Tensor:
        n, dev = x.shape[0], x.device
        area = _uniform(n, *self.scale, dev)
        log_r = _uniform(n, math.log(self.ratio[0]), math.log(self.ratio[1]), dev)
        w = torch.sqrt(area * log_r.exp()).clamp(max=1.0)  # crop width / image width
        h = torch.sqrt(area / log_r.exp()).clamp(max=1.0)
        cx = (2 * torch.rand(n, device=dev) - 1) * (1 - w)  # crop centre in [-1, 1] grid coordinates
        cy = (2 * torch.rand(n, device=dev) - 1) * (1 - h)
        sign = torch.where(torch.rand(n, device=dev) < 0.5, -1.0, 1.0)
        theta = torch.zeros(n, 2, 3, device=dev, dtype=x.dtype)
        theta[:, 0, 0], theta[:, 0, 2] = w * sign, cx
        theta[:, 1, 1], theta[:, 1, 2] = h, cy
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)

    def jitter(self, x: torch.Tensor) -> torch.Tensor:
        n, dev = x.shape[0], x.device
        y = (x + 1) / 2
        luma = _LUMA.to(dev, x.dtype)[None, :, None, None]
        b = _uniform(n, 1 - self.brightness, 1 + self.brightness, dev)[:, None, None, None]
        c = _uniform(n, 1 - self.contrast, 1 + self.contrast, dev)[:, None, None, None]
        s = _uniform(n, 1 - self.saturation, 1 + self.saturation, dev)[:, None, None, None]
        y = (y * b).clamp(0, 1)
        mean = (y * luma).sum(1, keepdim=True).mean(dim=(2, 3), keepdim=True)
        y = ((y - mean) * c + mean).clamp(0, 1)
        gray = (y * luma).sum(1, keepdim=True)
        y = ((y - gray) * s + gray).clamp(0, 1)
        y = self._rotate_hue(y, _uniform(n, -self.hue, self.hue, dev) * 2 * math.pi).clamp(0, 1)
        on = (torch.rand(n, device=dev) < self.p_jitter)[:, None, None, None]
        return torch.where(on, y * 2 - 1, x)

    @staticmethod
    def _rotate_hue(y: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
        rgb2yiq = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]],
                               device=y.device, dtype=y.dtype)
        yiq = torch.einsum("ij,njhw->nihw", rgb2yiq, y)
        cos, sin = angle.cos()[:, None, None], angle.sin()[:, None, None]
        i, q = yiq[:, 1] * cos - yiq[:, 2] * sin, yiq[:, 1] * sin + yiq[:, 2] * cos
        yiq = torch.stack([yiq[:, 0], i, q], dim=1)
        return torch.einsum("ij,njhw->nihw", torch.linalg.inv(rgb2yiq), yiq)

    def gray(self, x: torch.Tensor) -> torch.Tensor:
        on = (torch.rand(x.shape[0], device=x.device) < self.p_gray)[:, None, None, None]
        g = (x * _LUMA.to(x.device, x.dtype)[None, :, None, None]).sum(1, keepdim=True).expand_as(x)
        return torch.where(on, g, x)
