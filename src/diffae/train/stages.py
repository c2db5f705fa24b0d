"""Training stages called by the CLI: read prepared data, build nets, run the generic loop.

Each function takes typed params sections (diffae.config) and paths; the artifact it writes
(`<out_dir>/final.pt`) records the nets' constructor kwargs so later stages can rebuild them.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import TensorDataset

from diffae.data.prepared import load_prepared
from diffae.data.splits import read_split
from diffae.diffusion import GaussianDiffusion
from diffae.train import models
from diffae.train.loop import train
from diffae.train.recipes import DDIMRecipe, DiffAERecipe, LatentDDIMRecipe

log = logging.getLogger(__name__)


def split_images(prepared_dir: str | Path, split_csv: str | Path, which: str) -> tuple[torch.Tensor, np.ndarray]:
    """uint8 NCHW images of one side of the split, and their row indices in the prepared dataset."""
    data = load_prepared(prepared_dir)
    split = read_split(split_csv)
    if len(split) != len(data.labels):
        raise ValueError(f"{split_csv}: {len(split)} rows but {prepared_dir} has {len(data.labels)} samples; rerun the split")
    idx = np.flatnonzero(split == which)
    images = torch.from_numpy(np.ascontiguousarray(data.images[idx])).permute(0, 3, 1, 2).contiguous()
    return images, idx


def _diffusion(diff_cfg) -> tuple[GaussianDiffusion, dict]:
    meta = {"T": diff_cfg.T, "beta_schedule": diff_cfg.beta_schedule}
    return GaussianDiffusion.from_schedule(diff_cfg.beta_schedule, diff_cfg.T), meta


def train_diffae(prepared: str, split_csv: str, out_dir: str, unet_cfg, enc_cfg, diff_cfg, train_cfg,
                 seed: int, device: str) -> Path:
    """Diff-AE (semantic encoder + conditional DDIM, Eq. 6) on the train split."""
    images, _ = split_images(prepared, split_csv, "train")
    size = images.shape[-1]
    specs = {"encoder": models.encoder_spec(enc_cfg, size), "unet": models.unet_spec(unet_cfg, size, enc_cfg.z_dim)}
    torch.manual_seed(seed)
    nets = {k: models.build(v) for k, v in specs.items()}
    diffusion, dmeta = _diffusion(diff_cfg)
    recipe = DiffAERecipe(nets["encoder"], nets["unet"], diffusion)
    meta = {"kind": "diffae", "nets": specs, "diffusion": dmeta, "image_size": size}
    res = train(recipe, TensorDataset(images), train_cfg, out_dir, seed=seed, device=device, meta=meta)
    return res.final_path


def train_ddim(prepared: str, split_csv: str, out_dir: str, unet_cfg, diff_cfg, train_cfg,
               seed: int, device: str) -> Path:
    """DDIM baseline: the same UNet without z (Diff-AE Tables 1-2 baseline; DiffuseGAE Table 2 'DDIM')."""
    images, _ = split_images(prepared, split_csv, "train")
    size = images.shape[-1]
    specs = {"unet": models.unet_spec(unet_cfg, size, None)}
    specs["unet"]["kwargs"]["z_shift"] = False
    torch.manual_seed(seed)
    unet = models.build(specs["unet"])
    diffusion, dmeta = _diffusion(diff_cfg)
    meta = {"kind": "ddim", "nets": specs, "diffusion": dmeta, "image_size": size}
    res = train(DDIMRecipe(unet, diffusion), TensorDataset(images), train_cfg, out_dir, seed=seed,
                device=device, meta=meta)
    return res.final_path


def train_latent_ddim(latents_npz: str, out_dir: str, latent_cfg, diff_cfg, train_cfg, seed: int, device: str) -> Path:
    """Latent DDIM on z-normalised train-split z_sem (Diff-AE §4, Eq. 9; Table 6)."""
    from diffae.eval.encode import load_latents

    lat = load_latents(latents_npz)
    z = torch.from_numpy(lat.normalised("train")).float()
    spec = models.net_spec("LatentMLP", z_dim=z.shape[1], hidden=latent_cfg.hidden, num_layers=latent_cfg.num_layers)
    torch.manual_seed(seed)
    net = models.build(spec)
    diffusion = GaussianDiffusion.from_schedule(latent_cfg.beta_schedule, diff_cfg.T)
    meta = {"kind": "latent_ddim", "nets": {"latent": spec},
            "diffusion": {"T": diff_cfg.T, "beta_schedule": latent_cfg.beta_schedule},
            "latent_mean": lat.mean.tolist(), "latent_std": lat.std.tolist(), "source": str(latents_npz)}
    res = train(LatentDDIMRecipe(net, diffusion), TensorDataset(z), train_cfg, out_dir, seed=seed,
                device=device, meta=meta)
    return res.final_path
