"""Trained artifacts (`<model dir>/final.pt`, written by the training loop) read back by later stages.

A final.pt holds ``modules`` (name -> state dict; EMA weights when EMA was on), ``meta`` (what the
training stage recorded: ``meta["nets"]`` one diffae.nets.registry spec per module, ``meta["diffusion"]``,
``meta["partition"]`` for partitioned latents, normalisation statistics, ...), ``step``, ``ema`` and
``config`` (the loop settings). Sits above nets/diffusion and below train/eval, which both read artifacts.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from diffae.diffusion import GaussianDiffusion
from diffae.nets.partition import Partition
from diffae.nets.registry import build
from diffae.utils.torch_files import load_dict

FINAL_KEYS = ("modules", "meta", "step", "ema", "config")


def load_final(path: str | Path, map_location: str | torch.device | None = "cpu") -> dict:
    """Read ``final.pt``: a dict with the keys ``FINAL_KEYS`` (see the module docstring)."""
    obj = load_dict(path, FINAL_KEYS, map_location)
    if not isinstance(obj["modules"], dict) or not obj["modules"]:
        raise ValueError(f"checkpoint {path}: key 'modules' must be a non-empty dict of state dicts")
    return obj


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

    @property
    def partition(self) -> Partition:
        """The latent partition the training stage recorded (DiffuseGAE z_dis, the pixel baselines' z)."""
        return Partition.from_dict(self.meta.get("partition"), where=f"{self.path}: meta['partition']")


def load_trained(path: str | Path, device: str | torch.device = "cpu") -> Trained:
    """Rebuild and load every module of a final.pt written by a training stage."""
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
    obj = load_final(path, map_location="cpu")
    for name, net in nets.items():
        if name not in obj["modules"]:
            raise KeyError(f"{path}: no module {name!r} to initialise from; has {sorted(obj['modules'])}")
        net.load_state_dict(obj["modules"][name])
