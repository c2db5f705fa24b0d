"""Training recipes: what is trained and with which loss. The loop (diffae.train.loop) owns the rest."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from diffae.diffusion import GaussianDiffusion


def images_from_batch(batch) -> Tensor:
    """uint8 NCHW batch (first tensor of a TensorDataset batch) -> float in [-1, 1]."""
    x = batch[0] if isinstance(batch, (list, tuple)) else batch  # noqa: SIM108
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


def _split_group(x: Tensor) -> tuple[Tensor, Tensor]:
    """(B, 1 + m, ...) group batch -> centre (B, ...), partners (B, m, ...)."""
    return x[:, 0], x[:, 1:]


class GAERecipe:
    """GAE on GROUP latent sets of z-normalised z_sem: L_dis = L_r + λ_ss L_ss + λ_ur L_ur (DiffuseGAE Eq. 10-11)."""

    def __init__(self, gae: nn.Module, partition, lambda_ss: float, lambda_ur: float):
        self.gae, self.partition, self.lambda_ss, self.lambda_ur = gae, partition, lambda_ss, lambda_ur

    def modules(self) -> dict[str, nn.Module]:
        return {"gae": self.gae}

    def loss(self, batch, step: int):
        from diffae.train.group_losses import dis_loss

        center, partners = _split_group(batch[0])
        total, terms = dis_loss(self.gae, center, partners, self.partition, lambda_ss=self.lambda_ss,
                                lambda_ur=self.lambda_ur)
        return total, terms


class FinetuneRecipe:
    """Joint fine-tuning L = L_simple + γ L_dis (DiffuseGAE Eq. 12): encoder, GAE and conditional DDIM end to end,
    the decoder conditioned on the GAE-reconstructed z_sem."""

    def __init__(self, encoder: nn.Module, gae: nn.Module, unet: nn.Module, diffusion: GaussianDiffusion, partition,
                 mean: Tensor, std: Tensor, gamma: float, lambda_ss: float, lambda_ur: float):
        self.encoder, self.gae, self.unet, self.diffusion = encoder, gae, unet, diffusion
        self.partition, self.gamma, self.lambda_ss, self.lambda_ur = partition, gamma, lambda_ss, lambda_ur
        self.mean, self.std = mean, std

    def modules(self) -> dict[str, nn.Module]:
        return {"encoder": self.encoder, "gae": self.gae, "unet": self.unet}

    def loss(self, batch, step: int):
        from diffae.train.group_losses import dis_loss

        x = images_from_batch(batch)                       # (B, 1 + m, C, H, W)
        b, k = x.shape[:2]
        flat = x.flatten(0, 1)
        mean, std = self.mean.to(flat.device), self.std.to(flat.device)
        zn = (self.encoder(flat) - mean) / std
        groups = zn.view(b, k, -1)
        l_dis, terms = dis_loss(self.gae, groups[:, 0], groups[:, 1:], self.partition,
                                lambda_ss=self.lambda_ss, lambda_ur=self.lambda_ur)
        z_hat = self.gae.decode(self.gae.encode(zn)) * std + mean
        l_simple = self.diffusion.training_loss(self.unet, flat, cond=z_hat, loss_type="mse").mean()
        total = l_simple + self.gamma * l_dis
        return total, {"l_simple": l_simple.detach(), "l_dis": l_dis.detach(), **terms}


class GZSNetRecipe:
    """GZS-Net baseline: pixel autoencoder with reconstruction, swap and cycle losses (L1)."""

    def __init__(self, ae: nn.Module, partition, w_recon: float, w_swap: float, w_cycle: float):
        self.ae, self.partition, self.w = ae, partition, (w_recon, w_swap, w_cycle)

    def modules(self) -> dict[str, nn.Module]:
        return {"ae": self.ae}

    def loss(self, batch, step: int):
        from diffae.train.group_losses import gzs_losses

        center, partners = _split_group(images_from_batch(batch))
        return gzs_losses(self.ae, center, partners, self.partition, w_recon=self.w[0], w_swap=self.w[1],
                          w_cycle=self.w[2])


class AEDSRecipe:
    """AE + DS baseline: the GZS-Net autoencoder, each latent part directly supervised by its attribute label
    (DiffuseGAE Table 1 caption)."""

    def __init__(self, ae: nn.Module, heads: nn.Module, w_recon: float, w_cls: float):
        self.ae, self.heads, self.w_recon, self.w_cls = ae, heads, w_recon, w_cls

    def modules(self) -> dict[str, nn.Module]:
        return {"ae": self.ae, "heads": self.heads}

    def loss(self, batch, step: int):
        from diffae.train.group_losses import aeds_losses

        images, labels = batch
        return aeds_losses(self.ae, self.heads, images_from_batch(images), labels, w_recon=self.w_recon,
                           w_cls=self.w_cls)
