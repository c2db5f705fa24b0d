"""Diff-AE conditional DDIM decoder: ADM UNet with AdaGN (Diff-AE §3.1, Appendix A, Table 5).

``UNet(cond_dim=None)`` is the unconditional DDIM baseline; with ``cond_dim`` every
ResBlock is modulated by z_sem (Diff-AE Eq. (7)), plus a shift with
``z_shift=True`` (DiffuseGAE Eq. (8)). :class:`DiffusionAutoencoder` pairs it with a
semantic encoder.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from diffae.nets.layers import (
    AttentionBlock,
    Downsample,
    ResBlock,
    TimestepSequential,
    Upsample,
    normalization,
    timestep_embedding,
    zero_module,
)

__all__ = ["DiffusionAutoencoder", "UNet"]


class UNet(nn.Module):
    """ADM/BeatGANs UNet predicting eps, conditioned on t and optionally z_sem by AdaGN.

    Layout (official Diff-AE names, so its weights map 1:1): ``time_embed``
    (Linear-SiLU-Linear on psi(t)), ``input_blocks`` (stem conv, then per level
    ``num_res_blocks`` ResBlocks [+ attention] and a down block), ``middle_block``
    (ResBlock, attention, ResBlock), ``output_blocks`` (per level
    ``num_res_blocks + 1`` ResBlocks on [h, skip] [+ attention] [+ up block]) and
    ``out`` (GN-SiLU-zero conv).

    Args:
        in_channels: image channels (also the eps output channels).
        base_channels: channels at multiplier 1 (Table 5 "Base channels").
        channel_mult: per-level multipliers (Table 5 "Channel multipliers").
        num_res_blocks: ResBlocks per level on the encoding side.
        attn_resolutions: feature-map sizes with self-attention (Table 5: (16,)).
        image_size: input height = width (must be divisible by 2^(levels-1)).
        dropout: ResBlock dropout.
        num_heads / num_head_channels: attention heads (``num_head_channels > 0`` wins).
        cond_dim: z_sem width; ``None`` = unconditional DDIM baseline.
        embed_channels: width of the time embedding MLP output.
        time_embed_channels: width of psi(t); default ``base_channels`` (official).
        z_shift: DiffuseGAE Eq. (8) ``+ z_b``.
        cond_act: SiLU before the per-block z affine (official: True; Diff-AE Eq. (7): False).
        resblock_updown: resample with ResBlocks (official) instead of plain
            conv resamplers.
        scale_bias: constant added to AdaGN scales (official parameterisation: 1).
    """

    def __init__(
        self,
        in_channels: int = 3,
        base_channels: int = 64,
        channel_mult: Sequence[int] = (1, 2, 4, 8),
        num_res_blocks: int = 2,
        attn_resolutions: Sequence[int] = (16,),
        image_size: int = 64,
        dropout: float = 0.1,
        num_heads: int = 1,
        num_head_channels: int = -1,
        cond_dim: int | None = 512,
        embed_channels: int = 512,
        time_embed_channels: int | None = None,
        z_shift: bool = False,
        cond_act: bool = False,
        resblock_updown: bool = True,
        scale_bias: float = 1.0,
    ):
        super().__init__()
        levels = len(channel_mult)
        if levels < 1 or image_size % (2 ** (levels - 1)):
            raise ValueError(
                f"UNet: image_size {image_size} not divisible by 2^(len(channel_mult)-1) "
                f"for channel_mult {tuple(channel_mult)}"
            )
        if z_shift and cond_dim is None:
            raise ValueError("UNet: z_shift=True needs cond_dim (z_sem width)")
        self.in_channels = in_channels
        self.image_size = image_size
        self.cond_dim = cond_dim
        self.time_embed_channels = time_embed_channels or base_channels
        self.time_embed = nn.Sequential(
            nn.Linear(self.time_embed_channels, embed_channels),
            nn.SiLU(),
            nn.Linear(embed_channels, embed_channels),
        )

        def res(ch_in: int, ch_out: int, **kw) -> ResBlock:
            return ResBlock(
                ch_in, ch_out, embed_channels, dropout, cond_dim, z_shift, cond_act,
                scale_bias=scale_bias, **kw,
            )

        def attn(ch: int) -> AttentionBlock:
            return AttentionBlock(ch, num_heads, num_head_channels)

        ch = int(channel_mult[0] * base_channels)
        self.input_blocks = nn.ModuleList(
            [TimestepSequential(nn.Conv2d(in_channels, ch, 3, padding=1))]
        )
        skip_chans = [ch]
        res_ = image_size
        for level, mult in enumerate(channel_mult):
            for _ in range(num_res_blocks):
                out_ch = int(mult * base_channels)
                layers: list[nn.Module] = [res(ch, out_ch)]
                ch = out_ch
                if res_ in attn_resolutions:
                    layers.append(attn(ch))
                self.input_blocks.append(TimestepSequential(*layers))
                skip_chans.append(ch)
            if level != levels - 1:
                down = res(ch, ch, down=True) if resblock_updown else Downsample(ch, use_conv=True)
                self.input_blocks.append(TimestepSequential(down))
                skip_chans.append(ch)
                res_ //= 2

        self.middle_block = TimestepSequential(res(ch, ch), attn(ch), res(ch, ch))

        self.output_blocks = nn.ModuleList()
        for level, mult in reversed(list(enumerate(channel_mult))):
            for i in range(num_res_blocks + 1):
                out_ch = int(mult * base_channels)
                layers = [res(ch + skip_chans.pop(), out_ch)]
                ch = out_ch
                if res_ in attn_resolutions:
                    layers.append(attn(ch))
                if level and i == num_res_blocks:
                    layers.append(res(ch, ch, up=True) if resblock_updown else Upsample(ch, use_conv=True))
                    res_ *= 2
                self.output_blocks.append(TimestepSequential(*layers))

        self.out = nn.Sequential(
            normalization(ch), nn.SiLU(), zero_module(nn.Conv2d(ch, in_channels, 3, padding=1))
        )

    def forward(
        self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Predict eps for noisy images ``x`` (N, C, H, W) at timesteps ``t`` (N,), given z_sem ``cond`` (N, D)."""
        if self.cond_dim is None and cond is not None:
            raise ValueError("UNet: unconditional model (cond_dim=None) got a cond tensor")
        if self.cond_dim is not None and (cond is None or cond.shape[-1] != self.cond_dim):
            got = None if cond is None else tuple(cond.shape)
            raise ValueError(f"UNet: expected cond of shape (N, {self.cond_dim}), got {got}")
        emb = self.time_embed(timestep_embedding(t, self.time_embed_channels))
        hs = []
        h = x
        for block in self.input_blocks:
            h = block(h, emb, cond)
            hs.append(h)
        h = self.middle_block(h, emb, cond)
        for block in self.output_blocks:
            h = block(torch.cat([h, hs.pop()], dim=1), emb, cond)
        return self.out(h)


class DiffusionAutoencoder(nn.Module):
    """Semantic encoder + conditional DDIM decoder (Diff-AE §3, Fig. 2).

    ``forward(x_t, t, x_start=None, cond=None)``: eps prediction conditioned on
    ``cond`` or, if absent, on ``encoder(x_start)``; gradients reach the encoder.
    """

    def __init__(self, encoder: nn.Module, decoder: UNet):
        super().__init__()
        if decoder.cond_dim is None:
            raise ValueError("DiffusionAutoencoder: decoder must be conditional (cond_dim set)")
        self.encoder = encoder
        self.decoder = decoder

    def encode(self, x0: torch.Tensor) -> torch.Tensor:
        """z_sem = Enc(x0), shape (N, z_dim) (Diff-AE §3.2)."""
        return self.encoder(x0)

    def forward(
        self,
        x: torch.Tensor,
        t: torch.Tensor,
        x_start: torch.Tensor | None = None,
        cond: torch.Tensor | None = None,
    ) -> torch.Tensor:
        if cond is None:
            if x_start is None:
                raise ValueError("DiffusionAutoencoder: give x_start (to encode) or cond (z_sem)")
            cond = self.encode(x_start)
        return self.decoder(x, t, cond)
