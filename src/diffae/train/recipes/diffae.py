"""Diff-AE stage: semantic encoder + conditional DDIM trained end to end on L_simple (Diff-AE §3, Eq. 6)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import TensorDataset

from diffae.config import DiffusionConfig, EncoderConfig, TrainConfig, UNetConfig
from diffae.data.splits import split_images
from diffae.diffusion import GaussianDiffusion
from diffae.nets import registry
from diffae.train.official_import import import_official_diffae, release_name
from diffae.train.recipes._loop import run_loop, section_kwargs
from diffae.train.recipes.common import image_diffusion, images_from_batch, prepared_image_size


class DiffAERecipe:
    """Diff-AE: semantic encoder + conditional DDIM trained end to end on L_simple (Diff-AE Eq. 6)."""
    per_sample_mean = True  # the loss is a mean of per-sample terms: micro-batches may split it

    def __init__(self, encoder: nn.Module, unet: nn.Module, diffusion: GaussianDiffusion):
        self.encoder, self.unet, self.diffusion = encoder, unet, diffusion

    def modules(self) -> dict[str, nn.Module]:
        return {"encoder": self.encoder, "unet": self.unet}

    def loss(self, batch, step: int):
        x0 = images_from_batch(batch)
        z = self.encoder(x0)
        loss = self.diffusion.training_loss(self.unet, x0, cond=z, loss_type="mse").mean()
        return loss, {"l_simple": loss.detach()}


def run(*, prepared: str, split_csv: str | None, out_dir: str, unet_cfg: UNetConfig, enc_cfg: EncoderConfig,
        diff_cfg: DiffusionConfig, train_cfg: TrainConfig, seed: int, device: str,
        on_mismatch: str) -> Path:
    """Train Diff-AE on the train split of `prepared` (all of it without a split); writes `<out_dir>/final.pt` with the nets' specs."""
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


def ablation_steps(main_steps: int, steps_fraction: float) -> int:
    """Updates of a z_sem-width ablation model: the paper trains them on 48M images against the main model's
    130M (Diff-AE Table 2 rows b-e), i.e. ``steps_fraction`` = 48/130 of the main run."""
    return max(1, round(main_steps * steps_fraction))


def run_zdim(*, z_dim: str | int, steps_fraction: float, enc_cfg: EncoderConfig, train_cfg: TrainConfig,
             **kwargs) -> Path:
    """Diff-AE Table 2 rows b-e: the faces Diff-AE with z_sem ``z_dim`` wide, trained ``steps_fraction`` of the
    main run's steps (a separate run from the start, not the main run's checkpoint at that step)."""
    width = int(z_dim)
    if width < 1:
        raise ValueError(f"--z-dim {z_dim}: expected a positive width")
    return run(enc_cfg=dataclasses.replace(enc_cfg, z_dim=width),
               train_cfg=dataclasses.replace(train_cfg, steps=ablation_steps(train_cfg.steps, steps_fraction)),
               **kwargs)


def run_zoo(*, dataset: str, init_from: dict, prepared: str, out_dir: str, diff_cfg: DiffusionConfig,
            **kwargs) -> Path:
    """`train-diffae-zoo`: train Diff-AE on a zoo dataset, or write its artifact from the official checkpoint that
    ``diffae_zoo.init_from.<dataset>.diffae`` names (no training)."""
    ckpt = getattr(init_from.get(dataset), "diffae", None)
    if ckpt:
        return import_official_diffae(ckpt, out_dir, image_size=prepared_image_size(prepared), diff_cfg=diff_cfg,
                                      name=release_name(dataset, "diffae"))
    return run(prepared=prepared, out_dir=out_dir, diff_cfg=diff_cfg, **kwargs)
