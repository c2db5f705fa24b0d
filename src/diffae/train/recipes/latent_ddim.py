"""Latent DDIM stage: a DDIM over z-normalised train-split z_sem, L1 on eps (Diff-AE §4, Eq. 9; Appendix A.1
Table 6)."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.utils.data import TensorDataset

from diffae.config import DiffusionConfig, LatentConfig, TrainConfig
from diffae.data.latents import load_latents
from diffae.diffusion import GaussianDiffusion
from diffae.nets import registry
from diffae.train.official_import import import_official_latent_ddim, release_name
from diffae.train.recipes._loop import run_loop


class LatentDDIMRecipe:
    """Latent DDIM on z-normalised z_sem: L1 on eps (Diff-AE Eq. 9, Appendix A.1 Table 6)."""
    per_sample_mean = True  # the loss is a mean of per-sample terms: micro-batches may split it

    def __init__(self, net: nn.Module, diffusion: GaussianDiffusion):
        self.net, self.diffusion = net, diffusion

    def modules(self) -> dict[str, nn.Module]:
        return {"latent": self.net}

    def loss(self, batch, step: int):
        z = batch[0] if isinstance(batch, (list, tuple)) else batch
        loss = self.diffusion.training_loss(self.net, z, cond=None, loss_type="l1").mean()
        return loss, {"l1_eps": loss.detach()}


def run(*, latents_npz: str, out_dir: str, latent_cfg: LatentConfig, diff_cfg: DiffusionConfig,
        train_cfg: TrainConfig, seed: int, device: str,
        on_mismatch: str) -> Path:
    """Train the latent DDIM on the train rows of a latents file; the artifact keeps the z statistics."""
    lat = load_latents(latents_npz)
    z = torch.from_numpy(lat.normalised("train")).float()
    spec = registry.net_spec("LatentMLP", z_dim=z.shape[1], hidden=latent_cfg.hidden,
                             num_layers=latent_cfg.num_layers)
    torch.manual_seed(seed)
    net = registry.build(spec)
    diffusion = GaussianDiffusion.from_schedule(latent_cfg.beta_schedule, diff_cfg.T)
    meta = {"kind": "latent_ddim", "nets": {"latent": spec},
            "diffusion": {"T": diff_cfg.T, "beta_schedule": latent_cfg.beta_schedule},
            "latent_mean": lat.mean.tolist(), "latent_std": lat.std.tolist(), "source": str(latents_npz)}
    return run_loop(LatentDDIMRecipe(net, diffusion), TensorDataset(z), train_cfg, out_dir, seed=seed,
                    device=device, meta=meta,
                    on_mismatch=on_mismatch)


def run_zoo(*, dataset: str, init_from: dict, out_dir: str, **kwargs) -> Path:
    """`train-latent-zoo`: train the latent DDIM on a zoo dataset's z_sem, or write its artifact from the official
    checkpoint that ``diffae_zoo.init_from.<dataset>.latent_ddim`` names (its own z_sem statistics; no training)."""
    ckpt = getattr(init_from.get(dataset), "latent_ddim", None)
    if ckpt:
        return import_official_latent_ddim(ckpt, out_dir, name=release_name(dataset, "latent_ddim"))
    return run(out_dir=out_dir, **kwargs)
