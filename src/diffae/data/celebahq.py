"""CelebA-HQ as released with CelebAMask-HQ: `N.jpg` images plus `CelebAMask-HQ-attribute-anno.txt`.

Layout under `root` (the CelebAMask-HQ folder):
  CelebA-HQ-img/0.jpg ... 29999.jpg       1024x1024 JPEGs (a flat folder of N.jpg under root also works)
  CelebAMask-HQ-attribute-anno.txt        count line, the 40 CelebA attribute names, rows `N.jpg v1..v40` (1/-1)

Diff-AE §5.3 / Appendix E (Table 8) trains linear attribute classifiers on these 40 labels.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import numpy as np
import pandas as pd

from diffae.data.celeba import CELEBA_ATTRIBUTES, read_attribute_table
from diffae.data.errors import DatasetError
from diffae.data.images import center_crop_square, read_rgb, resize_square

IMAGE_DIR = "CelebA-HQ-img"
ANNO_FILE = "CelebAMask-HQ-attribute-anno.txt"
LAYOUT = f"expected {IMAGE_DIR}/N.jpg (or N.jpg directly under the root) and {ANNO_FILE}"


def read_celebahq_attributes(path: Union[str, Path]) -> pd.DataFrame:
    """`CelebAMask-HQ-attribute-anno.txt` -> DataFrame: `file` + the 40 `CELEBA_ATTRIBUTES` as 0/1."""
    return read_attribute_table(path, CELEBA_ATTRIBUTES)


def load_celebahq(root: Union[str, Path], image_size: int, limit: Optional[int] = None,
                  annotation: Union[str, Path, None] = None,
                  progress: bool = True) -> tuple[np.ndarray, pd.DataFrame]:
    """Read CelebA-HQ resized to `image_size` (centre-cropped to square first, a no-op for 1024x1024).

    Images come in the annotation file's row order; labels hold `file` and the 40 attributes as 0/1.
    `annotation` overrides the path of the attribute file (default: `<root>/CelebAMask-HQ-attribute-anno.txt`).
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"CelebA-HQ root {root} does not exist; {LAYOUT}")
    anno = Path(annotation) if annotation is not None else root / ANNO_FILE
    if not anno.is_file():
        raise DatasetError(f"CelebA-HQ attribute file {anno} does not exist; {LAYOUT}")
    image_dir = root / IMAGE_DIR if (root / IMAGE_DIR).is_dir() else root
    labels = read_celebahq_attributes(anno)
    if limit is not None:
        labels = labels.iloc[: int(limit)].reset_index(drop=True)

    images = np.empty((len(labels), image_size, image_size, 3), dtype=np.uint8)
    files = labels["file"].tolist()
    if progress:
        from tqdm import tqdm

        files = tqdm(files, desc="CelebA-HQ", unit="img")
    for i, name in enumerate(files):
        path = image_dir / name
        if not path.is_file():
            raise DatasetError(f"image {path} is listed in {anno.name} but missing")
        images[i] = resize_square(np.ascontiguousarray(center_crop_square(read_rgb(path))), image_size)
    return images, labels
