"""DiffuseGAE training stages (§3.3-3.4): GAE on GROUP latents, joint fine-tuning (Eq. 12), and the
pixel-space baselines GZS-Net and AE + DS. Each writes `<out_dir>/final.pt` with its nets' specs,
the latent partition and (for latent models) the z_sem normalisation statistics."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset, TensorDataset

from diffae.data.groups import read_groups
from diffae.data.prepared import load_prepared
from diffae.diffusion import GaussianDiffusion
from diffae.nets.partition import Partition
from diffae.train import models
from diffae.train.loop import train
from diffae.train.recipes import AEDSRecipe, FinetuneRecipe, GAERecipe, GZSNetRecipe
from diffae.train.stages import split_images


def attribute_partition(attributes: list[str], sizes: tuple[int, ...]) -> Partition:
    """z_dis partition: one part per dataset attribute, in the dataset's attribute order (params model.gae.partition)."""
    if len(attributes) != len(sizes):
        raise ValueError(f"model.gae.partition has {len(sizes)} sizes {tuple(sizes)} but the data has "
                         f"{len(attributes)} attributes {attributes}; give one size per attribute")
    return Partition(tuple(attributes), tuple(sizes))


def _partition_meta(p: Partition) -> dict:
    return {"names": list(p.names), "sizes": list(p.sizes)}


def group_members(groups_csv: str | Path, attributes: list[str]) -> np.ndarray:
    """(G, 1 + m) prepared-row indices: centre, then the partner sharing each attribute (s = 1)."""
    groups = read_groups(groups_csv)
    cols = ["center"] + [f"partner_{a}" for a in attributes]
    missing = [c for c in cols if c not in groups.columns]
    if missing:
        raise ValueError(f"{groups_csv}: missing columns {missing}; DiffuseGAE training needs GROUP(C, 1) tables")
    return groups[cols].to_numpy(dtype=np.int64)


class GroupImages(Dataset):
    """uint8 (1 + m, C, H, W) image groups read lazily from the prepared images (memory-mapped)."""

    def __init__(self, images: np.ndarray, members: np.ndarray):
        self.images, self.members = images, members

    def __len__(self) -> int:
        return len(self.members)

    def __getitem__(self, i: int):
        x = torch.from_numpy(np.ascontiguousarray(self.images[self.members[i]]))
        return (x.permute(0, 3, 1, 2),)


def train_gae(latents_npz: str, prepared: str, groups_csv: str, out_dir: str, gae_cfg, train_cfg, loss_cfg,
              seed: int, device: str) -> Path:
    """GAE on z-normalised z_sem of GROUP(C, 1) members (DiffuseGAE §3.3, Eq. 10-11)."""
    from diffae.eval.encode import load_latents

    lat = load_latents(latents_npz)
    attributes = load_prepared(prepared).attributes
    partition = attribute_partition(attributes, gae_cfg.partition)
    members = group_members(groups_csv, attributes)
    zn = torch.from_numpy(lat.normalised()).float()
    data = TensorDataset(zn[torch.from_numpy(members)])              # (G, 1 + m, D)
    spec = models.net_spec("GAE", z_dim=zn.shape[1], dis_dim=gae_cfg.dis_dim, hidden=gae_cfg.hidden,
                           n_mlp=gae_cfg.n_mlp, n_bottleneck=gae_cfg.n_bottleneck, norm=gae_cfg.norm)
    torch.manual_seed(seed)
    gae = models.build(spec)
    meta = {"kind": "gae", "nets": {"gae": spec}, "partition": _partition_meta(partition),
            "latent_mean": lat.mean.tolist(), "latent_std": lat.std.tolist(), "latents": str(latents_npz)}
    recipe = GAERecipe(gae, partition, loss_cfg.lambda_ss, loss_cfg.lambda_ur)
    return train(recipe, data, train_cfg, out_dir, seed=seed, device=device, meta=meta).final_path


def finetune(diffae_model: str, gae_model: str, prepared: str, groups_csv: str, out_dir: str, train_cfg, loss_cfg,
             seed: int, device: str) -> Path:
    """Joint fine-tuning of encoder + GAE + conditional DDIM on L_simple + γ L_dis (DiffuseGAE Eq. 12)."""
    from diffae.train.checkpoint import load_final

    base = load_final(diffae_model)["meta"]
    gae_meta = load_final(gae_model)["meta"]
    specs = {"encoder": base["nets"]["encoder"], "unet": base["nets"]["unet"], "gae": gae_meta["nets"]["gae"]}
    nets = {k: models.build(v) for k, v in specs.items()}
    models.load_state_into(diffae_model, {"encoder": nets["encoder"], "unet": nets["unet"]})
    models.load_state_into(gae_model, {"gae": nets["gae"]})
    data = load_prepared(prepared)
    partition = models.partition_from_meta(gae_meta)
    members = group_members(groups_csv, list(partition.names))
    d = base["diffusion"]
    diffusion = GaussianDiffusion.from_schedule(d["beta_schedule"], d["T"])
    mean = torch.tensor(gae_meta["latent_mean"], dtype=torch.float32)
    std = torch.tensor(gae_meta["latent_std"], dtype=torch.float32)
    recipe = FinetuneRecipe(nets["encoder"], nets["gae"], nets["unet"], diffusion, partition, mean, std,
                            loss_cfg.gamma, loss_cfg.lambda_ss, loss_cfg.lambda_ur)
    meta = {"kind": "diffusegae", "nets": specs, "diffusion": d, "partition": _partition_meta(partition),
            "latent_mean": gae_meta["latent_mean"], "latent_std": gae_meta["latent_std"],
            "image_size": base.get("image_size"), "init": {"diffae": str(diffae_model), "gae": str(gae_model)}}
    return train(recipe, GroupImages(data.images, members), train_cfg, out_dir, seed=seed, device=device,
                 meta=meta).final_path


def _pixel_ae_spec(image_size: int, gzs_cfg, dis_dim: int) -> dict:
    return models.net_spec("GroupAutoencoder", image_size=image_size, base_channels=gzs_cfg.base_channels,
                           latent_dim=dis_dim, fc_hidden=gzs_cfg.fc_hidden)


def train_gzsnet(prepared: str, groups_csv: str, out_dir: str, gzs_cfg, gae_cfg, train_cfg, loss_cfg,
                 seed: int, device: str) -> Path:
    """GZS-Net baseline on image GROUPs with the same 100-d partition (swap / cycle losses, L1)."""
    data = load_prepared(prepared)
    partition = attribute_partition(data.attributes, gae_cfg.partition)
    members = group_members(groups_csv, data.attributes)
    spec = _pixel_ae_spec(data.images.shape[1], gzs_cfg, gae_cfg.dis_dim)
    torch.manual_seed(seed)
    ae = models.build(spec)
    meta = {"kind": "gzsnet", "nets": {"ae": spec}, "partition": _partition_meta(partition)}
    recipe = GZSNetRecipe(ae, partition, loss_cfg.w_recon, loss_cfg.w_swap, loss_cfg.w_cycle)
    return train(recipe, GroupImages(data.images, members), train_cfg, out_dir, seed=seed, device=device,
                 meta=meta).final_path


def attribute_codes(labels: pd.DataFrame, attributes: list[str]) -> tuple[np.ndarray, list[int]]:
    """(N, m) integer class codes per attribute (sorted value order) and the class counts."""
    codes, counts = [], []
    for a in attributes:
        values = sorted(labels[a].astype(str).unique())
        lookup = {v: i for i, v in enumerate(values)}
        codes.append(labels[a].astype(str).map(lookup).to_numpy())
        counts.append(len(values))
    return np.stack(codes, axis=1).astype(np.int64), counts


def train_aeds(prepared: str, split_csv: str, out_dir: str, gzs_cfg, gae_cfg, train_cfg, loss_cfg,
               seed: int, device: str) -> Path:
    """AE + DS baseline: the GZS-Net autoencoder with each latent part supervised by its attribute (CE)."""
    data = load_prepared(prepared)
    partition = attribute_partition(data.attributes, gae_cfg.partition)
    images, idx = split_images(prepared, split_csv, "train")
    codes, counts = attribute_codes(data.labels, data.attributes)
    specs = {"ae": _pixel_ae_spec(images.shape[-1], gzs_cfg, gae_cfg.dis_dim),
             "heads": models.net_spec("AttributeHeads", names=list(partition.names), sizes=list(partition.sizes),
                                      num_classes=counts)}
    torch.manual_seed(seed)
    nets = {k: models.build(v) for k, v in specs.items()}
    meta = {"kind": "aeds", "nets": specs, "partition": _partition_meta(partition)}
    recipe = AEDSRecipe(nets["ae"], nets["heads"], loss_cfg.w_recon, loss_cfg.w_cls)
    dataset = TensorDataset(images, torch.from_numpy(codes[idx]))
    return train(recipe, dataset, train_cfg, out_dir, seed=seed, device=device, meta=meta).final_path
