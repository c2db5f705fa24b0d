"""Latent DDIM network: MLP + skip connections (Diff-AE §3.3, Appendix A.1, Table 6, Fig. 8)."""

from __future__ import annotations

import torch
from torch import nn

from diffae.nets.layers import timestep_embedding

__all__ = ["LatentMLP", "LatentMLPLayer"]


class LatentMLPLayer(nn.Module):
    """One MLP layer: Linear -> scale by ``(condition_bias + Linear(SiLU(t_emb)))`` -> LayerNorm -> SiLU.

    The last layer of :class:`LatentMLP` has no conditioning, norm or activation.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        cond_features: int | None,
        norm: bool = True,
        act: bool = True,
        condition_bias: float = 1.0,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.condition_bias = condition_bias
        self.linear = nn.Linear(in_features, out_features)
        self.cond_layers = (
            nn.Sequential(nn.SiLU(), nn.Linear(cond_features, out_features))
            if cond_features is not None
            else None
        )
        self.norm = nn.LayerNorm(out_features) if norm else nn.Identity()
        self.act = nn.SiLU() if act else nn.Identity()
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        if act:  # official init for SiLU layers: Kaiming normal (ReLU gain)
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.kaiming_normal_(m.weight, a=0, nonlinearity="relu")

    def forward(self, x: torch.Tensor, t_emb: torch.Tensor | None = None) -> torch.Tensor:
        x = self.linear(x)
        if self.cond_layers is not None:
            x = x * (self.condition_bias + self.cond_layers(t_emb))
        return self.dropout(self.act(self.norm(x)))


class LatentMLP(nn.Module):
    """Latent DDIM eps-predictor ``eps(z_t, t)`` (Diff-AE Appendix A.1, Table 6: 10-20 layers, 2048 hidden).

    ``time_embed`` (Linear-SiLU-Linear on psi(t)) gives a z_dim embedding that
    scales the hidden units of every layer but the last; every layer after the
    first sees ``[h, z_t]`` (skip connection from the input, Fig. 8). Module names
    follow the official release (its ``linear_emb`` alias aside).

    ``forward(x, t, cond=None)`` has the UNet's calling convention; ``cond`` must be None.
    """

    def __init__(
        self,
        z_dim: int = 512,
        hidden: int = 2048,
        num_layers: int = 10,
        time_embed_channels: int = 64,
        use_norm: bool = True,
        condition_bias: float = 1.0,
        dropout: float = 0.0,
        skip: bool = True,
    ):
        super().__init__()
        if num_layers < 2:
            raise ValueError(f"LatentMLP: num_layers must be >= 2, got {num_layers}")
        self.z_dim = z_dim
        self.skip = skip
        self.time_embed_channels = time_embed_channels
        self.time_embed = nn.Sequential(
            nn.Linear(time_embed_channels, z_dim), nn.SiLU(), nn.Linear(z_dim, z_dim)
        )
        self.layers = nn.ModuleList()
        for i in range(num_layers):
            last = i == num_layers - 1
            fan_in = z_dim if i == 0 else hidden + (z_dim if skip else 0)
            self.layers.append(
                LatentMLPLayer(
                    fan_in,
                    z_dim if last else hidden,
                    None if last else z_dim,
                    norm=use_norm and not last,
                    act=not last,
                    condition_bias=condition_bias,
                    dropout=0.0 if last else dropout,
                )
            )

    def forward(
        self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Noisy latents ``x`` (N, z_dim), timesteps ``t`` (N,) -> predicted eps (N, z_dim)."""
        if cond is not None:
            raise ValueError("LatentMLP: unconditional latent DDIM takes no cond (got a tensor)")
        if x.ndim != 2 or x.shape[1] != self.z_dim:
            raise ValueError(f"LatentMLP: expected x of shape (N, {self.z_dim}), got {tuple(x.shape)}")
        t_emb = self.time_embed(timestep_embedding(t, self.time_embed_channels))
        h = x
        for i, layer in enumerate(self.layers):
            if i and self.skip:
                h = torch.cat([h, x], dim=1)
            h = layer(h, t_emb)
        return h
