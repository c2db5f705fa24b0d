"""A tiny recipe and a script around it, used by tests/test_train_loop.py (not a test module).

Run as ``python tests/_tiny_recipe.py --out DIR --steps N ...`` (also under ``torchrun``).
The recipe uses dropout and draws noise from the torch, numpy and python RNGs, so a resume
is only bit-identical when all three RNG states are restored.
"""
from __future__ import annotations

import argparse
import logging
import random
import time
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import TensorDataset

from diffae.train import distributed
from diffae.config import TrainConfig, parse
from diffae.train.loop import train

DIM = 8


class TinyRecipe:
    """Denoising regression onto a frozen random linear map: 2 trainable modules + 1 frozen."""

    def __init__(self, seed: int = 1234, sleep: float = 0.0, nan_at: int | None = None) -> None:
        with torch.random.fork_rng():  # fixed init, global RNG untouched
            torch.manual_seed(seed)
            self.enc = nn.Sequential(nn.Linear(DIM, 16), nn.ReLU(), nn.Dropout(0.2))
            self.head = nn.Linear(16, DIM)
            self.target = nn.Linear(DIM, DIM)
        self.sleep = sleep
        self.nan_at = nan_at

    def modules(self) -> dict[str, nn.Module]:
        return {"enc": self.enc, "head": self.head}

    def frozen(self) -> dict[str, nn.Module]:
        return {"target": self.target}

    def loss(self, batch: list[Tensor], step: int) -> tuple[Tensor, dict[str, float | Tensor]]:
        if self.sleep:
            time.sleep(self.sleep)
        (x,) = batch
        scale = 0.1 * (1.0 + float(np.random.rand())) * (0.5 + random.random())
        xn = x + scale * torch.randn_like(x)
        mse = (self.head(self.enc(xn)) - self.target(x)).pow(2).mean()
        if self.nan_at is not None and step >= self.nan_at:
            mse = mse * float("nan")
        return mse, {"mse": mse.detach(), "noise_scale": scale}


def train_config(**knobs) -> TrainConfig:
    """A validated TrainConfig with the loop's former defaults for every knob not given."""
    defaults = dict(optimizer="adam", weight_decay=0.0, ema_decay=0.9999, ema_warmup=False, grad_clip=1.0,
                    ckpt_every=1000, log_every=100, amp=True, channels_last=False, compile=False, warmup_steps=0)
    return parse(TrainConfig, {**defaults, **knobs})


def make_dataset(n: int = 64, seed: int = 0) -> TensorDataset:
    g = torch.Generator().manual_seed(seed)
    return TensorDataset(torch.randn(n, DIM, generator=g))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--ckpt-every", type=int, default=5)
    ap.add_argument("--log-every", type=int, default=1)
    ap.add_argument("--ema-decay", type=float, default=0.9)
    ap.add_argument("--sleep", type=float, default=0.0, help="seconds per step (lets a test kill the run)")
    ap.add_argument("--nan-at", type=int, default=None)
    ap.add_argument("--rank-weights", action="store_true", help="each rank saves its final weights")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    cfg = train_config(steps=a.steps, batch_size=a.batch_size, lr=1e-2, optimizer="adamw", weight_decay=0.01,
                       ema_decay=a.ema_decay, ckpt_every=a.ckpt_every, log_every=a.log_every, warmup_steps=3)
    recipe = TinyRecipe(sleep=a.sleep, nan_at=a.nan_at)
    train(recipe, make_dataset(), cfg, a.out, seed=3, device="cpu", progress=True,
          meta={"net": "tiny", "dim": DIM})
    if a.rank_weights:
        weights = {k: m.state_dict() for k, m in recipe.modules().items()}
        torch.save(weights, Path(a.out) / f"rank{distributed.rank()}.pt")


if __name__ == "__main__":
    main()
