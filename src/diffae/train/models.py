"""Build networks from their constructor kwargs and reload trained artifacts (final.pt).

A trained artifact's `meta["nets"]` records, per module, the constructor name and kwargs, so
any later stage rebuilds exactly the trained architecture without consulting params.yaml.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from diffae.diffusion import GaussianDiffusion
from diffae.nets import LatentMLP, UNet, build_encoder
from diffae.nets.gae import GAE
from diffae.nets.gzsnet import AttributeHeads, GroupAutoencoder
from diffae.nets.partition import Partition


def _encoder(kind: str, **kwargs) -> nn.Module:
    return build_encoder(kind, **kwargs)


def _heads(names: list[str], sizes: list[int], num_classes: list[int]) -> nn.Module:
    return AttributeHeads(Partition(tuple(names), tuple(sizes)), num_classes)


CONSTRUCTORS: dict[str, Callable[..., nn.Module]] = {
    "UNet": UNet, "encoder": _encoder, "LatentMLP": LatentMLP, "GAE": GAE,
    "GroupAutoencoder": GroupAutoencoder, "AttributeHeads": _heads,
}


def register(name: str, ctor: Callable[..., nn.Module]) -> None:
    """Make a network class rebuildable from artifacts (used by stages that add nets)."""
    CONSTRUCTORS[name] = ctor


def net_spec(ctor: str, **kwargs: Any) -> dict:
    if ctor not in CONSTRUCTORS:
        raise KeyError(f"unknown network constructor {ctor!r}; known: {sorted(CONSTRUCTORS)}")
    return {"ctor": ctor, "kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}}


def partition_from_meta(meta: dict) -> Partition:
    p = meta.get("partition")
    if not p:
        raise ValueError("artifact meta has no 'partition' (names and sizes of the latent parts)")
    return Partition(tuple(p["names"]), tuple(p["sizes"]))


def build(spec: dict) -> nn.Module:
    return CONSTRUCTORS[spec["ctor"]](**spec["kwargs"])


def unet_spec(unet_cfg, image_size: int, cond_dim: int | None) -> dict:
    """UNet kwargs from params `model.unet` (+ image size from the data, cond_dim from the encoder)."""
    return net_spec("UNet", image_size=image_size, cond_dim=cond_dim, **asdict(unet_cfg))


def encoder_spec(enc_cfg, image_size: int) -> dict:
    kw = asdict(enc_cfg)
    return net_spec("encoder", image_size=image_size, **kw)


@dataclass
class Trained:
    """A reloaded artifact: modules (EMA weights, eval mode), its diffusion process and meta."""
    modules: dict[str, nn.Module]
    meta: dict
    path: Path

    def __getitem__(self, name: str) -> nn.Module:
        if name not in self.modules:
            raise KeyError(f"{self.path}: no module {name!r}; has {sorted(self.modules)}")
        return self.modules[name]

    @property
    def diffusion(self) -> GaussianDiffusion:
        d = self.meta["diffusion"]
        return GaussianDiffusion.from_schedule(d["beta_schedule"], d["T"])


def load_trained(path: str | Path, device: str | torch.device = "cpu") -> Trained:
    """Rebuild and load every module of a final.pt written by a training stage."""
    from diffae.train.checkpoint import load_final

    path = Path(path)
    obj = load_final(path, map_location="cpu")
    specs = obj["meta"].get("nets")
    if not specs:
        raise ValueError(f"{path}: meta has no 'nets' (not written by a diffae training stage)")
    modules = {}
    for name, spec in specs.items():
        net = build(spec)
        net.load_state_dict(obj["modules"][name])
        modules[name] = net.to(device).eval().requires_grad_(False)
    return Trained(modules=modules, meta=obj["meta"], path=path)


def load_state_into(path: str | Path, nets: dict[str, nn.Module]) -> None:
    """Initialise `nets` from the matching modules of an earlier final.pt (e.g. fine-tuning from Diff-AE)."""
    from diffae.train.checkpoint import load_final

    obj = load_final(path, map_location="cpu")
    for name, net in nets.items():
        if name not in obj["modules"]:
            raise KeyError(f"{path}: no module {name!r} to initialise from; has {sorted(obj['modules'])}")
        net.load_state_dict(obj["modules"][name])
