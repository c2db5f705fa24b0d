"""ResNet-10 image encoder f_omega of DiffSiam (thesis §4.2.2: "ResNet-10 backbone ... for all the datasets").

CIFAR-style ResNet (He et al. 2016) with BasicBlocks [1, 1, 1, 1]: conv3x3 stride 1 -> BN -> ReLU, no max-pool,
stages of width w, 2w, 4w, 8w with strides 1, 2, 2, 2, global average pool -> (N, 8w). The thesis gives only the
name and d = 512 (w = 64); the block layout follows the thesis authors' later code (DiTi), as spec §2.3 records.
Kaiming-normal convs and a zero-initialised last BN in each residual branch (each block starts as identity).
``z_dim`` other than 8w adds a linear head.
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["ResNet10"]


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = (
            nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
            if stride != 1 or c_in != c_out else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(h)) + self.shortcut(x))


class ResNet10(nn.Module):
    """Images (N, C, H, W) -> codes (N, z_dim); ``width`` w gives stage widths w, 2w, 4w, 8w."""

    def __init__(self, in_channels: int = 3, width: int = 64, z_dim: int | None = None):
        super().__init__()
        if width < 1:
            raise ValueError(f"ResNet10: width must be >= 1, got {width}")
        widths = [width, 2 * width, 4 * width, 8 * width]
        self.stem = nn.Sequential(nn.Conv2d(in_channels, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU(inplace=True))
        blocks, c = [], width
        for w, stride in zip(widths, (1, 2, 2, 2)):
            blocks.append(BasicBlock(c, w, stride))
            c = w
        self.blocks = nn.Sequential(*blocks)
        self.feature_dim = c
        self.z_dim = z_dim or c
        self.head = nn.Identity() if self.z_dim == c else nn.Linear(c, self.z_dim)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        for b in self.blocks:
            nn.init.zeros_(b.bn2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.stem(x))
        return self.head(h.mean(dim=(2, 3)))
