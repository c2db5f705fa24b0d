"""Latent extraction: z_sem for every sample (with split and normalisation statistics), and x_T inversion.

File format (`.npz`): z (N, D) float32, index (N,) rows of the prepared dataset, split (N,) 'train'/'test',
mean/std (D,) computed on the train split only (Diff-AE §4: the latent DDIM models z-normalised z_sem).
Attribute labels stay in the prepared dataset's labels.csv, joined by `index`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from diffae.utils.atomic import atomic_path


@dataclass
class Latents:
    z: np.ndarray
    index: np.ndarray
    split: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    meta: dict

    def select(self, which: str) -> np.ndarray:
        return self.z[self.split == which]

    def normalised(self, which: str | None = None) -> np.ndarray:
        z = self.z if which is None else self.select(which)
        return (z - self.mean) / self.std


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


def save_latents(path: str | Path, z: np.ndarray, index: np.ndarray, split: np.ndarray, meta: dict,
                 xT: np.ndarray | None = None, xT_index: np.ndarray | None = None) -> Latents:
    train = z[split == "train"]
    if len(train) < 2:
        raise ValueError(f"{path}: need at least 2 train latents for normalisation statistics, got {len(train)}")
    mean = train.mean(axis=0)
    std = train.std(axis=0) + 1e-8
    arrays = dict(z=z.astype(np.float32), index=index, split=split.astype(str), mean=mean.astype(np.float32),
                  std=std.astype(np.float32), meta=np.array(json.dumps(meta)))
    if xT is not None:
        arrays.update(xT=xT.astype(np.float32), xT_index=xT_index)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
    return Latents(z=z, index=index, split=split, mean=mean, std=std, meta=meta)


def load_latents(path: str | Path) -> Latents:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"latents file {path} not found (run `diffae encode`)")
    with np.load(path, allow_pickle=False) as f:
        missing = {"z", "index", "split", "mean", "std"} - set(f.files)
        if missing:
            raise ValueError(f"{path}: not a latents file, missing arrays {sorted(missing)}")
        meta = json.loads(str(f["meta"])) if "meta" in f.files else {}
        return Latents(z=f["z"], index=f["index"], split=f["split"], mean=f["mean"], std=f["std"], meta=meta)


@torch.no_grad()
def invert_images(unet, encoder, ddim, images: np.ndarray, batch_size: int, device) -> np.ndarray:
    """Stochastic encoder x0 -> x_T conditioned on z_sem (Diff-AE Eq. 8; DiffuseGAE Eq. 7)."""
    from diffae.data.images import to_model_range

    out = []
    for lo in range(0, len(images), batch_size):
        x0 = to_model_range(np.asarray(images[lo:lo + batch_size])).to(device)
        cond = encoder(x0) if encoder is not None else None
        out.append(ddim.invert(unet, x0, cond=cond).float().cpu().numpy())
    return np.concatenate(out, axis=0)


def encode_stage(model_path: str, prepared: str, split_csv: str, out: str, batch_size: int,
                 invert_n: int, invert_steps: int, device: str, partition_sizes: tuple[int, ...] | None = None,
                 *, clip_x0: bool) -> Latents:
    """`diffae encode`: z_sem of every sample + x_T of the first `invert_n` test samples, inverted with the
    x0 clipping the decoders use (``clip_x0``, params ``diffusion.clip_x0``)."""
    from diffae.data.prepared import load_prepared
    from diffae.data.splits import read_split
    from diffae.diffusion import DDIM
    from diffae.train.models import load_trained

    model = load_trained(model_path, device)
    data = load_prepared(prepared)
    split = read_split(split_csv)
    z = encode_images(model["encoder"], data.images, batch_size=batch_size, device=device)
    xT = xT_index = None
    if invert_n > 0:
        xT_index = np.flatnonzero(split == "test")[:invert_n]
        ddim = DDIM(model.diffusion, invert_steps, clip_x0=clip_x0)
        xT = invert_images(model["unet"], model["encoder"], ddim, data.images[xT_index], batch_size, device)
    meta = {"model": str(model_path), "prepared": str(prepared), "invert_steps": invert_steps, "clip_x0": clip_x0,
            "attributes": data.attributes, "method": "Diff-AE"}
    if partition_sizes is not None:
        from diffae.eval.codecs import proportional_partition

        p = proportional_partition(tuple(data.attributes), tuple(partition_sizes), z.shape[1])
        meta["partition"] = {"names": list(p.names), "sizes": list(p.sizes)}
    return save_latents(out, z, np.arange(len(z)), split, meta, xT=xT, xT_index=xT_index)


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
            "partition": {"names": list(codec.partition.names), "sizes": list(codec.partition.sizes)}}
    return save_latents(out, z, np.arange(len(z)), split, meta)
