"""GZS-Net baseline stage: a pixel autoencoder on image GROUPs with reconstruction, swap and cycle losses (L1),
its latent cut into the same attribute partition as DiffuseGAE's z_dis (GZS-Net, Ge et al. ICLR 2021 §3)."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from diffae.config import GAEConfig, GZSLoss, GZSNetConfig, TrainConfig
from diffae.data.groups import GroupImages, group_members
from diffae.data.prepared import load_prepared
from diffae.nets import registry
from diffae.nets.partition import Partition
from diffae.train.group_losses import gzs_losses
from diffae.train.recipes._loop import run_loop
from diffae.train.recipes.common import attribute_partition, images_from_batch, split_group


class GZSNetRecipe:
    """GZS-Net baseline: pixel autoencoder with reconstruction, swap and cycle losses (L1)."""

    def __init__(self, ae: nn.Module, partition: Partition, w_recon: float, w_swap: float, w_cycle: float):
        self.ae, self.partition, self.w = ae, partition, (w_recon, w_swap, w_cycle)

    def modules(self) -> dict[str, nn.Module]:
        return {"ae": self.ae}

    def compile_units(self) -> list[nn.Module]:
        return self.ae.stages()  # the losses call ae.encode / ae.decode

    def loss(self, batch, step: int):
        center, partners = split_group(images_from_batch(batch))
        return gzs_losses(self.ae, center, partners, self.partition, w_recon=self.w[0], w_swap=self.w[1],
                          w_cycle=self.w[2])


def autoencoder_spec(image_size: int, gzs_cfg: GZSNetConfig, dis_dim: int) -> dict:
    """The GZS-Net pixel autoencoder (also AE + DS's) with a `dis_dim`-wide latent."""
    return registry.net_spec("GroupAutoencoder", image_size=image_size, base_channels=gzs_cfg.base_channels,
                             latent_dim=dis_dim, fc_hidden=gzs_cfg.fc_hidden)


def run(*, prepared: str, groups_csv: str, out_dir: str, gzs_cfg: GZSNetConfig, gae_cfg: GAEConfig,
        train_cfg: TrainConfig, loss_cfg: GZSLoss, seed: int, device: str,
        on_mismatch: str) -> Path:
    """Train GZS-Net on the train GROUPs' images with the GAE's partition sizes (params model.gae)."""
    data = load_prepared(prepared)
    partition = attribute_partition(data.attributes, gae_cfg.partition)
    members = group_members(groups_csv, data.attributes)
    spec = autoencoder_spec(data.images.shape[1], gzs_cfg, gae_cfg.dis_dim)
    torch.manual_seed(seed)
    ae = registry.build(spec)
    meta = {"kind": "gzsnet", "nets": {"ae": spec}, "partition": partition.to_dict()}
    recipe = GZSNetRecipe(ae, partition, loss_cfg.w_recon, loss_cfg.w_swap, loss_cfg.w_cycle)
    return run_loop(recipe, GroupImages(data.images, members), train_cfg, out_dir, seed=seed, device=device,
                    meta=meta, on_mismatch=on_mismatch)
