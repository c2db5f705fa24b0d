"""Content digests (blake2b, 128 bit) of arrays, tensors, modules and JSON-able values: what checkpoints and
partial evaluation results record to know whether they belong to the current inputs."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch

_CHUNK = 1 << 24  # bytes hashed at a time: memory-mapped arrays are read in pieces


def new_hash() -> "hashlib._Hash":
    return hashlib.blake2b(digest_size=16)


def update_with_array(h: "hashlib._Hash", a: np.ndarray | torch.Tensor) -> None:
    """Feed dtype, shape and the bytes of an array or tensor (any device) into `h`."""
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().contiguous()
        if a.dtype == torch.bfloat16:
            a = a.float()
        a = a.numpy()
    h.update(f"{a.dtype.str}{a.shape}".encode())
    flat = np.ascontiguousarray(a).reshape(-1)
    step = max(1, _CHUNK // max(1, flat.itemsize))
    for lo in range(0, flat.size, step):
        h.update(np.ascontiguousarray(flat[lo:lo + step]).view(np.uint8))


def arrays_digest(arrays: Iterable[np.ndarray | torch.Tensor], label: str = "") -> str:
    h = new_hash()
    h.update(label.encode())
    for a in arrays:
        update_with_array(h, a)
    return h.hexdigest()


def modules_digest(modules: Mapping[str, torch.nn.Module]) -> str:
    """Digest of every parameter and buffer of named modules (their weights, not their code)."""
    h = new_hash()
    for name, m in sorted(modules.items()):
        for key, t in m.state_dict().items():
            h.update(f"{name}.{key}".encode())
            update_with_array(h, t)
    return h.hexdigest()


def json_digest(value: Any) -> str:
    return hashlib.blake2b(json.dumps(value, sort_keys=True, default=str).encode(), digest_size=16).hexdigest()
