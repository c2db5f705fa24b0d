"""Procedural CIFAR-10 / CIFAR-100 stand-ins in the released python-pickle layout (DESIGN §4; SPEC §0.1, §2.7).

`write_standin_cifar(out_dir, which, ...)` writes exactly what `diffae.data.cifar.load_cifar` reads:
  cifar10   out_dir/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}
            (b'data' uint8 (N, 3072) R,G,B planes, b'labels', b'filenames', b'batch_label';
            meta b'label_names', b'num_cases_per_batch', b'num_vis')
  cifar100  out_dir/cifar-100-python/{train, test, meta}
            (b'fine_labels', b'coarse_labels'; meta b'fine_label_names', b'coarse_label_names')
Keys are bytes and the pickles protocol 2, as in the Python-2 era originals.

Images are 32x32: a shape (one of `SHAPES`) in a two-tone colour palette (`PALETTES`: body hue, inner-accent hue),
at a random position, scale and rotation on a textured background, plus pixel noise. A class is a
(shape, palette) pair, so neither the outline nor the dominant colour alone names it:
  CIFAR-10   10 classes = the first 5 shapes x palettes {ember, sunset} (red / orange bodies: the accent decides)
  CIFAR-100  `n_classes` (default 20, at most 100) fine classes, fine k = (shape k % 10, palette k // 10 of
             `CIFAR100_PALETTES`, which starts with the palettes CIFAR-10 does not use); coarse label = the shape
             (10 superclasses).
Four images in ten also carry a small distractor shape of a random colour.
Class names describe what is drawn ("ember_disc"). Image (split, class, k) depends only on (which, seed, split,
class, k); the pickles are byte-identical for the same arguments. The drawing helpers are shared with the
transfer stand-ins (`diffae.data.standin_transfer`).
"""
from __future__ import annotations

import colorsys
import math
import pickle
import shutil
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np
from PIL import Image, ImageDraw

SHAPES = ("disc", "triangle", "square", "star", "cross", "crescent", "arrow", "chevron", "bowtie", "semicircle")
PALETTES: dict[str, tuple[float, float]] = {   # (body hue, accent hue), hues in [0, 1)
    "ember": (0.00, 0.14), "ocean": (0.60, 0.48), "forest": (0.33, 0.16), "orchid": (0.80, 0.95),
    "sunset": (0.07, 0.72), "lagoon": (0.47, 0.00), "lime": (0.22, 0.62), "plum": (0.88, 0.40),
    "amber": (0.11, 0.55), "cobalt": (0.66, 0.27),
}
CIFAR10_PALETTES = ("ember", "sunset")
CIFAR100_PALETTES = ("ocean", "forest", "orchid", "lagoon", "lime", "plum", "amber", "cobalt", "ember", "sunset")
FOLDERS = {"cifar10": "cifar-10-batches-py", "cifar100": "cifar-100-python"}
SUPERSAMPLE = 2
SIZE = 32


# --- drawing primitives (shared with standin_transfer) ----------------------------------------------------


def hsv(h: float, s: float, v: float) -> tuple[int, int, int]:
    """HSV in [0, 1] (hue wraps) -> RGB 0..255."""
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, min(max(s, 0.0), 1.0), min(max(v, 0.0), 1.0))
    return int(round(255 * r)), int(round(255 * g)), int(round(255 * b))


def smooth_noise(rng: np.random.Generator, width: int, height: int, cells: int, channels: int = 3) -> np.ndarray:
    """Low-frequency noise in [0, 1], (height, width, channels): a random `cells` x `cells` grid, bicubic-upsampled."""
    grid = rng.random((cells, cells, channels))
    up = Image.fromarray((grid * 255).astype(np.uint8).squeeze()).resize((width, height), Image.BICUBIC)
    return np.asarray(up, dtype=np.float32).reshape(height, width, channels) / 255.0


def textured_background(rng: np.random.Generator, width: int, height: int, sat: float = 0.35,
                        val: tuple[float, float] = (0.35, 0.9)) -> np.ndarray:
    """Two random muted colours blended by low-frequency noise, float (height, width, 3) in 0..255."""
    a = np.array(hsv(rng.random(), rng.uniform(0, sat), rng.uniform(*val)), dtype=np.float32)
    b = np.array(hsv(rng.random(), rng.uniform(0, sat), rng.uniform(*val)), dtype=np.float32)
    t = smooth_noise(rng, width, height, int(rng.integers(2, 6)), 1)
    return a * (1 - t) + b * t


def finish(canvas: Union[Image.Image, np.ndarray], rng: np.random.Generator, noise: float,
           size: Optional[tuple[int, int]] = None) -> np.ndarray:
    """Downsample a supersampled canvas to `size` (W, H) (default: by SUPERSAMPLE) and add Gaussian pixel noise."""
    img = canvas if isinstance(canvas, Image.Image) else Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
    w, h = size or (img.width // SUPERSAMPLE, img.height // SUPERSAMPLE)
    arr = np.asarray(img.resize((w, h), Image.LANCZOS), dtype=np.float32)
    return np.clip(arr + rng.normal(0.0, noise, arr.shape), 0, 255).round().astype(np.uint8)


def transform(points: Sequence[tuple[float, float]], cx: float, cy: float, scale: float, angle: float,
              sx: float = 1.0) -> list[tuple[float, float]]:
    """Unit-coordinate points (y up) -> canvas: stretch x by `sx`, rotate by `angle`, scale, move to (cx, cy)."""
    ca, sa = math.cos(angle), math.sin(angle)
    return [(cx + scale * (x * sx * ca - y * sa), cy - scale * (x * sx * sa + y * ca)) for x, y in points]


def _arc(r: float, a0: float, a1: float, n: int, dx: float = 0.0) -> list[tuple[float, float]]:
    return [(dx + r * math.cos(a0 + (a1 - a0) * i / (n - 1)), r * math.sin(a0 + (a1 - a0) * i / (n - 1)))
            for i in range(n)]


def shape_points(shape: str) -> list[tuple[float, float]]:
    """Outline of one of `SHAPES` in unit coordinates (within the unit disc)."""
    if shape == "disc":
        return _arc(0.9, 0, 2 * math.pi, 32)[:-1]
    if shape == "triangle":
        return [(math.cos(a), math.sin(a)) for a in (math.pi / 2, math.pi * 7 / 6, math.pi * 11 / 6)]
    if shape == "square":
        return [(-0.72, -0.72), (0.72, -0.72), (0.72, 0.72), (-0.72, 0.72)]
    if shape == "star":
        return [((1.0 if i % 2 == 0 else 0.42) * math.cos(math.pi / 2 + i * math.pi / 5),
                 (1.0 if i % 2 == 0 else 0.42) * math.sin(math.pi / 2 + i * math.pi / 5)) for i in range(10)]
    if shape == "cross":
        a, b = 0.95, 0.3
        return [(-b, a), (b, a), (b, b), (a, b), (a, -b), (b, -b), (b, -a), (-b, -a), (-b, -b), (-a, -b), (-a, b),
                (-b, b)]
    if shape == "crescent":
        return _arc(0.95, math.pi / 2, 3 * math.pi / 2, 16) + _arc(0.75, 3 * math.pi / 2 - 0.45, math.pi / 2 + 0.45,
                                                                       14, dx=-0.25)
    if shape == "arrow":
        return [(-0.95, 0.22), (0.15, 0.22), (0.15, 0.6), (0.95, 0.0), (0.15, -0.6), (0.15, -0.22), (-0.95, -0.22)]
    if shape == "chevron":
        return [(-0.9, 0.8), (-0.35, 0.8), (0.55, 0.0), (-0.35, -0.8), (-0.9, -0.8), (0.0, 0.0)]
    if shape == "bowtie":
        return [(-0.95, 0.8), (0.0, 0.18), (0.95, 0.8), (0.95, -0.8), (0.0, -0.18), (-0.95, -0.8)]
    if shape == "semicircle":
        return _arc(0.95, 0, math.pi, 18, dx=0.0)
    raise ValueError(f"unknown shape {shape!r}; expected one of {SHAPES}")


# --- CIFAR classes -----------------------------------------------------------------------------------------


def cifar_classes(which: str, n_classes: Optional[int] = None) -> list[tuple[str, str]]:
    """(shape, palette) of each class of the stand-in `which` (see the module docstring)."""
    if which == "cifar10":
        if n_classes not in (None, 10):
            raise ValueError(f"the CIFAR-10 stand-in has 10 classes, got n_classes={n_classes}")
        return [(SHAPES[k // 2], CIFAR10_PALETTES[k % 2]) for k in range(10)]
    if which == "cifar100":
        n = 20 if n_classes is None else int(n_classes)
        if not 2 <= n <= 100:
            raise ValueError(f"n_classes for the CIFAR-100 stand-in must be in 2..100, got {n}")
        return [(SHAPES[k % 10], CIFAR100_PALETTES[k // 10]) for k in range(n)]
    raise ValueError(f"which must be one of {sorted(FOLDERS)}, got {which!r}")


def render_cifar(shape: str, palette: str, rng: np.random.Generator, size: int = SIZE) -> np.ndarray:
    """One (size, size, 3) uint8 image of the class (shape, palette): pose, scale, colours, background and noise
    are drawn from `rng`."""
    big = size * SUPERSAMPLE
    canvas = Image.fromarray(textured_background(rng, big, big).astype(np.uint8))
    d = ImageDraw.Draw(canvas)
    body_h, accent_h = PALETTES[palette]
    body = hsv(body_h + rng.normal(0, 0.025), rng.uniform(0.55, 1.0), rng.uniform(0.55, 1.0))
    accent = hsv(accent_h + rng.normal(0, 0.025), rng.uniform(0.45, 1.0), rng.uniform(0.6, 1.0))
    scale = big * rng.uniform(0.22, 0.42)
    cx, cy = big * (0.5 + rng.uniform(-0.15, 0.15)), big * (0.5 + rng.uniform(-0.15, 0.15))
    angle, sx = rng.uniform(0, 2 * math.pi), rng.uniform(0.8, 1.2)
    outline = shape_points(shape)
    d.polygon(transform(outline, cx, cy, scale, angle, sx), fill=body)
    inner = rng.uniform(0.35, 0.55)
    d.polygon(transform(outline, cx, cy, scale * inner, angle, sx), fill=accent)
    if rng.random() < 0.4:                                      # distractor
        other = shape_points(SHAPES[int(rng.integers(len(SHAPES)))])
        x, y, r = big * rng.uniform(0.1, 0.9), big * rng.uniform(0.1, 0.9), big * rng.uniform(0.06, 0.12)
        d.polygon(transform(other, x, y, r, rng.uniform(0, 2 * math.pi)),
                  fill=hsv(rng.random(), rng.uniform(0.3, 1), rng.uniform(0.3, 1)))
    return finish(canvas, rng, noise=rng.uniform(3.0, 9.0))


# --- writer ------------------------------------------------------------------------------------------------


def _images(which: str, classes: list[tuple[str, str]], split: str, n_per_class: int,
            seed: int) -> tuple[np.ndarray, list[int], list[int]]:
    """Images (N, 3072) in shuffled order, their class and per-class index."""
    wid, sid = list(FOLDERS).index(which), ("train", "test").index(split)
    order = [(c, k) for c in range(len(classes)) for k in range(n_per_class)]
    perm = np.random.default_rng([int(seed), wid, sid, 99]).permutation(len(order))
    order = [order[i] for i in perm]
    data = np.empty((len(order), 3 * SIZE * SIZE), dtype=np.uint8)
    for i, (c, k) in enumerate(order):
        img = render_cifar(*classes[c], np.random.default_rng([int(seed), wid, sid, c, k]))
        data[i] = img.transpose(2, 0, 1).reshape(-1)            # R, G, B planes, each 32x32 row-major
    return data, [c for c, _ in order], [k for _, k in order]


def _dump(path: Path, obj: dict) -> None:
    with open(path, "wb") as fh:
        pickle.dump(obj, fh, protocol=2)


def write_standin_cifar(out_dir: Union[str, Path], which: str = "cifar10", n_train_per_class: int = 60,
                        n_test_per_class: int = 30, seed: int = 0, n_classes: Optional[int] = None) -> dict[str, int]:
    """Write the CIFAR stand-in `which` under `out_dir` (the loader's root); returns {split: n_images}.

    The folder is built beside its target and moved into place, so an interrupted run leaves no partial set.
    `n_classes` only applies to cifar100 (default 20)."""
    if n_train_per_class < 1 or n_test_per_class < 1:
        raise ValueError(f"n_train_per_class and n_test_per_class must be >= 1, got {n_train_per_class}, "
                         f"{n_test_per_class}")
    classes = cifar_classes(which, n_classes)
    names = [f"{palette}_{shape}" for shape, palette in classes]
    target = Path(out_dir) / FOLDERS[which]
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    counts = {}
    for split, n in (("train", n_train_per_class), ("test", n_test_per_class)):
        data, labels, index = _images(which, classes, split, n, seed)
        offset = 0 if split == "train" else n_train_per_class   # file names unique across the splits
        files = [f"{names[c]}_s_{k + offset:06d}.png".encode() for c, k in zip(labels, index)]
        counts[split] = len(labels)
        if which == "cifar100":
            coarse = [SHAPES.index(classes[c][0]) for c in labels]
            _dump(tmp / split, {b"filenames": files, b"batch_label": f"{split}ing batch 1 of 1".encode(),
                                b"fine_labels": labels, b"coarse_labels": coarse, b"data": data})
        elif split == "test":
            _dump(tmp / "test_batch", {b"batch_label": b"testing batch 1 of 1", b"labels": labels, b"data": data,
                                       b"filenames": files})
        else:                                                   # five training batches, as the original
            bounds = np.linspace(0, len(labels), 6).round().astype(int)
            for b in range(5):
                s = slice(bounds[b], bounds[b + 1])
                _dump(tmp / f"data_batch_{b + 1}", {b"batch_label": f"training batch {b + 1} of 5".encode(),
                                                    b"labels": labels[s], b"data": data[s], b"filenames": files[s]})
    if which == "cifar100":
        _dump(tmp / "meta", {b"fine_label_names": [n.encode() for n in names],
                             b"coarse_label_names": [s.encode() for s in SHAPES]})
    else:
        _dump(tmp / "batches.meta", {b"num_cases_per_batch": int(np.ceil(counts["train"] / 5)),
                                     b"label_names": [n.encode() for n in names], b"num_vis": 3 * SIZE * SIZE})
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return counts
