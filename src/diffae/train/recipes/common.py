"""Pieces several training stages share: batch conversion, group batches, the attribute partition, the
pixel-space diffusion process."""
from __future__ import annotations

import torch
from torch import Tensor

from diffae.config import DiffusionConfig
from diffae.data.prepared import load_prepared
from diffae.diffusion import GaussianDiffusion
from diffae.nets.partition import Partition


def images_from_batch(batch) -> Tensor:
    """uint8 NCHW batch (first tensor of a TensorDataset batch) -> float in [-1, 1]."""
    x = batch[0] if isinstance(batch, (list, tuple)) else batch  # noqa: SIM108
    return x.float() / 127.5 - 1.0 if x.dtype == torch.uint8 else x


def split_group(x: Tensor) -> tuple[Tensor, Tensor]:
    """(B, 1 + m, ...) group batch -> centre (B, ...), partners (B, m, ...) (GROUP(C, 1), DiffuseGAE Def. 1)."""
    return x[:, 0], x[:, 1:]


def attribute_partition(attributes: list[str], sizes: tuple[int, ...]) -> Partition:
    """z_dis partition (DiffuseGAE §4): one part per dataset attribute, in the dataset's attribute order, sized by
    params model.gae.partition."""
    if len(attributes) != len(sizes):
        raise ValueError(f"model.gae.partition has {len(sizes)} sizes {tuple(sizes)} but the data has "
                         f"{len(attributes)} attributes {attributes}; give one size per attribute")
    return Partition(tuple(attributes), tuple(sizes))


def image_diffusion(diff_cfg: DiffusionConfig) -> tuple[GaussianDiffusion, dict]:
    """The pixel-space diffusion process of params `diffusion` (Diff-AE §3) and its artifact meta."""
    meta = {"T": diff_cfg.T, "beta_schedule": diff_cfg.beta_schedule}
    return GaussianDiffusion.from_schedule(diff_cfg.beta_schedule, diff_cfg.T), meta


def prepared_image_size(prepared: str) -> int:
    """Side length of a prepared dataset's images (read from its header, not its pixels)."""
    return int(load_prepared(prepared).images.shape[1])
