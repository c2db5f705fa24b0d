"""Checkpoint files of the training loop (DESIGN.md Sec. 7).

Two files per run directory:

* ``checkpoints/last.pt`` -- everything needed to resume bit-identically: module and EMA
  weights, optimizer state, the number of completed steps, the global RNG states of every
  rank, the loop config and the caller's ``meta``.
* ``final.pt`` -- what downstream stages load: per-module weights (EMA weights when EMA is
  on, raw weights otherwise), ``meta`` (the caller's description of the networks), the step
  count and the loop config. Read it with :func:`diffae.artifacts.load_final`.

Both are written atomically (temporary file in the same folder, then ``os.replace``), so a
crash while saving leaves the previous file intact. Files hold only tensors and plain
Python containers and are read with ``torch.load(weights_only=True)``.
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from diffae.utils.atomic import atomic_path
from diffae.utils.torch_files import load_dict

LAST_KEYS = ("step", "modules", "ema", "optimizer", "rng", "config", "meta")


def save_atomic(obj: dict, path: str | Path) -> None:
    """``torch.save`` to a temporary file next to ``path``, then rename it over ``path``.

    Saved through a file handle: given a path, torch names the archive inside after the (random) temporary
    file, and equal checkpoints would differ in their bytes."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            torch.save(obj, fh)


def load_checkpoint(path: str | Path, map_location: str | torch.device | None = "cpu") -> dict:
    """Read a resumable ``last.pt`` written by the loop; keys: ``LAST_KEYS``."""
    return load_dict(path, LAST_KEYS, map_location)


def save_final(
    path: str | Path,
    modules: dict[str, dict[str, torch.Tensor]],
    meta: dict[str, Any],
    step: int,
    ema: bool,
    config: dict[str, Any],
) -> None:
    """Write ``final.pt`` (keys ``diffae.artifacts.FINAL_KEYS``): per-module state dicts plus the caller's ``meta``."""
    save_atomic({"modules": modules, "meta": meta, "step": int(step), "ema": bool(ema), "config": config}, path)


# --------------------------------------------------------------------------- RNG state

def capture_rng_state(device: torch.device | None = None) -> dict[str, Any]:
    """The global torch / numpy / python (and CUDA, on a CUDA device) RNG states."""
    np_state = np.random.get_state()
    py_version, py_internal, py_gauss = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "kind": str(np_state[0]),
            "keys": torch.from_numpy(np_state[1].astype(np.int64)),
            "pos": int(np_state[2]),
            "has_gauss": int(np_state[3]),
            "cached_gaussian": float(np_state[4]),
        },
        "python": {"version": py_version, "internal": list(py_internal), "gauss_next": py_gauss},
    }
    if device is not None and device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def restore_rng_state(state: dict[str, Any], device: torch.device | None = None) -> None:
    """Inverse of :func:`capture_rng_state`."""
    torch.set_rng_state(state["torch"].cpu())
    n = state["numpy"]
    np.random.set_state(
        (n["kind"], n["keys"].cpu().numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"])
    )
    p = state["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss_next"]))
    if device is not None and device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"].cpu(), device)
