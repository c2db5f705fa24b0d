"""PDAE shift decoder g_phi over a frozen DM (DiffSiam thesis §3.2, Eq. 3.11; PDAE, Zhang et al. 2022; spec §2.3).

One module holds the frozen unconditional UNet ``dm`` (the pre-trained DM u_theta) and the trainable branch:
``label_emb`` (Linear d -> time-embedding width, e_z), a copy of the middle block and of every output block whose
ResBlocks take a second AdaGN from e_z, h <- (1 + z_scale) (GN(h) (1 + t_scale) + t_shift) + z_shift with
(z_scale, z_shift) = Linear(SiLU(e_z)), and ``shift_out`` (GN -> SiLU -> zero-initialised conv3x3). The branch
reuses the DM's time embedding and down-path features (its skips and the down path's output), so g sees x_t
through the frozen encoder. A fresh module therefore predicts a zero shift: x0_hat = u_theta exactly.

``forward(x_t, t, z) -> (eps_theta, G)``; the frozen path runs without autograd and stays in eval mode.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from diffae.nets.layers import timestep_embedding
from diffae.nets.unet import UNet

__all__ = ["PDAEShift"]


class PDAEShift(nn.Module):
    """Frozen DM (``UNet(cond_dim=None)`` with the given architecture) plus a z-conditioned shift branch."""

    def __init__(
        self,
        z_dim: int,
        image_size: int,
        in_channels: int = 3,
        base_channels: int = 64,
        channel_mult: Sequence[int] = (1, 2, 4, 8),
        num_res_blocks: int = 2,
        attn_resolutions: Sequence[int] = (16,),
        dropout: float = 0.1,
        num_heads: int = 1,
        num_head_channels: int = -1,
        embed_channels: int = 512,
        time_embed_channels: int | None = None,
        resblock_updown: bool = True,
        scale_bias: float = 1.0,
        **_unused_cond_options,
    ):
        super().__init__()
        arch = dict(in_channels=in_channels, base_channels=base_channels, channel_mult=tuple(channel_mult),
                    num_res_blocks=num_res_blocks, attn_resolutions=tuple(attn_resolutions), image_size=image_size,
                    dropout=dropout, num_heads=num_heads, num_head_channels=num_head_channels,
                    embed_channels=embed_channels, time_embed_channels=time_embed_channels,
                    resblock_updown=resblock_updown, scale_bias=scale_bias)
        self.z_dim = z_dim
        self.dm = UNet(cond_dim=None, **arch)
        self.dm.requires_grad_(False)
        branch = UNet(cond_dim=embed_channels, z_shift=True, cond_act=True, **arch)
        self.label_emb = nn.Linear(z_dim, embed_channels)
        self.shift_middle = branch.middle_block
        self.shift_output = branch.output_blocks
        self.shift_out = branch.out  # GN - SiLU - zero conv

    def train(self, mode: bool = True) -> PDAEShift:
        super().train(mode)
        self.dm.eval()  # frozen: no dropout, whatever the branch does
        return self

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for name, p in self.named_parameters() if not name.startswith("dm.")]

    def forward(self, x: torch.Tensor, t: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"PDAEShift: expected z of shape (N, {self.z_dim}), got {tuple(z.shape)}")
        dm = self.dm
        with torch.no_grad():
            emb = dm.time_embed(timestep_embedding(t, dm.time_embed_channels))
            hs, h = [], x
            for block in dm.input_blocks:
                h = block(h, emb)
                hs.append(h)
            down = h
            h = dm.middle_block(down, emb)
            for block, skip in zip(dm.output_blocks, reversed(hs)):
                h = block(torch.cat([h, skip], dim=1), emb)
            eps = dm.out(h)
        e_z = self.label_emb(z)
        h = self.shift_middle(down, emb, e_z)
        for block, skip in zip(self.shift_output, reversed(hs)):
            h = block(torch.cat([h, skip], dim=1), emb, e_z)
        return eps, self.shift_out(h)
