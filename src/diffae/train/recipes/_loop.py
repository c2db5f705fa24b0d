"""The one bridge from a stage's params sections to the training loop and the network registry.

Every recipe module calls the loop and reads architecture sections through these two functions only.
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from diffae.config import TrainConfig
from diffae.train.loop import train
from diffae.train.recipe import Recipe


def run_loop(recipe: Recipe, data: Dataset, train_cfg: TrainConfig, out_dir: str | Path, *, seed: int,
             device: str, meta: dict, on_mismatch: str) -> Path:
    """Train `recipe` with the stage's params `train.<stage>` section, the run seed and the policy for a stale
    checkpoint (params `on_checkpoint_mismatch`); returns final.pt's path."""
    return train(recipe, data, train_cfg, out_dir, seed=seed, device=device, meta=meta,
                 on_mismatch=on_mismatch).final_path


def section_kwargs(section: Any) -> dict[str, Any]:
    """A params section (e.g. `model.unet`) as constructor kwargs, in field order."""
    return asdict(section)
