"""GAE stage: the group autoencoder on z-normalised z_sem of GROUP(C, 1) members, L_dis = L_r + λ_ss L_ss +
λ_ur L_ur (DiffuseGAE §3.3, Eq. 10-11)."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.utils.data import TensorDataset

from diffae.config import GAEConfig, GAELoss, TrainConfig
from diffae.data.groups import group_members
from diffae.data.latents import load_latents
from diffae.data.prepared import load_prepared
from diffae.nets import registry
from diffae.nets.partition import Partition
from diffae.train.group_losses import dis_loss
from diffae.train.recipes._loop import run_loop
from diffae.train.recipes.common import attribute_partition, split_group


class GAERecipe:
    """GAE on GROUP latent sets of z-normalised z_sem: L_dis = L_r + λ_ss L_ss + λ_ur L_ur (DiffuseGAE Eq. 10-11)."""

    def __init__(self, gae: nn.Module, partition: Partition, lambda_ss: float, lambda_ur: float):
        self.gae, self.partition, self.lambda_ss, self.lambda_ur = gae, partition, lambda_ss, lambda_ur

    def modules(self) -> dict[str, nn.Module]:
        return {"gae": self.gae}

    def compile_units(self) -> list[nn.Module]:
        return [self.gae.encoder, self.gae.decoder]  # the loss calls gae.encode / gae.decode

    def loss(self, batch, step: int):
        center, partners = split_group(batch[0])
        total, terms = dis_loss(self.gae, center, partners, self.partition, lambda_ss=self.lambda_ss,
                                lambda_ur=self.lambda_ur)
        return total, terms


def run(*, latents_npz: str, prepared: str, groups_csv: str, out_dir: str, gae_cfg: GAEConfig, train_cfg: TrainConfig,
        loss_cfg: GAELoss, seed: int, device: str,
        on_mismatch: str) -> Path:
    """Train the GAE on the train GROUPs' latents; the artifact keeps the partition and the z statistics."""
    lat = load_latents(latents_npz)
    attributes = load_prepared(prepared).attributes
    partition = attribute_partition(attributes, gae_cfg.partition)
    members = group_members(groups_csv, attributes)
    zn = torch.from_numpy(lat.normalised()).float()
    data = TensorDataset(zn[torch.from_numpy(members)])              # (G, 1 + m, D)
    spec = registry.net_spec("GAE", z_dim=zn.shape[1], dis_dim=gae_cfg.dis_dim, hidden=gae_cfg.hidden,
                             n_mlp=gae_cfg.n_mlp, n_bottleneck=gae_cfg.n_bottleneck, norm=gae_cfg.norm)
    torch.manual_seed(seed)
    gae = registry.build(spec)
    meta = {"kind": "gae", "nets": {"gae": spec}, "partition": partition.to_dict(),
            "latent_mean": lat.mean.tolist(), "latent_std": lat.std.tolist(), "latents": str(latents_npz)}
    recipe = GAERecipe(gae, partition, loss_cfg.lambda_ss, loss_cfg.lambda_ur)
    return run_loop(recipe, data, train_cfg, out_dir, seed=seed, device=device, meta=meta,
                    on_mismatch=on_mismatch)
