"""Pixel-space baselines of DiffuseGAE Table 1/2: GZS-Net and AE + DS.

GZS-Net (Ge et al., ICLR 2021, §3-4) is a convolutional autoencoder whose
latent (100-d for iLab-20M) is partitioned among attributes like the GAE's
``z_dis``; it is trained with the group losses in
:mod:`diffae.train.group_losses`. AE + DS (DiffuseGAE Table 1 caption) is "the
same autoencoder as GZS-Net" with each latent part directly supervised by its
attribute label through a linear classifier (:class:`AttributeHeads`).

Architecture (facts from the authors' code; sizes are arguments):
conv7 stem -> stride-2 conv4 downsampling until ``bottom_size`` (channels double
on the first two steps, then stay) -> residual blocks -> fc(hidden) -> latent,
mirrored in the decoder with transposed convs, a conv7 head and ``tanh``
(images in [-1, 1]). Normalisation is affine InstanceNorm; unlike the authors'
code it keeps no running statistics, so train and eval modes compute the same
function.
"""

from __future__ import annotations

from typing import Sequence

from torch import Tensor, nn

from diffae.nets.partition import Partition

__all__ = ["GroupAutoencoder", "AttributeHeads"]


def _norm(ch: int) -> nn.Module:
    return nn.InstanceNorm2d(ch, affine=True)


class _ResBlock(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(ch, ch, 3, padding=1, bias=False), _norm(ch), nn.ReLU(),
            nn.Conv2d(ch, ch, 3, padding=1, bias=False), _norm(ch),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class GroupAutoencoder(nn.Module):
    """GZS-Net autoencoder ``x (B, C, S, S) -> z (B, latent_dim) -> x_hat``.

    Args:
        image_size: input side ``S``; must be ``bottom_size * 2**k`` (32..128 in
            this project: 2..4 downsamplings at the default ``bottom_size=8``).
        in_channels: image channels.
        base_channels: stem width (authors: 64); max width is ``4 * base``.
        latent_dim: latent size (GZS-Net and DiffuseGAE §4: 100).
        fc_hidden: width of the fully connected layers around the latent
            (authors: 4096).
        n_res: residual blocks in each of encoder and decoder (authors: 1).
        bottom_size: spatial side of the lowest feature map (authors: 8).
    """

    def __init__(
        self,
        image_size: int = 128,
        in_channels: int = 3,
        base_channels: int = 64,
        latent_dim: int = 100,
        fc_hidden: int = 4096,
        n_res: int = 1,
        bottom_size: int = 8,
    ) -> None:
        super().__init__()
        for key, val in (("image_size", image_size), ("in_channels", in_channels),
                         ("base_channels", base_channels), ("latent_dim", latent_dim),
                         ("fc_hidden", fc_hidden), ("bottom_size", bottom_size)):
            if isinstance(val, bool) or not isinstance(val, int) or val < 1:
                raise ValueError(f"GroupAutoencoder: {key}={val!r}; expected a positive int")
        if not isinstance(n_res, int) or n_res < 0:
            raise ValueError(f"GroupAutoencoder: n_res={n_res!r}; expected an int >= 0")
        ratio = image_size // bottom_size
        if image_size % bottom_size or ratio & (ratio - 1):
            raise ValueError(
                f"GroupAutoencoder: image_size={image_size} must be bottom_size={bottom_size} "
                "times a power of two"
            )
        n_down = ratio.bit_length() - 1
        chans = [base_channels * 2 ** min(i, 2) for i in range(n_down + 1)]
        self.image_size, self.in_channels, self.latent_dim = image_size, in_channels, latent_dim
        self._bottom = (chans[-1], bottom_size, bottom_size)
        flat = chans[-1] * bottom_size * bottom_size

        enc: list[nn.Module] = [
            nn.Conv2d(in_channels, chans[0], 7, padding=3, bias=False), _norm(chans[0]), nn.ReLU(),
        ]
        for a, b in zip(chans[:-1], chans[1:]):
            enc += [nn.Conv2d(a, b, 4, stride=2, padding=1, bias=False), _norm(b), nn.ReLU()]
        enc += [_ResBlock(chans[-1]) for _ in range(n_res)]
        self.conv_encoder = nn.Sequential(*enc)
        self.fc_encoder = nn.Sequential(
            nn.Flatten(), nn.Linear(flat, fc_hidden), nn.ReLU(), nn.Linear(fc_hidden, latent_dim)
        )

        self.fc_decoder = nn.Sequential(
            nn.Linear(latent_dim, fc_hidden), nn.ReLU(), nn.Linear(fc_hidden, flat)
        )
        dec: list[nn.Module] = [_ResBlock(chans[-1]) for _ in range(n_res)]
        for a, b in zip(chans[:0:-1], chans[-2::-1]):
            dec += [nn.ConvTranspose2d(a, b, 4, stride=2, padding=1, bias=False), _norm(b), nn.ReLU()]
        dec += [nn.Conv2d(chans[0], in_channels, 7, padding=3, bias=False), nn.Tanh()]
        self.conv_decoder = nn.Sequential(*dec)

    def encode(self, x: Tensor) -> Tensor:
        """``E``: images ``(B, C, S, S)`` in [-1, 1] -> latent ``(B, latent_dim)``."""
        expected = (self.in_channels, self.image_size, self.image_size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"GroupAutoencoder.encode: input {tuple(x.shape)}; expected (B, *{expected})")
        return self.fc_encoder(self.conv_encoder(x))

    def decode(self, z: Tensor) -> Tensor:
        """``D``: latent ``(B, latent_dim)`` -> images ``(B, C, S, S)`` in [-1, 1]."""
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"GroupAutoencoder.decode: input {tuple(z.shape)}; expected (B, {self.latent_dim})")
        h = self.fc_decoder(z).view(z.shape[0], *self._bottom)
        return self.conv_decoder(h)

    def stages(self) -> list[nn.Module]:
        """The submodules ``encode`` and ``decode`` run, in order."""
        return [self.conv_encoder, self.fc_encoder, self.fc_decoder, self.conv_decoder]

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Returns ``(z, x_hat)`` (same order as :class:`diffae.nets.gae.GAE`)."""
        z = self.encode(x)
        return z, self.decode(z)


class AttributeHeads(nn.Module):
    """One linear classifier per latent part (AE + DS, DiffuseGAE Table 1 caption).

    Head ``k`` sees only ``z[:, partition.slice(k)]`` and predicts attribute
    ``k`` among ``num_classes[k]`` values.
    """

    def __init__(self, partition: Partition, num_classes: Sequence[int]) -> None:
        super().__init__()
        num_classes = tuple(num_classes)
        if len(num_classes) != partition.num_parts:
            raise ValueError(
                f"AttributeHeads: {len(num_classes)} class counts {num_classes} for "
                f"{partition.num_parts} parts {partition.names}"
            )
        for name, n in zip(partition.names, num_classes):
            if isinstance(n, bool) or not isinstance(n, int) or n < 2:
                raise ValueError(f"AttributeHeads: num_classes for {name!r} is {n!r}; expected an int >= 2")
        self.partition = partition
        self.num_classes = num_classes
        self.heads = nn.ModuleList(nn.Linear(s, n) for s, n in zip(partition.sizes, num_classes))

    def forward(self, z: Tensor) -> list[Tensor]:
        """Logits per attribute: list of ``(B, num_classes[k])``."""
        return [head(part) for head, part in zip(self.heads, self.partition.split(z))]
