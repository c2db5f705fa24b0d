"""Latent extraction: z_sem (or a method's partitioned latent) of every sample, with the split and
normalisation statistics, written as latents files (format: diffae.data.latents). x_T inversion is the
codecs' ``invert`` (diffae.eval.codecs), run where a table or figure needs it."""
from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from diffae.data.latents import Latents, save_latents


@torch.no_grad()
def encode_images(encoder: torch.nn.Module, images: np.ndarray, batch_size: int = 64,
                  device: str | torch.device = "cpu", progress: bool = True) -> np.ndarray:
    """z_sem = Enc(x0) (Diff-AE §3.2) for uint8 NHWC images, batched."""
    from diffae.data.images import to_model_range

    out = []
    for lo in tqdm(range(0, len(images), batch_size), desc="encode z_sem", disable=not progress, leave=False):
        x = to_model_range(np.asarray(images[lo:lo + batch_size])).to(device)
        out.append(encoder(x).float().cpu().numpy())
    return np.concatenate(out, axis=0)


def encode_stage(model_path: str, prepared: str, split_csv: str | None, out: str, batch_size: int, device: str,
                 partition_sizes: tuple[int, ...] | None = None) -> Latents:
    """`diffae encode` / `encode-zoo`: z_sem of every sample of a Diff-AE artifact (all "train" without a split,
    as the zoo models train on the whole set); with ``partition_sizes`` (params
    ``model.gae.partition``) the meta also records z_sem split in those proportions (DiffuseGAE Table 1)."""
    from diffae.artifacts import load_trained
    from diffae.data.prepared import load_prepared
    from diffae.data.splits import read_split
    from diffae.eval.codecs import proportional_partition

    encoder = load_trained(model_path, device)["encoder"]
    data = load_prepared(prepared)
    z = encode_images(encoder, data.images, batch_size=batch_size, device=device)
    split = read_split(split_csv) if split_csv is not None else np.full(len(z), "train")
    meta = {"model": str(model_path), "prepared": str(prepared), "attributes": data.attributes, "method": "Diff-AE"}
    if partition_sizes is not None:
        meta["partition"] = proportional_partition(tuple(data.attributes), tuple(partition_sizes), z.shape[1]).to_dict()
    return save_latents(out, z, np.arange(len(z)), split, meta)


@torch.no_grad()
def encode_codec_stage(method: str, model_path: str, prepared: str, split_csv: str, out: str, batch_size: int,
                       device: str, *, clip_x0: bool) -> Latents:
    """`diffae encode-method`: a method's attribute-partitioned latent (DiffuseGAE z_dis, GZS-Net / AE + DS z)
    for every sample, for Table 1 and the t-SNE figures."""
    from diffae.data.images import to_model_range
    from diffae.data.prepared import load_prepared
    from diffae.data.splits import read_split
    from diffae.eval.codecs import load_codec

    codec = load_codec(method, model_path, device, clip_x0=clip_x0)
    data = load_prepared(prepared)
    split = read_split(split_csv)
    z = np.concatenate([codec.encode(to_model_range(np.asarray(data.images[lo:lo + batch_size])).to(device))
                        .float().cpu().numpy() for lo in range(0, len(data.images), batch_size)])
    meta = {"model": str(model_path), "prepared": str(prepared), "attributes": data.attributes, "method": method,
            "partition": codec.partition.to_dict()}
    return save_latents(out, z, np.arange(len(z)), split, meta)
