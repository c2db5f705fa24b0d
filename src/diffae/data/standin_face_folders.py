"""The cartoon faces of `standin_faces` written as FFHQ and as CelebA-HQ (DESIGN §4 stand-ins).

Diff-AE trains on FFHQ and tests on CelebA-HQ (Tables 1, 2; §5). Both are square, face-centred images, so
a stand-in face is the D2C window of a cartoon face (rows 57..184, cols 25..152 of the 178x218 frame, the
face inside it for every draw) resized to `image_size`:

  write_standin_ffhq      <root>/00000/00000.png ... thousands folders of PNGs, as FFHQ's images1024x1024/
                          (what `diffae.data.ffhq.load_ffhq` reads)
  write_standin_celebahq  <root>/CelebA-HQ-img/0.jpg ... and CelebAMask-HQ-attribute-anno.txt with the 40
                          attributes (what `diffae.data.celebahq.load_celebahq` reads)

Face i depends only on (seed, i); FFHQ (train) and CelebA-HQ (test) take different seeds (checked in
params), so no test face is a training face. Each tree is byte-identical for the same arguments.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image

from diffae.data.celeba import CELEBA_ATTRIBUTES, d2c_crop
from diffae.data.celebahq import ANNO_FILE, IMAGE_DIR
from diffae.data.images import resize_square
from diffae.data.standin_faces import JPEG_QUALITY, face_for_index, render_face
from diffae.utils.atomic import atomic_path, atomic_write_text


def square_face(seed: int, index: int, image_size: int) -> tuple[dict[str, int], np.ndarray]:
    """Attributes (1/-1) and the face-centred square image (uint8, image_size^2 x 3) of face `index`."""
    attrs, style = face_for_index(seed, index)
    return attrs, resize_square(np.ascontiguousarray(d2c_crop(render_face(attrs, style))), image_size)


def _check(n_images: int, image_size: int) -> None:
    if n_images < 1:
        raise ValueError(f"n_images must be >= 1, got {n_images}")
    if image_size < 8:
        raise ValueError(f"image_size must be >= 8, got {image_size}")


def _remove_stale(folder: Path, pattern: str, keep: set[str]) -> None:
    """Files of an earlier, larger run that this one does not write (the tree is a function of its args)."""
    for path in folder.iterdir():
        if path.is_file() and re.fullmatch(pattern, path.name) and path.name not in keep:
            path.unlink()


def write_standin_ffhq(out_root: Union[str, Path], n_images: int = 240, image_size: int = 64,
                       seed: int = 1) -> int:
    """Write `n_images` cartoon faces as FFHQ PNGs (`<out_root>/<thousands>/<NNNNN>.png`); returns the count."""
    _check(n_images, image_size)
    out_root = Path(out_root)
    written: dict[Path, set[str]] = {}
    for i in range(n_images):
        folder = out_root / f"{i // 1000 * 1000:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{i:05d}.png"
        _, img = square_face(seed, i, image_size)
        with atomic_path(folder / name) as tmp:
            Image.fromarray(img).save(tmp, format="PNG")
        written.setdefault(folder, set()).add(name)
    for folder in out_root.iterdir():
        if folder.is_dir() and re.fullmatch(r"\d{5}", folder.name):
            _remove_stale(folder, r"\d{5}\.png", written.get(folder, set()))
    return n_images


def write_standin_celebahq(out_root: Union[str, Path], n_images: int = 64, image_size: int = 64,
                           seed: int = 2) -> int:
    """Write `n_images` cartoon faces as CelebA-HQ (`CelebA-HQ-img/N.jpg` + the attribute file); returns the count.

    The attribute file is written last, so a tree with the file is complete.
    """
    _check(n_images, image_size)
    out_root = Path(out_root)
    image_dir = out_root / IMAGE_DIR
    image_dir.mkdir(parents=True, exist_ok=True)
    rows, names = [], []
    for i in range(n_images):
        name = f"{i}.jpg"
        attrs, img = square_face(seed, i, image_size)
        with atomic_path(image_dir / name) as tmp:
            Image.fromarray(img).save(tmp, format="JPEG", quality=JPEG_QUALITY)
        rows.append(f"{name} " + " ".join(f"{attrs[a]:2d}" for a in CELEBA_ATTRIBUTES))
        names.append(name)
    _remove_stale(image_dir, r"\d+\.jpg", set(names))
    header = f"{n_images}\n" + " ".join(CELEBA_ATTRIBUTES) + "\n"
    atomic_write_text(out_root / ANNO_FILE, header + "\n".join(rows) + "\n")
    return n_images
