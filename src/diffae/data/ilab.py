"""iLab-20M loader for the real on-disk format (DiffuseGAE §4, GZS-Net's truncated subset).

Files are named ``<category>-iNNNN-bNNNN-cNN-rNN-lN-fN.jpg`` (e.g.
``boat-i0001-b0015-c00-r03-l0-f2.jpg``) and may sit at any depth below the root;
GZS-Net's subset nests them as ``train_img_c00_10class/c00_rNN/``.

The three attributes of DiffuseGAE §4 are identity, background (``bNNNN``) and pose
(``cNN-rNN``). Identity is the category by default (the paper's "identity(6)"); the
authors' GZS-Net code keys identity on the instance instead, available here as
``identity="instance"`` (values ``<category>-<instance>``). Value sets are read from the
files present, never hard-coded (the paper text and the authors' code disagree on them).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from diffae.data.errors import DatasetError
from diffae.data.images import center_crop_square, read_rgb, resize_square

ILAB_ATTRIBUTES: tuple[str, ...] = ("identity", "background", "pose")
IDENTITY_MODES: tuple[str, ...] = ("category", "instance")
RAW_FIELDS: tuple[str, ...] = ("category", "instance", "background", "camera", "rotation", "light", "focus")

NAME_PATTERN = "<category>-iNNNN-bNNNN-cNN-rNN-lN-fN.jpg (e.g. boat-i0001-b0015-c00-r03-l0-f2.jpg)"
EXPECTED_LAYOUT = (
    "a folder holding iLab-20M jpgs named " + NAME_PATTERN + " at any depth "
    "(GZS-Net's subset: train_img_c00_10class/c00_rNN/*.jpg)"
)

_NAME_RE = re.compile(
    r"^(?P<category>[A-Za-z0-9_]+)-(?P<instance>i\d+)-(?P<background>b\d+)-(?P<camera>c\d+)"
    r"-(?P<rotation>r\d+)-(?P<light>l\d+)-(?P<focus>f\d+)\.jpe?g$",
    re.IGNORECASE,
)


def parse_ilab_name(name: str) -> dict[str, str]:
    """Split an iLab file name (basename or path) into its raw fields.

    Returns a dict with keys category, instance ("i0001"), background ("b0015"),
    camera ("c00"), rotation ("r03"), light ("l0") and focus ("f2").
    """
    base = Path(name).name
    match = _NAME_RE.match(base)
    if match is None:
        raise DatasetError(f"malformed iLab file name {name!r}: expected {NAME_PATTERN}")
    return match.groupdict()


def _is_jpg(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in (".jpg", ".jpeg") and not path.name.startswith(".")


def scan_ilab(root: str | Path, identity: str = "category") -> pd.DataFrame:
    """Index every iLab jpg below `root`, one row per file sorted by relative path.

    Columns: ``file`` (path relative to root, POSIX), the attributes ``identity``,
    ``background`` ("bNNNN"), ``pose`` ("cNN-rNN"), then the raw fields of
    :func:`parse_ilab_name` (``background`` is both attribute and raw field).
    `identity` is "category" (DiffuseGAE §4) or "instance" (GZS-Net code: ``<category>-<instance>``).
    """
    if identity not in IDENTITY_MODES:
        raise ValueError(f"identity must be one of {IDENTITY_MODES}, got {identity!r}")
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"iLab-20M root {root} does not exist or is not a folder; expected {EXPECTED_LAYOUT}")
    files = sorted((p for p in root.rglob("*") if _is_jpg(p)), key=lambda p: p.relative_to(root).as_posix())
    if not files:
        raise DatasetError(f"iLab-20M root {root} holds no .jpg files; expected {EXPECTED_LAYOUT}")
    rows = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        try:
            fields = parse_ilab_name(path.name)
        except DatasetError as err:
            raise DatasetError(f"malformed iLab file name {root / rel}: expected {NAME_PATTERN}") from err
        ident = fields["category"] if identity == "category" else f"{fields['category']}-{fields['instance']}"
        rows.append({
            "file": rel,
            "identity": ident,
            "pose": f"{fields['camera']}-{fields['rotation']}",
            **fields,
        })
    cols = ["file", *ILAB_ATTRIBUTES] + [f for f in RAW_FIELDS if f != "background"]
    return pd.DataFrame(rows)[cols]


def load_ilab(
    root: str | Path, image_size: int, identity: str = "category", progress: bool = True
) -> tuple[np.ndarray, pd.DataFrame]:
    """Read all iLab images below `root`: centre square crop, then resize to `image_size`.

    Returns (uint8 images (N, S, S, 3), labels from :func:`scan_ilab` in the same order).
    The crop-then-resize matches GZS-Net's iLab transform (CenterCrop, Resize).
    """
    if int(image_size) < 1:
        raise ValueError(f"image_size must be a positive integer, got {image_size!r}")
    labels = scan_ilab(root, identity=identity)
    root = Path(root)
    images = np.empty((len(labels), image_size, image_size, 3), dtype=np.uint8)
    for i, rel in enumerate(tqdm(labels["file"], desc="iLab-20M", unit="img", disable=not progress)):
        img = read_rgb(root / rel)
        images[i] = resize_square(center_crop_square(img), image_size)
    return images, labels
