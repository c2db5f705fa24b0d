"""Reading the dict files that torch.save wrote (checkpoints and trained artifacts), safely and with named errors."""
from __future__ import annotations

from pathlib import Path

import torch


def load_dict(path: str | Path, keys: tuple[str, ...], map_location: str | torch.device | None) -> dict:
    """``torch.load(weights_only=True)`` of a dict holding at least `keys`; every failure names the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # corrupt file, foreign pickle, ...
        raise ValueError(f"cannot read checkpoint {path}: {exc}") from exc
    if not isinstance(obj, dict):
        raise ValueError(f"checkpoint {path}: expected a dict, got {type(obj).__name__}")
    missing = [k for k in keys if k not in obj]
    if missing:
        raise ValueError(f"checkpoint {path}: missing keys {missing} (expected {list(keys)})")
    return obj
