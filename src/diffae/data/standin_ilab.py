"""Procedural stand-in for iLab-20M, written in the real on-disk format (DESIGN.md §4).

One JPEG per (identity, background, pose) combination, named like the real files
(``<category>-i0001-bNNNN-c00-rNN-l0-f2.jpg``) under
``<out_root>/train_img_c00_10class/c00_rNN/`` so that :func:`diffae.data.ilab.scan_ilab`
reads it unchanged. The three factors of DiffuseGAE §4 are drawn as

* identity   -> the silhouette of a toy vehicle (one distinct shape per category),
* background -> a textured backdrop (distinct colour and pattern per ``bNNNN``),
* pose       -> the in-plane rotation of the vehicle (``rNN``; camera fixed at ``c00``),

plus a small seeded position/scale jitter per image, i.e. variation that no attribute
explains (something for the noise map x_T to carry). Everything is drawn at 4x and
box-downsampled for antialiasing. Output bytes depend only on the arguments.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from diffae.data.ilab import parse_ilab_name
from diffae.utils.atomic import atomic_path

ILAB_CATEGORIES: tuple[str, ...] = (
    "boat", "bus", "car", "equip", "f1car", "heli", "mil", "monster",
    "pickup", "plane", "semi", "tank", "train", "ufo", "van",
)
STANDIN_FOLDER = "train_img_c00_10class"
_SUPERSAMPLE = 4
_JPEG_QUALITY = 92
_DARK = (35, 35, 40)

# --- silhouettes: parts in unit coordinates (x right, y up, roughly within [-1, 1]) -------------
# each part is (polygon points, role) with role "body" (category colour) or "dark" (wheels, windows)


def _rect(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _ellipse(cx: float, cy: float, rx: float, ry: float, n: int = 20) -> list[tuple[float, float]]:
    return [(cx + rx * math.cos(2 * math.pi * k / n), cy + ry * math.sin(2 * math.pi * k / n)) for k in range(n)]


def _wheel(cx: float, cy: float, r: float) -> tuple[list[tuple[float, float]], str]:
    return (_ellipse(cx, cy, r, r, 14), "dark")


_SHAPES: dict[str, list[tuple[list[tuple[float, float]], str]]] = {
    "boat": [([(-0.95, 0.0), (0.95, 0.0), (0.65, -0.35), (-0.75, -0.35)], "body"),
             ([(-0.05, 0.05), (-0.05, 0.85), (0.55, 0.05)], "body"),
             (_rect(-0.12, 0.0, -0.05, 0.9), "dark")],
    "bus": [(_rect(-0.95, -0.3, 0.95, 0.45), "body"),
            *[(_rect(x, 0.12, x + 0.22, 0.35), "dark") for x in (-0.8, -0.5, -0.2, 0.1, 0.4)],
            _wheel(-0.6, -0.35, 0.15), _wheel(0.6, -0.35, 0.15)],
    "car": [(_rect(-0.9, -0.25, 0.9, 0.1), "body"),
            ([(-0.45, 0.1), (0.35, 0.1), (0.15, 0.42), (-0.3, 0.42)], "body"),
            _wheel(-0.55, -0.28, 0.17), _wheel(0.55, -0.28, 0.17)],
    "equip": [(_rect(-0.7, -0.3, 0.2, 0.2), "body"), (_rect(-0.55, 0.2, -0.1, 0.55), "body"),
              ([(0.1, 0.1), (0.75, 0.7), (0.85, 0.6), (0.25, 0.0)], "body"),
              ([(0.7, 0.65), (0.98, 0.2), (0.7, 0.2)], "dark"),
              (_rect(-0.8, -0.55, 0.3, -0.3), "dark")],
    "f1car": [([(-0.95, -0.15), (0.95, -0.1), (0.95, -0.02), (-0.2, 0.12), (-0.95, 0.05)], "body"),
              (_rect(-0.98, 0.05, -0.8, 0.35), "body"),
              _wheel(-0.6, -0.15, 0.22), _wheel(0.6, -0.12, 0.2)],
    "heli": [(_ellipse(-0.2, 0.0, 0.45, 0.3), "body"), (_rect(0.2, -0.05, 0.95, 0.07), "body"),
             (_rect(0.85, 0.07, 0.95, 0.3), "body"), (_rect(-0.95, 0.38, 0.55, 0.45), "dark"),
             (_rect(-0.25, 0.28, -0.15, 0.4), "dark"), (_rect(-0.6, -0.45, 0.2, -0.38), "dark")],
    "mil": [([(-0.9, -0.25), (0.9, -0.25), (0.9, 0.15), (0.55, 0.45), (-0.9, 0.45)], "body"),
            *[_wheel(x, -0.3, 0.15) for x in (-0.6, -0.2, 0.2, 0.6)]],
    "monster": [(_rect(-0.55, 0.0, 0.55, 0.3), "body"),
                ([(-0.25, 0.3), (0.25, 0.3), (0.15, 0.55), (-0.2, 0.55)], "body"),
                _wheel(-0.55, -0.25, 0.38), _wheel(0.55, -0.25, 0.38)],
    "pickup": [(_rect(-0.9, -0.2, 0.9, 0.1), "body"), ([(0.0, 0.1), (0.6, 0.1), (0.45, 0.45), (0.0, 0.45)], "body"),
               (_rect(-0.9, 0.1, -0.8, 0.3), "body"),
               _wheel(-0.55, -0.25, 0.17), _wheel(0.55, -0.25, 0.17)],
    "plane": [(_ellipse(0.0, 0.0, 0.95, 0.13), "body"),
              ([(-0.15, 0.0), (0.25, 0.0), (-0.05, 0.75), (-0.25, 0.75)], "body"),
              ([(-0.15, 0.0), (0.25, 0.0), (-0.05, -0.75), (-0.25, -0.75)], "body"),
              ([(-0.95, 0.0), (-0.7, 0.0), (-0.85, 0.4)], "body")],
    "semi": [(_rect(-0.95, -0.15, 0.35, 0.5), "body"), ([(0.42, -0.15), (0.95, -0.15), (0.95, 0.3), (0.6, 0.35), (0.42, 0.35)], "body"),
             (_rect(0.65, 0.1, 0.85, 0.28), "dark"),
             *[_wheel(x, -0.22, 0.12) for x in (-0.75, -0.5, 0.15, 0.75)]],
    "tank": [(_rect(-0.85, -0.2, 0.65, 0.1), "body"), (_ellipse(-0.15, 0.2, 0.35, 0.15), "body"),
             (_rect(0.15, 0.17, 1.0, 0.25), "body"),
             ([(-0.95, -0.2), (0.75, -0.2), (0.6, -0.5), (-0.8, -0.5)], "dark")],
    "train": [(_rect(-0.95, -0.25, 0.6, 0.3), "body"), ([(0.6, -0.25), (0.98, -0.25), (0.6, 0.3)], "body"),
              (_rect(-0.7, 0.3, -0.5, 0.6), "body"), (_rect(0.2, 0.3, 0.6, 0.5), "body"),
              *[_wheel(x, -0.3, 0.13) for x in (-0.7, -0.35, 0.0, 0.35)]],
    "ufo": [(_ellipse(0.0, 0.0, 0.95, 0.2), "body"), (_ellipse(0.0, 0.2, 0.38, 0.3), "dark"),
            *[(_ellipse(x, -0.02, 0.07, 0.07, 8), "dark") for x in (-0.6, -0.2, 0.2, 0.6)]],
    "van": [([(-0.9, -0.25), (0.9, -0.25), (0.9, 0.15), (0.55, 0.55), (-0.9, 0.55)], "body"),
            ([(0.5, 0.15), (0.85, 0.15), (0.55, 0.48)], "dark"),
            _wheel(-0.55, -0.3, 0.17), _wheel(0.55, -0.3, 0.17)],
}
_BODY_COLOURS: tuple[tuple[int, int, int], ...] = (
    (240, 240, 235), (250, 200, 40), (220, 40, 40), (250, 140, 20), (40, 80, 230),
    (120, 230, 120), (110, 130, 70), (190, 60, 200), (40, 190, 210), (200, 200, 215),
    (150, 90, 40), (80, 110, 60), (230, 110, 150), (170, 240, 240), (255, 255, 140),
)


def _hsv_to_rgb(h: float, s: float, v: float) -> np.ndarray:
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    rgb = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return np.array(rgb, dtype=np.float32) * 255.0


def _background(index: int, big: int) -> np.ndarray:
    """Backdrop for background number `index` (0-based): a colour pair and one of six patterns."""
    hue = (index * 0.61803398875 + 0.07) % 1.0
    base = _hsv_to_rgb(hue, 0.55, 0.55 + 0.2 * ((index // 6) % 2))
    alt = _hsv_to_rgb((hue + 0.08) % 1.0, 0.35, 0.9 - 0.15 * ((index // 6) % 2))
    freq = 3 + 2 * ((index // 6) % 3)
    yy, xx = np.mgrid[0:big, 0:big].astype(np.float32) / big
    kind = index % 6
    if kind == 0:
        mask = np.floor(yy * freq * 2) % 2
    elif kind == 1:
        mask = np.floor(xx * freq * 2) % 2
    elif kind == 2:
        mask = np.floor((xx + yy) * freq * 1.5) % 2
    elif kind == 3:
        mask = (np.floor(xx * freq) + np.floor(yy * freq)) % 2
    elif kind == 4:
        fx, fy = (xx * freq) % 1 - 0.5, (yy * freq) % 1 - 0.5
        mask = (fx**2 + fy**2 < 0.09).astype(np.float32)
    else:
        r = np.sqrt((xx - 0.5) ** 2 + (yy - 0.5) ** 2)
        mask = np.floor(r * freq * 3) % 2
    img = base[None, None, :] * (1 - mask[..., None]) + alt[None, None, :] * mask[..., None]
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def _draw_vehicle(canvas: Image.Image, category: str, colour: tuple[int, int, int],
                  angle: float, cx: float, cy: float, radius: float) -> None:
    draw = ImageDraw.Draw(canvas)
    ca, sa = math.cos(angle), math.sin(angle)
    outline = max(1, round(radius / 14))
    for points, role in _SHAPES[category]:
        pts = [(cx + radius * (x * ca - y * sa), cy - radius * (x * sa + y * ca)) for x, y in points]
        draw.polygon(pts, fill=colour if role == "body" else _DARK, outline=_DARK, width=outline)


def standin_ilab_name(category: str, background: int, pose: int) -> str:
    """iLab file name of the stand-in image (1-based background and rotation numbers)."""
    return f"{category}-i0001-b{background:04d}-c00-r{pose:02d}-l0-f2.jpg"


def write_standin_ilab(
    out_root: str | Path,
    n_identities: int = 6,
    n_backgrounds: int = 12,
    n_poses: int = 10,
    image_size: int = 32,
    jitter: float = 0.08,
    seed: int = 0,
) -> int:
    """Write the stand-in iLab-20M tree below `out_root`; returns the number of images.

    Identities are the first `n_identities` real iLab categories (``ILAB_CATEGORIES``),
    backgrounds ``b0001..``, poses ``c00-r01..`` (rotation 360°·k/n_poses). `jitter` is
    the largest relative position shift and scale change, drawn per image from `seed`.
    Stale stand-in jpgs in the output folder that this call does not write are removed.
    """
    if not 1 <= n_identities <= len(ILAB_CATEGORIES):
        raise ValueError(f"n_identities must be in 1..{len(ILAB_CATEGORIES)}, got {n_identities}")
    if not 1 <= n_backgrounds <= 9999:
        raise ValueError(f"n_backgrounds must be in 1..9999, got {n_backgrounds}")
    if not 1 <= n_poses <= 99:
        raise ValueError(f"n_poses must be in 1..99, got {n_poses}")
    if image_size < 8:
        raise ValueError(f"image_size must be >= 8, got {image_size}")
    if not 0.0 <= jitter < 0.5:
        raise ValueError(f"jitter must be in [0, 0.5), got {jitter}")

    folder = Path(out_root) / STANDIN_FOLDER
    big = image_size * _SUPERSAMPLE
    rng = np.random.default_rng(seed)
    backgrounds = [_background(b, big) for b in range(n_backgrounds)]
    written: set[Path] = set()
    for i, category in enumerate(ILAB_CATEGORIES[:n_identities]):
        for b in range(n_backgrounds):
            for p in range(n_poses):
                dx, dy, ds = rng.uniform(-jitter, jitter, size=3)
                canvas = Image.fromarray(backgrounds[b])
                _draw_vehicle(canvas, category, _BODY_COLOURS[i], angle=2 * math.pi * p / n_poses,
                              cx=big * (0.5 + dx), cy=big * (0.5 + dy), radius=0.4 * big * (1 + ds))
                small = canvas.reduce(_SUPERSAMPLE)
                target = folder / f"c00_r{p + 1:02d}" / standin_ilab_name(category, b + 1, p + 1)
                with atomic_path(target) as tmp:
                    small.save(tmp, format="JPEG", quality=_JPEG_QUALITY, subsampling=0, optimize=False)
                written.add(target)
    for stale in folder.rglob("*.jpg"):
        if stale not in written:
            try:
                parse_ilab_name(stale.name)
            except ValueError:
                continue
            stale.unlink()
    return len(written)
