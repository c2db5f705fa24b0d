"""Group-supervised AutoEncoder (GAE) on semantic codes, DiffuseGAE §3.4, Fig. 1b.

The GAE maps ``z_sem`` (512-d, Diff-AE's semantic code) to a partitioned
``z_dis`` (100-d) and back. Per the paper, encoder and decoder each have four
MLP blocks and two bottleneck blocks with skip connections, LayerNorm or
GroupNorm "depending on properties of their input", SiLU everywhere, and the
LAST block must be a skip block (otherwise training is unstable).

Choices the paper leaves open (documented here, all arguments):

* Block order: the ``n_mlp`` MLP blocks come first and change the width
  ``in -> hidden -> ... -> hidden -> out``; the ``n_bottleneck`` bottleneck
  blocks follow at the output width. The last block is therefore a residual
  bottleneck block, i.e. a skip block as the paper requires.
* Blocks are pre-activation (``Norm -> SiLU -> Linear``) so the norm acts on the
  block's *input*, matching the paper's wording; the outputs (``z_dis`` and
  ``z_hat``) are unnormalised linear outputs.
* MLP block skip: identity when widths match, otherwise a bias-free linear
  projection ("MLP + skip connection", §3.4).
* Bottleneck block: ``x + W_up(SiLU(Norm(W_down(SiLU(Norm(x))))))`` with inner
  width ``max(1, round(width * bottleneck_ratio))`` (default ratio 1/4, as in
  ResNet bottlenecks).
* Hidden width default 1024 (2x z_sem).
* ``norm``: one of ``"layer"``/``"group"`` for every block, or a pair
  ``(encoder_norm, decoder_norm)``. GroupNorm uses the largest group count
  ``<= groups`` dividing the normalised width with >= 8 features per group
  (e.g. 512 -> 32 groups, 100 -> 10, 25 -> 1).
"""

from __future__ import annotations

from typing import Sequence

from torch import Tensor, nn

__all__ = ["GAE", "MLPSkipBlock", "BottleneckBlock", "make_norm"]

_NORMS = ("layer", "group")


def make_norm(kind: str, width: int, groups: int = 32, min_group_size: int = 8) -> nn.Module:
    """LayerNorm or GroupNorm over a ``(B, width)`` feature vector.

    GroupNorm takes the largest group count ``<= groups`` that divides ``width``
    and leaves at least ``min_group_size`` features per group (a group of one
    feature would normalise it to a constant); 1 group if none does.
    """
    if kind == "layer":
        return nn.LayerNorm(width)
    if kind == "group":
        fits = [d for d in range(1, min(groups, width) + 1)
                if width % d == 0 and width // d >= min_group_size]
        return nn.GroupNorm(max(fits, default=1), width)
    raise ValueError(f"norm {kind!r} unknown; expected one of {_NORMS}")


class MLPSkipBlock(nn.Module):
    """Pre-activation MLP block with a skip connection (DiffuseGAE Fig. 1b)."""

    def __init__(self, in_dim: int, out_dim: int, norm: str, groups: int = 32) -> None:
        super().__init__()
        self.norm = make_norm(norm, in_dim, groups)
        self.act = nn.SiLU()
        self.linear = nn.Linear(in_dim, out_dim)
        self.skip = nn.Identity() if in_dim == out_dim else nn.Linear(in_dim, out_dim, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.skip(x) + self.linear(self.act(self.norm(x)))


class BottleneckBlock(nn.Module):
    """Residual bottleneck block ``width -> inner -> width`` (DiffuseGAE Fig. 1b)."""

    def __init__(self, width: int, inner: int, norm: str, groups: int = 32) -> None:
        super().__init__()
        self.branch = nn.Sequential(
            make_norm(norm, width, groups),
            nn.SiLU(),
            nn.Linear(width, inner),
            make_norm(norm, inner, groups),
            nn.SiLU(),
            nn.Linear(inner, width),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.branch(x)


def _stack(
    in_dim: int, out_dim: int, hidden: int, n_mlp: int, n_bottleneck: int,
    ratio: float, norm: str, groups: int,
) -> nn.Sequential:
    widths = [in_dim] + [hidden] * (n_mlp - 1) + [out_dim]
    blocks: list[nn.Module] = [
        MLPSkipBlock(a, b, norm, groups) for a, b in zip(widths[:-1], widths[1:])
    ]
    inner = max(1, round(out_dim * ratio))
    blocks += [BottleneckBlock(out_dim, inner, norm, groups) for _ in range(n_bottleneck)]
    return nn.Sequential(*blocks)


class GAE(nn.Module):
    """Latent autoencoder ``z_sem -> z_dis -> z_hat`` (DiffuseGAE §3.4, Fig. 1b).

    Args:
        z_dim: size of ``z_sem`` (paper: 512).
        dis_dim: size of ``z_dis`` (paper: 100); its attribute partition lives
            in :class:`diffae.nets.partition.Partition`, not here.
        hidden: width of the inner MLP blocks.
        n_mlp: MLP blocks per half (paper: 4).
        n_bottleneck: bottleneck blocks per half (paper: 2; must be >= 1 so the
            last block is a skip block).
        norm: ``"layer"``, ``"group"`` or ``(encoder_norm, decoder_norm)``.
        bottleneck_ratio: inner width of a bottleneck block / its width.
        groups: maximum group count for GroupNorm.
    """

    def __init__(
        self,
        z_dim: int = 512,
        dis_dim: int = 100,
        hidden: int = 1024,
        n_mlp: int = 4,
        n_bottleneck: int = 2,
        norm: str | Sequence[str] = "layer",
        bottleneck_ratio: float = 0.25,
        groups: int = 32,
    ) -> None:
        super().__init__()
        for key, val in (("z_dim", z_dim), ("dis_dim", dis_dim), ("hidden", hidden),
                         ("n_mlp", n_mlp), ("n_bottleneck", n_bottleneck), ("groups", groups)):
            if isinstance(val, bool) or not isinstance(val, int) or val < 1:
                raise ValueError(f"GAE: {key}={val!r}; expected a positive int")
        if not 0.0 < bottleneck_ratio <= 1.0:
            raise ValueError(f"GAE: bottleneck_ratio={bottleneck_ratio!r}; expected in (0, 1]")
        if isinstance(norm, str):
            enc_norm = dec_norm = norm
        else:
            norms = tuple(norm)
            if len(norms) != 2:
                raise ValueError(f"GAE: norm={norm!r}; expected a string or (encoder, decoder) pair")
            enc_norm, dec_norm = norms
        for n in (enc_norm, dec_norm):
            if n not in _NORMS:
                raise ValueError(f"GAE: norm {n!r} unknown; expected one of {_NORMS}")
        self.z_dim, self.dis_dim = z_dim, dis_dim
        self.encoder = _stack(z_dim, dis_dim, hidden, n_mlp, n_bottleneck,
                              bottleneck_ratio, enc_norm, groups)
        self.decoder = _stack(dis_dim, z_dim, hidden, n_mlp, n_bottleneck,
                              bottleneck_ratio, dec_norm, groups)

    def encode(self, z_sem: Tensor) -> Tensor:
        """``E``: ``(B, z_dim) -> z_dis (B, dis_dim)``."""
        if z_sem.dim() != 2 or z_sem.shape[1] != self.z_dim:
            raise ValueError(f"GAE.encode: input {tuple(z_sem.shape)}; expected (B, {self.z_dim})")
        return self.encoder(z_sem)

    def decode(self, z_dis: Tensor) -> Tensor:
        """``D``: ``(B, dis_dim) -> z_hat (B, z_dim)``."""
        if z_dis.dim() != 2 or z_dis.shape[1] != self.dis_dim:
            raise ValueError(f"GAE.decode: input {tuple(z_dis.shape)}; expected (B, {self.dis_dim})")
        return self.decoder(z_dis)

    def forward(self, z_sem: Tensor) -> tuple[Tensor, Tensor]:
        """Returns ``(z_dis, z_hat)``."""
        z_dis = self.encode(z_sem)
        return z_dis, self.decode(z_dis)
