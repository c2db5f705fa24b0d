"""Building blocks of the Diff-AE UNet, its semantic encoder and Alter-ResNet.

The blocks follow the improved-DDPM/ADM UNet that Diff-AE builds on (Diff-AE
Appendix A, Table 5, Fig. 7) and keep the module names of the official Diff-AE
release, so that its checkpoints load by a near-identity key mapping
(see :mod:`diffae.nets.official_keys`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "AttentionBlock",
    "Downsample",
    "GroupNorm32",
    "ResBlock",
    "TimestepSequential",
    "Upsample",
    "adagn_modulate",
    "count_parameters",
    "normalization",
    "timestep_embedding",
    "zero_module",
]


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters of ``module`` (all, or only those requiring grad)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def zero_module(module: nn.Module) -> nn.Module:
    """Zero all parameters of ``module`` in place and return it (ADM init of output convs)."""
    for p in module.parameters():
        p.detach().zero_()
    return module


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal encoding psi(t) of Diff-AE Eq. (7): ``[cos(t f), sin(t f)]``, shape (N, dim).

    ``t`` holds one (integer or fractional) timestep per sample; frequencies
    ``f_i = max_period^(-i/half)``. Computed in float32 whatever the autocast state.
    """
    if t.ndim != 1:
        raise ValueError(f"timestep_embedding: expected t of shape (N,), got {tuple(t.shape)}")
    half = dim // 2
    freqs = torch.exp(
        -math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half
    )
    args = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


class GroupNorm32(nn.GroupNorm):
    """GroupNorm computed in float32 and cast back to the input dtype (stable under bf16/fp16)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.float()).type(x.dtype)


def normalization(channels: int, max_groups: int = 32) -> GroupNorm32:
    """GroupNorm with ``min(32, channels)`` groups (ADM); falls back to a divisor of ``channels``."""
    groups = min(max_groups, channels)
    if channels % groups:
        groups = math.gcd(max_groups, channels)
    return GroupNorm32(groups, channels)


def adagn_modulate(
    h_norm: torch.Tensor,
    t_scale: torch.Tensor | None,
    t_shift: torch.Tensor | None,
    z_scale: torch.Tensor | None = None,
    z_shift: torch.Tensor | None = None,
    scale_bias: float = 1.0,
) -> torch.Tensor:
    """AdaGN modulation of an already group-normalised feature map ``h_norm`` (N, C, H, W).

    Diff-AE Eq. (7): ``z_s (t_s GN(h) + t_b)``; DiffuseGAE Eq. (8) adds ``+ z_b``.
    Scales are parameterised as ``scale_bias + s`` (official code: ``scale_bias=1``,
    so a zero affine output is the identity); since ``s`` is itself an affine
    function of the condition this is the same function class as the papers'.
    Conditions are (N, C) vectors broadcast over space; ``None`` skips a term.
    """
    h = h_norm
    if t_scale is not None:
        h = h * (scale_bias + t_scale[:, :, None, None])
    if t_shift is not None:
        h = h + t_shift[:, :, None, None]
    if z_scale is not None:
        h = h * (scale_bias + z_scale[:, :, None, None])
    if z_shift is not None:
        h = h + z_shift[:, :, None, None]
    return h


class Upsample(nn.Module):
    """Nearest-neighbour x2 upsampling, optionally followed by a 3x3 conv."""

    def __init__(self, channels: int, use_conv: bool = False, out_channels: int | None = None):
        super().__init__()
        out_channels = out_channels or channels
        if not use_conv and out_channels != channels:
            raise ValueError(f"Upsample without conv cannot change channels ({channels}->{out_channels})")
        self.conv = nn.Conv2d(channels, out_channels, 3, padding=1) if use_conv else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return self.conv(x) if self.conv is not None else x


class Downsample(nn.Module):
    """x2 downsampling: strided 3x3 conv (``use_conv``) or 2x2 average pooling."""

    def __init__(self, channels: int, use_conv: bool = False, out_channels: int | None = None):
        super().__init__()
        out_channels = out_channels or channels
        if use_conv:
            self.op: nn.Module = nn.Conv2d(channels, out_channels, 3, stride=2, padding=1)
        elif out_channels != channels:
            raise ValueError(f"Downsample without conv cannot change channels ({channels}->{out_channels})")
        else:
            self.op = nn.AvgPool2d(kernel_size=2, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class ResBlock(nn.Module):
    """ADM residual block with AdaGN conditioning (Diff-AE Fig. 7b, Eq. (7); DiffuseGAE Eq. (8)).

    ``in_layers``: GN-SiLU-conv3x3; then ``out_layers``: GN - AdaGN modulation -
    SiLU - dropout - zero-initialised conv3x3; residual ``skip_connection``.

    Args:
        channels, out_channels: input / output channels.
        emb_channels: time-embedding width; gives (t_s, t_b) via ``emb_layers``
            (SiLU, Linear -> 2C). ``None``: no time conditioning.
        cond_channels: z_sem width; gives z_s (and z_b if ``z_shift``) via
            ``cond_emb_layers`` (optional SiLU, Linear -> C or 2C). ``None``: no z.
        z_shift: DiffuseGAE Eq. (8) shift ``+ z_b`` (Diff-AE Eq. (7) has none).
        cond_act: apply SiLU to z_sem before the affine. Diff-AE Eq. (7) says
            ``z_s = Affine(z_sem)`` (False); the official release uses SiLU (True).
        dropout: dropout before the last conv.
        up / down: resample inside the block (BigGAN-style, ``resblock_updown``).
        second_conv: keep ``out_layers``. The official Diff-AE semantic encoder
            (no conditioning at all) has only ``in_layers`` (False); a block
            with any conditioning always needs them.
        scale_bias: constant added to every AdaGN scale (see :func:`adagn_modulate`).
    """

    def __init__(
        self,
        channels: int,
        out_channels: int | None = None,
        emb_channels: int | None = None,
        dropout: float = 0.0,
        cond_channels: int | None = None,
        z_shift: bool = False,
        cond_act: bool = False,
        up: bool = False,
        down: bool = False,
        second_conv: bool = True,
        scale_bias: float = 1.0,
    ):
        super().__init__()
        out_channels = out_channels or channels
        if up and down:
            raise ValueError("ResBlock: up and down are mutually exclusive")
        if not second_conv and (emb_channels is not None or cond_channels is not None):
            raise ValueError("ResBlock: a conditioned block needs second_conv=True (AdaGN lives there)")
        self.out_channels = out_channels
        self.scale_bias = scale_bias
        self.z_shift = z_shift
        self.in_layers = nn.Sequential(
            normalization(channels), nn.SiLU(), nn.Conv2d(channels, out_channels, 3, padding=1)
        )
        self.updown = up or down
        if up:
            self.h_upd: nn.Module = Upsample(channels)
            self.x_upd: nn.Module = Upsample(channels)
        elif down:
            self.h_upd = Downsample(channels)
            self.x_upd = Downsample(channels)
        else:
            self.h_upd = self.x_upd = nn.Identity()
        self.emb_layers = (
            nn.Sequential(nn.SiLU(), nn.Linear(emb_channels, 2 * out_channels))
            if emb_channels is not None
            else None
        )
        self.cond_emb_layers = (
            nn.Sequential(
                nn.SiLU() if cond_act else nn.Identity(),
                nn.Linear(cond_channels, (2 if z_shift else 1) * out_channels),
            )
            if cond_channels is not None
            else None
        )
        self.out_layers = (
            nn.Sequential(
                normalization(out_channels),
                nn.SiLU(),
                nn.Dropout(p=dropout),
                zero_module(nn.Conv2d(out_channels, out_channels, 3, padding=1)),
            )
            if second_conv
            else None
        )
        self.skip_connection = (
            nn.Identity() if out_channels == channels else nn.Conv2d(channels, out_channels, 1)
        )

    def forward(
        self, x: torch.Tensor, emb: torch.Tensor | None = None, cond: torch.Tensor | None = None
    ) -> torch.Tensor:
        if self.updown:
            h = self.in_layers[:-1](x)
            h = self.h_upd(h)
            x = self.x_upd(x)
            h = self.in_layers[-1](h)
        else:
            h = self.in_layers(x)
        if self.out_layers is None:
            return self.skip_connection(x) + h
        t_s = t_b = z_s = z_b = None
        if self.emb_layers is not None:
            if emb is None:
                raise ValueError("ResBlock: time-conditioned block called without a time embedding")
            t_s, t_b = self.emb_layers(emb).type(h.dtype).chunk(2, dim=1)
        if self.cond_emb_layers is not None:
            if cond is None:
                raise ValueError("ResBlock: z-conditioned block called without cond (z_sem)")
            z = self.cond_emb_layers(cond).type(h.dtype)
            z_s, z_b = z.chunk(2, dim=1) if self.z_shift else (z, None)
        h = self.out_layers[0](h)
        h = adagn_modulate(h, t_s, t_b, z_s, z_b, self.scale_bias)
        h = self.out_layers[1:](h)
        return self.skip_connection(x) + h


class AttentionBlock(nn.Module):
    """Spatial multi-head self-attention with a residual (ADM; GN -> qkv -> attention -> proj).

    The qkv channel layout is head-major ``[head][q, k, v][ch]`` (ADM "legacy"
    order, used by the official Diff-AE weights); ``proj_out`` is zero-initialised.
    Either ``num_heads`` or ``num_head_channels`` (if > 0) sets the head count.
    """

    def __init__(self, channels: int, num_heads: int = 1, num_head_channels: int = -1):
        super().__init__()
        if num_head_channels > 0:
            if channels % num_head_channels:
                raise ValueError(
                    f"AttentionBlock: channels {channels} not divisible by num_head_channels {num_head_channels}"
                )
            num_heads = channels // num_head_channels
        if channels % num_heads:
            raise ValueError(f"AttentionBlock: channels {channels} not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.norm = normalization(channels)
        self.qkv = nn.Conv1d(channels, 3 * channels, 1)
        self.proj_out = zero_module(nn.Conv1d(channels, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, *spatial = x.shape
        x = x.reshape(b, c, -1)
        qkv = self.qkv(self.norm(x))  # (B, 3C, L)
        ch = c // self.num_heads
        q, k, v = qkv.reshape(b, self.num_heads, 3, ch, -1).transpose(-1, -2).unbind(dim=2)
        a = F.scaled_dot_product_attention(q, k, v)  # (B, H, L, ch), scale 1/sqrt(ch)
        a = a.transpose(-1, -2).reshape(b, c, -1)
        return (x + self.proj_out(a)).reshape(b, c, *spatial)


class TimestepSequential(nn.Sequential):
    """Sequential container passing (emb, cond) to its :class:`ResBlock` children only."""

    def forward(  # type: ignore[override]
        self, x: torch.Tensor, emb: torch.Tensor | None = None, cond: torch.Tensor | None = None
    ) -> torch.Tensor:
        for layer in self:
            x = layer(x, emb, cond) if isinstance(layer, ResBlock) else layer(x)
        return x
