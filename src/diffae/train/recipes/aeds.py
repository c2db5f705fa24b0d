"""AE + DS baseline stage: the GZS-Net autoencoder with each latent part directly supervised by its attribute
label through a linear head, reconstruction + cross-entropy (DiffuseGAE Table 1 caption)."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.utils.data import TensorDataset

from diffae.config import AEDSLoss, GAEConfig, GZSNetConfig, TrainConfig
from diffae.data.labels import attribute_codes
from diffae.data.prepared import load_prepared
from diffae.data.splits import split_images
from diffae.nets import registry
from diffae.train.group_losses import aeds_losses
from diffae.train.recipes._loop import run_loop
from diffae.train.recipes.common import attribute_partition, images_from_batch
from diffae.train.recipes.gzsnet import autoencoder_spec


class AEDSRecipe:
    """AE + DS baseline: the GZS-Net autoencoder, each latent part directly supervised by its attribute label
    (DiffuseGAE Table 1 caption)."""

    def __init__(self, ae: nn.Module, heads: nn.Module, w_recon: float, w_cls: float):
        self.ae, self.heads, self.w_recon, self.w_cls = ae, heads, w_recon, w_cls

    def modules(self) -> dict[str, nn.Module]:
        return {"ae": self.ae, "heads": self.heads}

    def compile_units(self) -> list[nn.Module]:
        return [*self.ae.stages(), self.heads]  # ae.encode / ae.decode, heads(z)

    def loss(self, batch, step: int):
        images, labels = batch
        return aeds_losses(self.ae, self.heads, images_from_batch(images), labels, w_recon=self.w_recon,
                           w_cls=self.w_cls)


def run(*, prepared: str, split_csv: str, out_dir: str, gzs_cfg: GZSNetConfig, gae_cfg: GAEConfig,
        train_cfg: TrainConfig, loss_cfg: AEDSLoss, seed: int, device: str,
        on_mismatch: str) -> Path:
    """Train AE + DS on the train split's images and attribute labels with the GAE's partition sizes."""
    data = load_prepared(prepared)
    partition = attribute_partition(data.attributes, gae_cfg.partition)
    images, idx = split_images(prepared, split_csv, "train")
    codes, counts = attribute_codes(data.labels, data.attributes)
    specs = {"ae": autoencoder_spec(images.shape[-1], gzs_cfg, gae_cfg.dis_dim),
             "heads": registry.net_spec("AttributeHeads", names=list(partition.names), sizes=list(partition.sizes),
                                        num_classes=counts)}
    torch.manual_seed(seed)
    nets = {k: registry.build(v) for k, v in specs.items()}
    meta = {"kind": "aeds", "nets": specs, "partition": partition.to_dict()}
    recipe = AEDSRecipe(nets["ae"], nets["heads"], loss_cfg.w_recon, loss_cfg.w_cls)
    dataset = TensorDataset(images, torch.from_numpy(codes[idx]))
    return run_loop(recipe, dataset, train_cfg, out_dir, seed=seed, device=device, meta=meta,
                    on_mismatch=on_mismatch)
