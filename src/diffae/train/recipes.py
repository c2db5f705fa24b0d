"""Training recipes: what is trained and with which loss. The loop (diffae.train.loop) owns the rest."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from diffae.diffusion import GaussianDiffusion


def images_from_batch(batch) -> Tensor:
    """uint8 NCHW batch (first tensor of a TensorDataset batch) -> float in [-1, 1]."""
    x = batch[0] if isinstance(batch, (list, tuple)) else batch
    return x.float() / 127.5 - 1.0 if x.dtype == torch.uint8 else x


class DiffAERecipe:
    """Diff-AE: semantic encoder + conditional DDIM trained end to end on L_simple (Diff-AE Eq. 6)."""

    def __init__(self, encoder: nn.Module, unet: nn.Module, diffusion: GaussianDiffusion):
        self.encoder, self.unet, self.diffusion = encoder, unet, diffusion

    def modules(self) -> dict[str, nn.Module]:
        return {"encoder": self.encoder, "unet": self.unet}

    def loss(self, batch, step: int):
        x0 = images_from_batch(batch)
        z = self.encoder(x0)
        loss = self.diffusion.training_loss(self.unet, x0, cond=z, loss_type="mse").mean()
        return loss, {"l_simple": loss.detach()}


class DDIMRecipe:
    """DDIM baseline: the same UNet without z, L_simple (DDPM/DDIM; Diff-AE Table 1-2 baseline)."""

    def __init__(self, unet: nn.Module, diffusion: GaussianDiffusion):
        self.unet, self.diffusion = unet, diffusion

    def modules(self) -> dict[str, nn.Module]:
        return {"unet": self.unet}

    def loss(self, batch, step: int):
        x0 = images_from_batch(batch)
        loss = self.diffusion.training_loss(self.unet, x0, cond=None, loss_type="mse").mean()
        return loss, {"l_simple": loss.detach()}


class LatentDDIMRecipe:
    """Latent DDIM on z-normalised z_sem: L1 on eps (Diff-AE Eq. 9, Appendix A.1 Table 6)."""

    def __init__(self, net: nn.Module, diffusion: GaussianDiffusion):
        self.net, self.diffusion = net, diffusion

    def modules(self) -> dict[str, nn.Module]:
        return {"latent": self.net}

    def loss(self, batch, step: int):
        z = batch[0] if isinstance(batch, (list, tuple)) else batch
        loss = self.diffusion.training_loss(self.net, z, cond=None, loss_type="l1").mean()
        return loss, {"l1_eps": loss.detach()}
