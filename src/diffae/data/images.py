"""Reading and resizing images; every failure names the offending file."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from diffae.data.errors import DatasetError


def read_rgb(path: str | Path) -> np.ndarray:
    """Read an image file as uint8 RGB, shape (H, W, 3)."""
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise DatasetError(f"unreadable image {path}: {err}") from err


def decode_rgb(blob: bytes, name: str) -> np.ndarray:
    """Decode encoded image bytes (e.g. an LMDB value) as uint8 RGB; `name` is used in errors."""
    import io

    try:
        with Image.open(io.BytesIO(blob)) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise DatasetError(f"unreadable image {name}: {err}") from err


def resize_square(img: np.ndarray, size: int) -> np.ndarray:
    """Resize uint8 (H, W, 3) to (size, size, 3) with antialiased bicubic (PIL), as Diff-AE's loaders do."""
    if img.shape[0] == size and img.shape[1] == size:
        return img
    return np.asarray(Image.fromarray(img).resize((size, size), Image.BICUBIC), dtype=np.uint8)


def center_crop_square(img: np.ndarray) -> np.ndarray:
    """Largest centred square crop of (H, W, C)."""
    h, w = img.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    return img[top : top + s, left : left + s]


def to_model_range(images_uint8: np.ndarray):
    """uint8 NHWC -> float32 torch NCHW in [-1, 1] (the models' convention)."""
    import torch

    a = np.ascontiguousarray(images_uint8)
    x = torch.from_numpy(a if a.flags.writeable else a.copy()).permute(0, 3, 1, 2).float()  # memory-mapped: copy
    return x / 127.5 - 1.0


def to_uint8(x) -> np.ndarray:
    """float torch NCHW in [-1, 1] -> uint8 NHWC numpy (clamped)."""
    x = ((x.detach().float().clamp(-1, 1) + 1) * 127.5).round().to("cpu")
    return x.permute(0, 2, 3, 1).numpy().astype(np.uint8)


def squeeze_gray(images: np.ndarray) -> np.ndarray:
    """Figure tiles from uint8 NHWC: one channel squeezed to (N, H, W), colour kept."""
    return images[..., 0] if images.shape[-1] == 1 else images


def to_tiles(x) -> np.ndarray:
    """Figure tiles: float torch NCHW in [-1, 1] -> uint8 (N, H, W, C), one channel squeezed to (N, H, W)."""
    return squeeze_gray(to_uint8(x))
