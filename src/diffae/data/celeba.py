"""CelebA in its released on-disk layout, read without torchvision (which md5-checks the text files).

Layout under `root`:
  img_align_celeba/000001.jpg ...   aligned 178x218 (W x H) JPEGs
  list_attr_celeba.txt              line 1: image count; line 2: the 40 attribute names;
                                    then `<file> <40 values of 1/-1>` separated by one or more spaces
  list_eval_partition.txt           `<file> <0|1|2>` = train / valid / test

Diff-AE (§5.6 / Table 3, §5.7) uses CelebA-64 with the D2C crop (`d2c_crop`) followed by a resize.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
import pandas as pd

from diffae.data.errors import DatasetError
from diffae.data.images import read_rgb, resize_square

CELEBA_ATTRIBUTES: tuple[str, ...] = (
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive", "Bags_Under_Eyes", "Bald", "Bangs",
    "Big_Lips", "Big_Nose", "Black_Hair", "Blond_Hair", "Blurry", "Brown_Hair", "Bushy_Eyebrows",
    "Chubby", "Double_Chin", "Eyeglasses", "Goatee", "Gray_Hair", "Heavy_Makeup", "High_Cheekbones",
    "Male", "Mouth_Slightly_Open", "Mustache", "Narrow_Eyes", "No_Beard", "Oval_Face", "Pale_Skin",
    "Pointy_Nose", "Receding_Hairline", "Rosy_Cheeks", "Sideburns", "Smiling", "Straight_Hair",
    "Wavy_Hair", "Wearing_Earrings", "Wearing_Hat", "Wearing_Lipstick", "Wearing_Necklace",
    "Wearing_Necktie", "Young",
)
"""The 40 CelebA attribute names in the official order of `list_attr_celeba.txt`."""

IMAGE_DIR = "img_align_celeba"
ATTR_FILE = "list_attr_celeba.txt"
PARTITION_FILE = "list_eval_partition.txt"
PARTITIONS: tuple[str, ...] = ("train", "valid", "test")  # codes 0, 1, 2 of list_eval_partition.txt

# D2C crop window (D2C, Sinha et al. 2021; used by Diff-AE for CelebA-64, §5.6 / Table 3):
# centre (x=89, y=121) of the 178x218 aligned image, 128x128 -> rows 57..184, cols 25..152.
D2C_TOP, D2C_LEFT, D2C_SIZE = 57, 25, 128

LAYOUT = (f"expected {IMAGE_DIR}/NNNNNN.jpg, {ATTR_FILE} and {PARTITION_FILE} "
          "(the released 'Align&Cropped Images' layout)")


def read_attribute_table(path: Union[str, Path], expected_names: Sequence[str] = CELEBA_ATTRIBUTES) -> pd.DataFrame:
    """Parse a CelebA-style attribute file (count line, names line, `<file> v1..vK` rows of 1/-1).

    Shared by `list_attr_celeba.txt` and CelebA-HQ's `CelebAMask-HQ-attribute-anno.txt`.
    Returns a DataFrame with `file` and one int8 0/1 column per attribute, in file order.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"attribute file {path} does not exist")
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"cannot read attribute file {path}: {err}") from err
    if len(lines) < 2:
        raise DatasetError(f"{path}: expected a count line and an attribute-names line, got {len(lines)} line(s)")
    try:
        count = int(lines[0].strip())
    except ValueError:
        raise DatasetError(f"{path} line 1: expected the image count, got {lines[0]!r}") from None
    names = lines[1].split()
    if tuple(names) != tuple(expected_names):
        raise DatasetError(f"{path} line 2: expected the {len(expected_names)} attribute names "
                           f"{list(expected_names)}, got {names}")
    k = len(names)
    files: list[str] = []
    values = np.empty((max(len(lines) - 2, 0), k), dtype=np.int8)
    for lineno, line in enumerate(lines[2:], start=3):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != k + 1:
            raise DatasetError(f"{path} line {lineno}: expected a file name and {k} values of 1/-1, "
                               f"got {len(parts)} fields")
        row = len(files)
        for j, tok in enumerate(parts[1:]):
            if tok == "1":
                values[row, j] = 1
            elif tok == "-1":
                values[row, j] = 0
            else:
                raise DatasetError(f"{path} line {lineno}: attribute {names[j]} has value {tok!r}, expected 1 or -1")
        files.append(parts[0])
    if len(files) != count:
        raise DatasetError(f"{path}: line 1 announces {count} images but {len(files)} rows follow")
    table = pd.DataFrame(values[: len(files)], columns=list(names))
    table.insert(0, "file", files)
    return table


def read_celeba_attributes(path: Union[str, Path]) -> pd.DataFrame:
    """`list_attr_celeba.txt` -> DataFrame: `file` + the 40 `CELEBA_ATTRIBUTES` as 0/1 (from 1/-1)."""
    return read_attribute_table(path, CELEBA_ATTRIBUTES)


def read_celeba_partition(path: Union[str, Path]) -> pd.DataFrame:
    """`list_eval_partition.txt` -> DataFrame with `file` and `partition` ("train" / "valid" / "test")."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"partition file {path} does not exist")
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"cannot read partition file {path}: {err}") from err
    files, parts = [], []
    for lineno, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
            raise DatasetError(f"{path} line {lineno}: expected `<file> <0|1|2>`, got {line!r}")
        files.append(fields[0])
        parts.append(PARTITIONS[int(fields[1])])
    return pd.DataFrame({"file": files, "partition": parts})


def d2c_crop(img: np.ndarray) -> np.ndarray:
    """The D2C CelebA crop: rows 57..184, cols 25..152 (128x128) of an aligned 218x178 image.

    D2C (Sinha et al., 2021) crop as used by Diff-AE for CelebA-64 (Diff-AE §5.6 / Table 3:
    "with the same crop used by D2C"); centre (x=89, y=121), half-size 64.
    """
    h, w = img.shape[:2]
    if h < D2C_TOP + D2C_SIZE or w < D2C_LEFT + D2C_SIZE:
        raise ValueError(f"d2c_crop needs an image of at least {D2C_TOP + D2C_SIZE}x{D2C_LEFT + D2C_SIZE} (HxW), "
                         f"got {h}x{w}; expected an aligned CelebA image (218x178)")
    return img[D2C_TOP: D2C_TOP + D2C_SIZE, D2C_LEFT: D2C_LEFT + D2C_SIZE]


def _partition_name(partition: Union[str, int, None]) -> Optional[str]:
    if partition is None:
        return None
    if isinstance(partition, (int, np.integer)) and 0 <= int(partition) < len(PARTITIONS):
        return PARTITIONS[int(partition)]
    if partition in PARTITIONS:
        return str(partition)
    raise ValueError(f"partition must be None, one of {PARTITIONS} or 0/1/2, got {partition!r}")


def load_celeba(root: Union[str, Path], image_size: int, partition: Union[str, int, None] = None,
                limit: Optional[int] = None, progress: bool = True) -> tuple[np.ndarray, pd.DataFrame]:
    """Read CelebA from its released layout: D2C crop, then resize to `image_size` (Diff-AE CelebA-64).

    Returns uint8 images (N, image_size, image_size, 3) in the order of `list_attr_celeba.txt`
    and labels with `file`, `partition` and the 40 attributes as 0/1. `partition` keeps one
    official split ("train"/"valid"/"test" or 0/1/2); `limit` keeps the first `limit` rows.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"CelebA root {root} does not exist; {LAYOUT}")
    for name in (ATTR_FILE, PARTITION_FILE):
        if not (root / name).is_file():
            raise DatasetError(f"CelebA root {root} lacks {name}; {LAYOUT}")
    image_dir = root / IMAGE_DIR
    if not image_dir.is_dir():
        raise DatasetError(f"CelebA root {root} lacks the folder {IMAGE_DIR}/; {LAYOUT}")
    attrs = read_celeba_attributes(root / ATTR_FILE)
    parts = read_celeba_partition(root / PARTITION_FILE).set_index("file")["partition"]
    missing = attrs["file"][~attrs["file"].isin(parts.index)]
    if len(missing):
        raise DatasetError(f"{root / PARTITION_FILE} has no partition for {len(missing)} image(s) listed in "
                           f"{ATTR_FILE}, e.g. {missing.iloc[0]}")
    labels = attrs.copy()
    labels.insert(1, "partition", parts.loc[attrs["file"]].to_numpy())
    wanted = _partition_name(partition)
    if wanted is not None:
        labels = labels[labels["partition"] == wanted]
    if limit is not None:
        labels = labels.iloc[: int(limit)]
    labels = labels.reset_index(drop=True)

    images = np.empty((len(labels), image_size, image_size, 3), dtype=np.uint8)
    files = labels["file"].tolist()
    if progress:
        from tqdm import tqdm

        files = tqdm(files, desc="CelebA", unit="img")
    for i, name in enumerate(files):
        path = image_dir / name
        if not path.is_file():
            raise DatasetError(f"image {path} is listed in {ATTR_FILE} but missing")
        img = read_rgb(path)
        try:
            cropped = d2c_crop(img)
        except ValueError as err:
            raise DatasetError(f"image {path}: {err}") from err
        images[i] = resize_square(np.ascontiguousarray(cropped), image_size)
    return images, labels
