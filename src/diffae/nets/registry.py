"""Network specs: a constructor name plus its kwargs, enough to rebuild a trained architecture.

A trained artifact's ``meta["nets"]`` records one spec per module (diffae.artifacts rebuilds them),
so later stages rebuild exactly the trained architecture without consulting params.yaml.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from torch import nn

from diffae.nets.encoders import build_encoder
from diffae.nets.gae import GAE
from diffae.nets.gzsnet import AttributeHeads, GroupAutoencoder
from diffae.nets.latent_mlp import LatentMLP
from diffae.nets.partition import Partition
from diffae.nets.pdae_shift import PDAEShift
from diffae.nets.resnet10 import ResNet10
from diffae.nets.siamese import SimSiamHead
from diffae.nets.unet import UNet


def _encoder(kind: str, **kwargs: Any) -> nn.Module:
    return build_encoder(kind, **kwargs)


def _heads(names: list[str], sizes: list[int], num_classes: list[int]) -> nn.Module:
    return AttributeHeads(Partition(tuple(names), tuple(sizes)), num_classes)


CONSTRUCTORS: dict[str, Callable[..., nn.Module]] = {
    "UNet": UNet, "encoder": _encoder, "LatentMLP": LatentMLP, "GAE": GAE,
    "GroupAutoencoder": GroupAutoencoder, "AttributeHeads": _heads,
    "ResNet10": ResNet10, "PDAEShift": PDAEShift, "SimSiamHead": SimSiamHead,
}


def register(name: str, ctor: Callable[..., nn.Module]) -> None:
    """Make a network class rebuildable from artifacts (used by stages that add nets)."""
    CONSTRUCTORS[name] = ctor


def net_spec(ctor: str, **kwargs: Any) -> dict:
    """``{"ctor": name, "kwargs": {...}}`` with tuples stored as lists (as they come back from meta)."""
    if ctor not in CONSTRUCTORS:
        raise KeyError(f"unknown network constructor {ctor!r}; known: {sorted(CONSTRUCTORS)}")
    return {"ctor": ctor, "kwargs": {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}}


def build(spec: dict) -> nn.Module:
    """A freshly initialised network from its spec (draws from the global torch RNG)."""
    return CONSTRUCTORS[spec["ctor"]](**spec["kwargs"])


def unet_spec(arch: Mapping[str, Any], *, image_size: int, cond_dim: int | None) -> dict:
    """UNet spec from the architecture kwargs (params `model.unet`), the data's image size and the z width."""
    return net_spec("UNet", image_size=image_size, cond_dim=cond_dim, **arch)


def encoder_spec(arch: Mapping[str, Any], *, image_size: int) -> dict:
    """Semantic-encoder spec from the architecture kwargs (params `model.encoder`) and the data's image size."""
    return net_spec("encoder", image_size=image_size, **arch)
