"""Semantic encoders z_sem = Enc(x0): Diff-AE half-UNet (Diff-AE §3.2, Table 5) and
DiffuseGAE Alter-ResNet (DiffuseGAE §3.2, Fig. 3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from diffae.nets.layers import (
    AttentionBlock,
    Downsample,
    ResBlock,
    normalization,
)

__all__ = ["AlterResNet", "HalfUNetEncoder", "build_encoder", "ENCODER_KINDS"]


def _check_size(name: str, image_size: int, channel_mult: Sequence[int]) -> None:
    levels = len(channel_mult)
    if levels < 1 or image_size % (2 ** (levels - 1)):
        raise ValueError(
            f"{name}: image_size {image_size} not divisible by 2^(len(channel_mult)-1) "
            f"for channel_mult {tuple(channel_mult)}"
        )


class HalfUNetEncoder(nn.Module):
    """Diff-AE semantic encoder: the encoding half of the UNet without time conditioning.

    Diff-AE §3.2 ("same architecture as the first half of our UNet decoder"),
    Table 5 (encoder base ch, ch. mult., attn. resolution, z_sem size 512).
    ``input_blocks`` + ``middle_block`` as in :class:`~diffae.nets.unet.UNet`, then
    ``out`` = GN-SiLU-global average pool-1x1 conv-flatten -> (N, z_dim).

    ``resblock_convs``: 2 gives the UNet's two-conv ResBlocks (the paper's wording);
    the official release's unconditioned ResBlocks have a single GN-SiLU-conv
    (``resblock_convs=1``, needed to load its weights).
    """

    def __init__(
        self,
        in_channels: int = 3,
        base_channels: int = 64,
        channel_mult: Sequence[int] = (1, 2, 4, 8, 8),
        num_res_blocks: int = 2,
        attn_resolutions: Sequence[int] = (16,),
        image_size: int = 64,
        z_dim: int = 512,
        dropout: float = 0.0,
        num_heads: int = 1,
        num_head_channels: int = -1,
        resblock_updown: bool = True,
        resblock_convs: int = 2,
    ):
        super().__init__()
        _check_size("HalfUNetEncoder", image_size, channel_mult)
        if resblock_convs not in (1, 2):
            raise ValueError(f"HalfUNetEncoder: resblock_convs must be 1 or 2, got {resblock_convs}")
        self.z_dim = z_dim
        second = resblock_convs == 2

        def res(ch_in: int, ch_out: int, **kw) -> ResBlock:
            return ResBlock(ch_in, ch_out, None, dropout, second_conv=second, **kw)

        def attn(ch: int) -> AttentionBlock:
            return AttentionBlock(ch, num_heads, num_head_channels)

        ch = int(channel_mult[0] * base_channels)
        self.input_blocks = nn.ModuleList([nn.Sequential(nn.Conv2d(in_channels, ch, 3, padding=1))])
        size = image_size
        for level, mult in enumerate(channel_mult):
            for _ in range(num_res_blocks):
                out_ch = int(mult * base_channels)
                layers: list[nn.Module] = [res(ch, out_ch)]
                ch = out_ch
                if size in attn_resolutions:
                    layers.append(attn(ch))
                self.input_blocks.append(nn.Sequential(*layers))
            if level != len(channel_mult) - 1:
                down = res(ch, ch, down=True) if resblock_updown else Downsample(ch, use_conv=True)
                self.input_blocks.append(nn.Sequential(down))
                size //= 2
        self.middle_block = nn.Sequential(res(ch, ch), attn(ch), res(ch, ch))
        self.out = nn.Sequential(
            normalization(ch),
            nn.SiLU(),
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Conv2d(ch, z_dim, 1),
            nn.Flatten(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images (N, C, H, W) in [-1, 1] -> z_sem (N, z_dim)."""
        h = x
        for block in self.input_blocks:
            h = block(h)
        return self.out(self.middle_block(h))


class AlterResNet(nn.Module):
    """Alter-ResNet semantic encoder (DiffuseGAE §3.2, Fig. 3).

    Built by Park & Kim's rule ("How do vision transformers work?", AlterNet): a
    ResNet whose stages end with a multi-head self-attention (MSA) block instead of
    their last conv block. Stem conv3x3 -> per stage ``num_res_blocks`` blocks at
    ``base_channels * mult`` (pre-activation conv ResBlocks, GN + SiLU; the last
    one an MSA block if the stage's feature-map size is in ``attn_resolutions``)
    -> strided-conv Downsample to the next stage -> GN-SiLU-global pool-Linear.

    ``attn_resolutions=None`` (default) puts an MSA block at the end of every
    stage except the first, as in AlterNet. Heads: ``channels // num_head_channels``
    (at least 1). The paper does not give depth/width; Fig. 3 fixes only block
    kinds and order, so widths and depths here are arguments.
    """

    def __init__(
        self,
        in_channels: int = 3,
        base_channels: int = 64,
        channel_mult: Sequence[int] = (1, 2, 4, 8),
        num_res_blocks: int = 2,
        attn_resolutions: Sequence[int] | None = None,
        image_size: int = 64,
        z_dim: int = 512,
        dropout: float = 0.0,
        num_head_channels: int = 32,
    ):
        super().__init__()
        _check_size("AlterResNet", image_size, channel_mult)
        if num_res_blocks < 1:
            raise ValueError(f"AlterResNet: num_res_blocks must be >= 1, got {num_res_blocks}")
        self.z_dim = z_dim
        sizes = [image_size // 2**i for i in range(len(channel_mult))]
        msa_sizes = set(sizes[1:] if attn_resolutions is None else attn_resolutions)
        ch = int(channel_mult[0] * base_channels)
        self.stem = nn.Conv2d(in_channels, ch, 3, padding=1)
        self.stages = nn.ModuleList()
        for level, mult in enumerate(channel_mult):
            out_ch = int(mult * base_channels)
            blocks: list[nn.Module] = []
            if level:
                blocks.append(Downsample(ch, use_conv=True, out_channels=out_ch))
            ch = out_ch
            for i in range(num_res_blocks):
                if i == num_res_blocks - 1 and sizes[level] in msa_sizes:
                    heads = max(1, ch // num_head_channels)
                    blocks.append(AttentionBlock(ch, num_heads=heads))
                else:
                    blocks.append(ResBlock(ch, ch, None, dropout))
            self.stages.append(nn.Sequential(*blocks))
        self.head = nn.Sequential(
            normalization(ch), nn.SiLU(), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(ch, z_dim)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images (N, C, H, W) in [-1, 1] -> z_sem (N, z_dim)."""
        h = self.stem(x)
        for stage in self.stages:
            h = stage(h)
        return self.head(h)


ENCODER_KINDS = {"halfunet": HalfUNetEncoder, "alter_resnet": AlterResNet}


def build_encoder(kind: str, **kwargs: Any) -> nn.Module:
    """Build a semantic encoder by name: ``"halfunet"`` (Diff-AE) or ``"alter_resnet"`` (DiffuseGAE)."""
    try:
        cls = ENCODER_KINDS[kind]
    except KeyError:
        raise ValueError(
            f"build_encoder: unknown encoder kind {kind!r}; expected one of {sorted(ENCODER_KINDS)}"
        ) from None
    return cls(**kwargs)
