"""DDIM baseline stage: the Diff-AE UNet without z, trained on L_simple (DDPM/DDIM; Diff-AE Tables 1-2 baseline,
DiffuseGAE Table 2 'DDIM')."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.utils.data import TensorDataset

from diffae.config import DiffusionConfig, TrainConfig, UNetConfig
from diffae.data.splits import split_images
from diffae.diffusion import GaussianDiffusion
from diffae.nets import registry
from diffae.train.official_import import import_official_ddim, release_name
from diffae.train.recipes._loop import run_loop, section_kwargs
from diffae.train.recipes.common import image_diffusion, images_from_batch, prepared_image_size


class DDIMRecipe:
    """DDIM baseline: the same UNet without z, L_simple (DDPM/DDIM; Diff-AE Table 1-2 baseline)."""
    per_sample_mean = True  # the loss is a mean of per-sample terms: micro-batches may split it

    def __init__(self, unet: nn.Module, diffusion: GaussianDiffusion):
        self.unet, self.diffusion = unet, diffusion

    def modules(self) -> dict[str, nn.Module]:
        return {"unet": self.unet}

    def loss(self, batch, step: int):
        x0 = images_from_batch(batch)
        loss = self.diffusion.training_loss(self.unet, x0, cond=None, loss_type="mse").mean()
        return loss, {"l_simple": loss.detach()}


def run(*, prepared: str, split_csv: str | None, out_dir: str, unet_cfg: UNetConfig, diff_cfg: DiffusionConfig,
        train_cfg: TrainConfig, seed: int, device: str,
        on_mismatch: str) -> Path:
    """Train the unconditional DDIM on the train split of `prepared`; writes `<out_dir>/final.pt`."""
    images, _ = split_images(prepared, split_csv, "train")
    size = images.shape[-1]
    specs = {"unet": registry.unet_spec(section_kwargs(unet_cfg), image_size=size, cond_dim=None)}
    specs["unet"]["kwargs"]["z_shift"] = False
    torch.manual_seed(seed)
    unet = registry.build(specs["unet"])
    diffusion, dmeta = image_diffusion(diff_cfg)
    meta = {"kind": "ddim", "nets": specs, "diffusion": dmeta, "image_size": size}
    return run_loop(DDIMRecipe(unet, diffusion), TensorDataset(images), train_cfg, out_dir, seed=seed,
                    device=device, meta=meta,
                    on_mismatch=on_mismatch)


def run_zoo(*, dataset: str, init_from: dict, prepared: str, out_dir: str, diff_cfg: DiffusionConfig,
            **kwargs) -> Path:
    """`train-ddim-zoo`: train the DDIM baseline on a zoo dataset, or write its artifact from the official checkpoint
    that ``diffae_zoo.init_from.<dataset>.ddim`` names (no training)."""
    ckpt = getattr(init_from.get(dataset), "ddim", None)
    if ckpt:
        return import_official_ddim(ckpt, out_dir, image_size=prepared_image_size(prepared), diff_cfg=diff_cfg,
                                    name=release_name(dataset, "ddim"))
    return run(prepared=prepared, out_dir=out_dir, diff_cfg=diff_cfg, **kwargs)
