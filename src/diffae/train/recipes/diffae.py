"""Diff-AE stage: semantic encoder + conditional DDIM trained end to end on L_simple (Diff-AE §3, Eq. 6)."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.utils.data import TensorDataset

from diffae.config import DiffusionConfig, EncoderConfig, TrainConfig, UNetConfig
from diffae.data.splits import split_images
from diffae.diffusion import GaussianDiffusion
from diffae.nets import registry
from diffae.train.recipes._loop import run_loop, section_kwargs
from diffae.train.recipes.common import image_diffusion, images_from_batch


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


def run(*, prepared: str, split_csv: str, out_dir: str, unet_cfg: UNetConfig, enc_cfg: EncoderConfig,
        diff_cfg: DiffusionConfig, train_cfg: TrainConfig, seed: int, device: str,
        on_mismatch: str) -> Path:
    """Train Diff-AE on the train split of `prepared`; writes `<out_dir>/final.pt` with the nets' specs."""
    images, _ = split_images(prepared, split_csv, "train")
    size = images.shape[-1]
    specs = {"encoder": registry.encoder_spec(section_kwargs(enc_cfg), image_size=size),
             "unet": registry.unet_spec(section_kwargs(unet_cfg), image_size=size, cond_dim=enc_cfg.z_dim)}
    torch.manual_seed(seed)
    nets = {k: registry.build(v) for k, v in specs.items()}
    diffusion, dmeta = image_diffusion(diff_cfg)
    recipe = DiffAERecipe(nets["encoder"], nets["unet"], diffusion)
    meta = {"kind": "diffae", "nets": specs, "diffusion": dmeta, "image_size": size}
    return run_loop(recipe, TensorDataset(images), train_cfg, out_dir, seed=seed, device=device, meta=meta,
                    on_mismatch=on_mismatch)
