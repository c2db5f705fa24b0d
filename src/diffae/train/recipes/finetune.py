"""DiffuseGAE fine-tuning stage: encoder, GAE and conditional DDIM trained jointly on L_simple + γ L_dis
(DiffuseGAE §3.4, Eq. 12), initialised from the Diff-AE and GAE artifacts."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

from diffae.artifacts import load_final, load_state_into
from diffae.config import FinetuneLoss, TrainConfig
from diffae.data.groups import GroupImages, group_members
from diffae.data.prepared import load_prepared
from diffae.diffusion import GaussianDiffusion
from diffae.nets import registry
from diffae.nets.partition import Partition
from diffae.train.group_losses import dis_loss
from diffae.train.recipes._loop import run_loop
from diffae.train.recipes.common import images_from_batch


class FinetuneRecipe:
    """Joint fine-tuning L = L_simple + γ L_dis (DiffuseGAE Eq. 12): encoder, GAE and conditional DDIM end to end,
    the decoder conditioned on the GAE-reconstructed z_sem."""

    def __init__(self, encoder: nn.Module, gae: nn.Module, unet: nn.Module, diffusion: GaussianDiffusion,
                 partition: Partition, mean: Tensor, std: Tensor, gamma: float, lambda_ss: float, lambda_ur: float):
        self.encoder, self.gae, self.unet, self.diffusion = encoder, gae, unet, diffusion
        self.partition, self.gamma, self.lambda_ss, self.lambda_ur = partition, gamma, lambda_ss, lambda_ur
        self.mean, self.std = mean, std

    def modules(self) -> dict[str, nn.Module]:
        return {"encoder": self.encoder, "gae": self.gae, "unet": self.unet}

    def compile_units(self) -> list[nn.Module]:
        return [self.encoder, self.unet, self.gae.encoder, self.gae.decoder]  # gae.encode / gae.decode

    def loss(self, batch, step: int):
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


def _initial_nets(diffae_model: str, gae_model: str) -> tuple[dict[str, nn.Module], dict[str, dict], dict, dict]:
    """Encoder + UNet from the Diff-AE artifact and the GAE from its artifact: nets, their specs, both metas."""
    base = load_final(diffae_model)["meta"]
    gae_meta = load_final(gae_model)["meta"]
    specs = {"encoder": base["nets"]["encoder"], "unet": base["nets"]["unet"], "gae": gae_meta["nets"]["gae"]}
    nets = {k: registry.build(v) for k, v in specs.items()}
    load_state_into(diffae_model, {"encoder": nets["encoder"], "unet": nets["unet"]})
    load_state_into(gae_model, {"gae": nets["gae"]})
    return nets, specs, base, gae_meta


def run(*, diffae_model: str, gae_model: str, prepared: str, groups_csv: str, out_dir: str, train_cfg: TrainConfig,
        loss_cfg: FinetuneLoss, seed: int, device: str,
        on_mismatch: str) -> Path:
    """Fine-tune on the train GROUPs' images; the artifact keeps the GAE's partition and z statistics."""
    nets, specs, base, gae_meta = _initial_nets(diffae_model, gae_model)
    data = load_prepared(prepared)
    partition = Partition.from_dict(gae_meta.get("partition"), where=f"{gae_model}: meta['partition']")
    members = group_members(groups_csv, list(partition.names))
    d = base["diffusion"]
    diffusion = GaussianDiffusion.from_schedule(d["beta_schedule"], d["T"])
    mean = torch.tensor(gae_meta["latent_mean"], dtype=torch.float32)
    std = torch.tensor(gae_meta["latent_std"], dtype=torch.float32)
    recipe = FinetuneRecipe(nets["encoder"], nets["gae"], nets["unet"], diffusion, partition, mean, std,
                            loss_cfg.gamma, loss_cfg.lambda_ss, loss_cfg.lambda_ur)
    meta = {"kind": "diffusegae", "nets": specs, "diffusion": d, "partition": partition.to_dict(),
            "latent_mean": gae_meta["latent_mean"], "latent_std": gae_meta["latent_std"],
            "image_size": base.get("image_size"), "init": {"diffae": str(diffae_model), "gae": str(gae_model)}}
    return run_loop(recipe, GroupImages(data.images, members), train_cfg, out_dir, seed=seed, device=device,
                    meta=meta, on_mismatch=on_mismatch)
