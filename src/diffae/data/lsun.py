"""LSUN scene/object categories (bedroom, horse) in their released LMDB form.

`<root>/<category>_<split>_lmdb/` (scene release, e.g. `bedroom_train_lmdb/`) or `<category>/` (object
release, e.g. `horse/`): any folder holding data.mdb. Keys are image ids (bytes), values are encoded
images (JPEG in the original release, WebP in some re-packs).

Diff-AE (§5, LSUN Horse/Bedroom 128) prepares LSUN by resizing the short side and centre-cropping
(official `data_resize_*.py`, LANCZOS); we centre-crop then resize with the shared bicubic
`resize_square`, the same geometry up to interpolation.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import numpy as np
import pandas as pd

from diffae.data.errors import DatasetError
from diffae.data.images import center_crop_square, decode_rgb, resize_square


def lsun_lmdb_path(root: Union[str, Path], category: str, split: str = "train") -> Path:
    """The released folder name for one category: `<root>/<category>_<split>_lmdb`."""
    return Path(root) / f"{category}_{split}_lmdb"


def _key_name(key: bytes) -> str:
    return key.decode("utf-8", errors="backslashreplace")


def load_lsun(lmdb_path: Union[str, Path], image_size: int, limit: Optional[int] = None,
              progress: bool = True) -> tuple[np.ndarray, pd.DataFrame]:
    """Read an LSUN LMDB (read-only, no lock) in key order: centre crop, then resize to `image_size`.

    Returns uint8 images (N, image_size, image_size, 3) and labels with `file` (= the LMDB key).
    """
    import lmdb

    path = Path(lmdb_path)
    if path.is_file() and path.name == "data.mdb":
        path = path.parent
    if not path.exists():
        raise DatasetError(f"LSUN LMDB {path} does not exist; expected a folder like bedroom_train_lmdb/ "
                           "holding data.mdb")
    if not (path / "data.mdb").is_file():
        raise DatasetError(f"{path} is not an LMDB folder (no data.mdb); expected e.g. bedroom_train_lmdb/")
    try:
        env = lmdb.open(str(path), readonly=True, lock=False, readahead=False, meminit=False,
                        max_readers=1, subdir=True)
    except lmdb.Error as err:
        raise DatasetError(f"{path} is not a readable LMDB: {err}") from err
    try:
        with env.begin(write=False) as txn:
            n = txn.stat()["entries"]
            if limit is not None:
                n = min(n, int(limit))
            images = np.empty((n, image_size, image_size, 3), dtype=np.uint8)
            keys: list[str] = []
            bar = None
            if progress:
                from tqdm import tqdm

                bar = tqdm(total=n, desc=f"LSUN {path.name}", unit="img")
            for key, value in txn.cursor():
                if len(keys) >= n:
                    break
                name = _key_name(bytes(key))
                img = decode_rgb(bytes(value), f"{path} key {name!r}")
                images[len(keys)] = resize_square(np.ascontiguousarray(center_crop_square(img)), image_size)
                keys.append(name)
                if bar is not None:
                    bar.update()
            if bar is not None:
                bar.close()
    except lmdb.Error as err:
        raise DatasetError(f"error reading LMDB {path}: {err}") from err
    finally:
        env.close()
    return images[: len(keys)], pd.DataFrame({"file": keys})
