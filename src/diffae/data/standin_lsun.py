"""Procedural horses and bedrooms written as LSUN LMDBs (DESIGN §4 stand-ins for LSUN Horse and Bedroom).

`write_standin_lsun(out_dir, category, ...)` writes `out_dir` as an LMDB folder (data.mdb) like the released
`bedroom_train_lmdb/`: keys are 40-hex ids, values JPEGs of `round(4/3 * image_size) x image_size` (W x H;
landscape like LSUN's, so the loader's centre crop matters). It is what `diffae.data.lsun.load_lsun` reads.

horse    a horse (body, neck, head, mane, four legs, tail) in one of six coats, facing left or right, at
         a random place and size on a sky / grass landscape with a random horizon
bedroom  a room in one-point perspective (back wall, side walls, ceiling, floor), a bed with headboard,
         pillow and blanket, a window and a lamp. Four binary scene attributes change the picture, the
         stand-in for the Places365 attribute labels DiffSiam's Fig. 4.6 manipulates:
           indoor_lighting   lamp lit, warm and bright  (else dim and cool)
           carpet            a rug of contrasting bands on the floor  (else wooden planks)
           cluttered_space   six to nine small objects scattered about  (else none)
           rusty             a brown-orange cast over the whole picture
         They are written beside data.mdb as `attributes.csv` (`file` = LMDB key, then 1/0 per attribute).

Image i depends only on (category, seed, i); the LMDB is built in a temporary folder and moved into place,
so an interrupted run leaves no partial database.
"""
from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image, ImageDraw

CATEGORIES = ("horse", "bedroom")
BEDROOM_ATTRIBUTES = ("indoor_lighting", "carpet", "cluttered_space", "rusty")
ATTRIBUTE_FILE = "attributes.csv"
JPEG_QUALITY = 92
SUPERSAMPLE = 2

COATS = ((120, 70, 35), (150, 80, 40), (30, 25, 25), (235, 232, 225), (140, 140, 145), (215, 180, 110))


def lsun_key(category: str, seed: int, index: int) -> str:
    """A 40-hex id, as the keys of the released LMDBs."""
    return hashlib.sha1(f"{category}-{seed}-{index}".encode()).hexdigest()


def _rgb(values) -> tuple[int, int, int]:
    return tuple(int(np.clip(v, 0, 255)) for v in values)


def _canvas(width: int, height: int, top, bottom, horizon: float) -> Image.Image:
    """Vertical gradient from `top` to the horizon, then `bottom` below it."""
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    sky = (1 - t) * np.array(top) + t * (np.array(top) * 0.6 + 100)
    ground = np.broadcast_to(np.array(bottom, dtype=float), (height, 1, 3))
    rows = np.where(t < horizon, sky, ground * (0.85 + 0.3 * t))
    return Image.fromarray(np.broadcast_to(np.clip(rows, 0, 255), (height, width, 3)).astype(np.uint8))


def render_horse(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """One horse on a landscape, uint8 (height, width, 3)."""
    k = SUPERSAMPLE
    w, h = width * k, height * k
    horizon = float(rng.uniform(0.35, 0.6))
    img = _canvas(w, h, rng.integers(90, 200, 3) + np.array([0, 20, 55]),
                  (rng.integers(40, 90), rng.integers(100, 160), rng.integers(30, 70)), horizon)
    d = ImageDraw.Draw(img)
    coat = _rgb(np.array(COATS[int(rng.integers(len(COATS)))]) + rng.integers(-12, 13, 3))
    dark = _rgb(np.array(coat) * 0.45)
    s = float(rng.uniform(0.28, 0.42)) * w                     # body length
    cx = float(rng.uniform(0.35, 0.65)) * w
    ground = float(rng.uniform(max(horizon + 0.2, 0.75), 0.95)) * h
    face = 1 if rng.random() < 0.5 else -1                     # +1: head on the right
    leg = 0.55 * s
    body_top, body_bottom = ground - leg - 0.42 * s, ground - leg
    for dx in (-0.38, -0.25, 0.25, 0.38):                      # legs, hooves
        x = cx + dx * s
        d.rectangle([x - 0.04 * s, body_bottom - 0.1 * s, x + 0.04 * s, ground], fill=coat)
        d.rectangle([x - 0.05 * s, ground - 0.05 * s, x + 0.05 * s, ground], fill=dark)
    d.ellipse([cx - 0.5 * s, body_top, cx + 0.5 * s, body_bottom], fill=coat)
    neck_x = cx + face * 0.38 * s
    head_y = body_top - 0.35 * s
    d.polygon([(neck_x - 0.1 * s, body_top + 0.15 * s), (neck_x + 0.1 * s, body_top + 0.1 * s),
               (neck_x + face * 0.2 * s, head_y), (neck_x + face * 0.02 * s, head_y - 0.05 * s)], fill=coat)
    hx = neck_x + face * 0.22 * s
    d.ellipse([hx - 0.18 * s, head_y - 0.1 * s, hx + 0.18 * s, head_y + 0.08 * s], fill=coat)
    d.polygon([(neck_x - face * 0.02 * s, body_top + 0.1 * s), (neck_x + face * 0.02 * s, head_y - 0.06 * s),
               (neck_x + face * 0.1 * s, head_y - 0.02 * s)], fill=dark)                       # mane
    d.ellipse([hx + face * 0.08 * s - 0.025 * s, head_y - 0.05 * s, hx + face * 0.08 * s + 0.025 * s,
               head_y - 0.0 * s], fill=(15, 10, 10))                                           # eye
    tail_x = cx - face * 0.5 * s
    d.line([(tail_x, body_top + 0.1 * s), (tail_x - face * 0.12 * s, body_bottom + 0.15 * s)], fill=dark,
           width=max(1, int(0.06 * s)))
    return np.asarray(img.resize((width, height), Image.LANCZOS), dtype=np.uint8)


def sample_bedroom_attributes(rng: np.random.Generator) -> dict[str, int]:
    return {a: int(rng.random() < 0.5) for a in BEDROOM_ATTRIBUTES}


def render_bedroom(rng: np.random.Generator, attrs: dict[str, int], width: int, height: int) -> np.ndarray:
    """One bedroom in one-point perspective with the given scene attributes (1/0), uint8 (height, width, 3)."""
    k = SUPERSAMPLE
    w, h = width * k, height * k
    img = Image.new("RGB", (w, h))
    d = ImageDraw.Draw(img)
    wall = rng.integers(120, 230, 3)
    # back wall rectangle and the vanishing frame
    bx0, bx1 = rng.uniform(0.22, 0.32) * w, rng.uniform(0.68, 0.78) * w
    by0, by1 = rng.uniform(0.15, 0.25) * h, rng.uniform(0.55, 0.65) * h
    d.polygon([(0, 0), (w, 0), (bx1, by0), (bx0, by0)], fill=_rgb(wall * 1.1))             # ceiling
    d.polygon([(0, 0), (bx0, by0), (bx0, by1), (0, h)], fill=_rgb(wall * 0.8))             # left wall
    d.polygon([(w, 0), (bx1, by0), (bx1, by1), (w, h)], fill=_rgb(wall * 0.85))            # right wall
    d.rectangle([bx0, by0, bx1, by1], fill=_rgb(wall))                                      # back wall
    floor = [(0, h), (bx0, by1), (bx1, by1), (w, h)]
    if attrs["carpet"]:                                                                     # patterned rug
        a, b = rng.integers(40, 220, 3), rng.integers(40, 220, 3)
        b = np.where(np.abs(a - b) < 60, 255 - a, b)
        d.polygon(floor, fill=_rgb(a))
        n_bands = int(rng.integers(4, 7))
        for j in range(0, 2 * n_bands, 2):
            y0, y1 = by1 + (h - by1) * j / (2 * n_bands), by1 + (h - by1) * (j + 1) / (2 * n_bands)
            x0, x1 = bx0 * (1 - (y0 - by1) / (h - by1)), bx0 * (1 - (y1 - by1) / (h - by1))
            d.polygon([(x0, y0), (w - x0, y0), (w - x1, y1), (x1, y1)], fill=_rgb(b))
    else:                                                                                   # wooden planks
        wood = np.array([150, 100, 60]) + rng.integers(-25, 26, 3)
        d.polygon(floor, fill=_rgb(wood))
        for j in range(1, 8):
            x_far, x_near = bx0 + (bx1 - bx0) * j / 8, w * j / 8
            d.line([(x_far, by1), (x_near, h)], fill=_rgb(wood * 0.85), width=k)
    wx = rng.uniform(0.1, 0.5)                                                              # window
    d.rectangle([bx0 + wx * (bx1 - bx0), by0 + 0.15 * (by1 - by0), bx0 + (wx + 0.3) * (bx1 - bx0),
                 by0 + 0.55 * (by1 - by0)], fill=(170, 200, 235), outline=(250, 250, 250), width=2 * k)
    bed_w = rng.uniform(0.45, 0.6) * w                                                      # bed
    bed_x = rng.uniform(0.05 * w, 0.95 * w - bed_w)
    bed_top, bed_bottom = by1 - 0.05 * h, rng.uniform(0.82, 0.95) * h
    d.rectangle([bed_x, by1 - 0.22 * h, bed_x + bed_w, by1 + 0.02 * h], fill=_rgb(rng.integers(50, 140, 3)))
    d.rectangle([bed_x, bed_top, bed_x + bed_w, bed_bottom], fill=_rgb(rng.integers(80, 240, 3)))
    d.rectangle([bed_x + 0.08 * bed_w, bed_top - 0.02 * h, bed_x + 0.45 * bed_w, bed_top + 0.06 * h],
                fill=(245, 245, 240))
    lamp_x = bed_x + bed_w + 0.04 * w if bed_x + bed_w < 0.85 * w else bed_x - 0.08 * w     # lamp
    lit = attrs["indoor_lighting"]
    d.rectangle([lamp_x, by1 - 0.02 * h, lamp_x + 0.02 * w, by1 + 0.1 * h], fill=(60, 50, 40))
    d.polygon([(lamp_x - 0.03 * w, by1 - 0.02 * h), (lamp_x + 0.05 * w, by1 - 0.02 * h),
               (lamp_x + 0.03 * w, by1 - 0.1 * h), (lamp_x - 0.01 * w, by1 - 0.1 * h)],
              fill=(255, 230, 150) if lit else (150, 140, 130))
    if attrs["cluttered_space"]:
        for _ in range(int(rng.integers(6, 10))):                                           # clutter
            x, y = rng.uniform(0.05, 0.9) * w, rng.uniform(by1 + 0.05 * h, 0.95 * h)
            sz = rng.uniform(0.03, 0.07) * w
            d.rectangle([x, y - sz, x + sz * rng.uniform(0.6, 1.6), y], fill=_rgb(rng.integers(20, 255, 3)))
    arr = np.asarray(img, dtype=float)
    arr = arr * (np.array([1.12, 1.02, 0.85]) if lit else np.array([0.62, 0.66, 0.78]))
    if attrs["rusty"]:
        arr = 0.6 * arr + 0.4 * np.array([150, 75, 30])
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
    return np.asarray(out.resize((width, height), Image.LANCZOS), dtype=np.uint8)


def render_lsun(category: str, seed: int, index: int, image_size: int) -> tuple[np.ndarray, dict[str, int]]:
    """Image `index` of the stand-in `category` and its scene attributes (empty for horses)."""
    if category not in CATEGORIES:
        raise ValueError(f"LSUN stand-in category {category!r}; expected one of {CATEGORIES}")
    rng = np.random.default_rng([int(seed), int(index), CATEGORIES.index(category)])
    width, height = int(round(image_size * 4 / 3)), int(image_size)
    if category == "horse":
        return render_horse(rng, width, height), {}
    attrs = sample_bedroom_attributes(rng)
    return render_bedroom(rng, attrs, width, height), attrs


def write_standin_lsun(out_dir: Union[str, Path], category: str, n_images: int = 128, image_size: int = 64,
                       seed: int = 0) -> int:
    """Write `n_images` stand-in images of `category` as an LSUN LMDB folder at `out_dir`; returns the count."""
    import lmdb

    if n_images < 1:
        raise ValueError(f"n_images must be >= 1, got {n_images}")
    if image_size < 8:
        raise ValueError(f"image_size must be >= 8, got {image_size}")
    out_dir = Path(out_dir)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rows = []
    env = lmdb.open(str(tmp), map_size=max(1 << 24, n_images * image_size * image_size * 8), subdir=True)
    try:
        with env.begin(write=True) as txn:
            for i in range(n_images):
                img, attrs = render_lsun(category, seed, i, image_size)
                buf = io.BytesIO()
                Image.fromarray(img).save(buf, format="JPEG", quality=JPEG_QUALITY)
                key = lsun_key(category, seed, i)
                txn.put(key.encode(), buf.getvalue())
                if attrs:
                    rows.append(key + "," + ",".join(str(attrs[a]) for a in BEDROOM_ATTRIBUTES))
    finally:
        env.close()
    (tmp / "lock.mdb").unlink(missing_ok=True)
    if rows:
        (tmp / ATTRIBUTE_FILE).write_text("file," + ",".join(BEDROOM_ATTRIBUTES) + "\n" + "\n".join(sorted(rows))
                                          + "\n")
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    return n_images
