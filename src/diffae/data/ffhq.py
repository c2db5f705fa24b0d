"""FFHQ as PNG folders: `<root>/<NNNNN>/<NNNNN>.png` (thousands folders, as in `images1024x1024/`
or `thumbnails128x128/`) or a flat folder of `*.png`.

Diff-AE trains on FFHQ at 64/128/256 (Diff-AE §5, Tables 1-5); images are square, so loading is a resize.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import numpy as np
import pandas as pd

from diffae.data.errors import DatasetError
from diffae.data.images import center_crop_square, read_rgb, resize_square

LAYOUT = ("expected <root>/<NNNNN>/<NNNNN>.png (thousands folders, e.g. images1024x1024/ or "
          "thumbnails128x128/) or *.png directly under the root")


def _order_key(rel: Path) -> tuple:
    """Numeric order for numeric stems (00001.png < 10.png), then by relative path."""
    stem = rel.stem
    return (0, int(stem), rel.as_posix()) if stem.isdigit() else (1, 0, rel.as_posix())


def list_ffhq_files(root: Union[str, Path]) -> list[Path]:
    """The PNG files of an FFHQ folder, relative to `root`, in numeric order."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"FFHQ root {root} does not exist; {LAYOUT}")
    files = [p for p in root.glob("*.png") if p.is_file()]
    for sub in root.iterdir():
        if sub.is_dir() and sub.name.isdigit():
            files.extend(p for p in sub.glob("*.png") if p.is_file())
    if not files:
        raise DatasetError(f"no PNG images found in FFHQ root {root}; {LAYOUT}")
    return sorted((p.relative_to(root) for p in files), key=_order_key)


def load_ffhq(root: Union[str, Path], image_size: int, limit: Optional[int] = None,
              progress: bool = True) -> tuple[np.ndarray, pd.DataFrame]:
    """Read FFHQ PNGs in numeric order, resized to `image_size` (centre-cropped to square first).

    Returns uint8 images (N, image_size, image_size, 3) and labels with `file` (path relative to root).
    """
    root = Path(root)
    rel = list_ffhq_files(root)
    if limit is not None:
        rel = rel[: int(limit)]
    images = np.empty((len(rel), image_size, image_size, 3), dtype=np.uint8)
    it = rel
    if progress:
        from tqdm import tqdm

        it = tqdm(rel, desc="FFHQ", unit="img")
    for i, r in enumerate(it):
        images[i] = resize_square(np.ascontiguousarray(center_crop_square(read_rgb(root / r))), image_size)
    return images, pd.DataFrame({"file": [r.as_posix() for r in rel]})
