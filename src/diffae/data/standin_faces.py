"""Procedural cartoon faces written in the real CelebA layout (DESIGN §4 stand-in for CelebA).

`write_standin_celeba` produces exactly what `diffae.data.celeba.load_celeba` reads:
  img_align_celeba/000001.jpg ...  178x218 (W x H) JPEGs, face inside the D2C crop window
                                   (rows 57..184, cols 25..152), so the real CelebA-64 pipeline applies
  list_attr_celeba.txt             all 40 official attribute columns (1 / -1)
  list_eval_partition.txt          contiguous ~80/10/10 train/valid/test split (as CelebA's is contiguous)

Drawn attributes (`DRAWN_ATTRIBUTES`) visibly change the picture so that attribute probes and
manipulation figures (Diff-AE §5.3, DiffuseGAE attribute editing) have something to find:
  Smiling              mouth curves up (a U-shaped arc) instead of a straight line
  Mouth_Slightly_Open  a dark opening (with teeth when also smiling)
  Eyeglasses           dark rectangular frames, bridge and temples around the eyes
  Black_Hair / Blond_Hair / Brown_Hair / Gray_Hair   hair colour (one of the four, mutually exclusive)
  Male                 short hair cap and a beard; otherwise long hair falling beside the face
  No_Beard             always the negation of Male (the beard is drawn exactly for Male)
  Wearing_Hat          a hat (crown, band and brim) over the hair
  Bangs                a fringe with a zigzag edge over the forehead
  Pale_Skin            a pale skin tone instead of one of four darker tones
  Wearing_Lipstick     red lips;  Rosy_Cheeks: pink cheeks;  Wearing_Earrings: gold earrings
  Wavy_Hair            a sinusoidal hair outline (long hair and short cap), darker wavy strands in the hair
                       and, for a short cap, curls at the temples (below a hat); otherwise smooth, straight hair
  Young                off (old): forehead wrinkles, bags under the eyes and nasolabial folds in a dark skin shade
Every other CelebA attribute is written as -1 (absent) for every image.

Each binary attribute is drawn independently with the probability in `ATTRIBUTE_PROBABILITIES`;
hair colour is one categorical draw (`HAIR_PROBABILITIES`), made before those in `DRAWN_AFTER_HAIR`.
Nuisance factors (face position and size, background, skin/hair/eye/hat/shirt colours) vary per image.
Image i depends only on (seed, i), and the whole tree is byte-identical for the same (n_images, seed).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Union

import numpy as np
from PIL import Image, ImageDraw

from diffae.data.celeba import ATTR_FILE, CELEBA_ATTRIBUTES, IMAGE_DIR, PARTITION_FILE
from diffae.utils.atomic import atomic_path, atomic_write_text

WIDTH, HEIGHT = 178, 218          # aligned CelebA image size (W x H)
SUPERSAMPLE = 2                   # draw at 2x, then downsample (antialiasing)
JPEG_QUALITY = 95

HAIR_PROBABILITIES: dict[str, float] = {"Black_Hair": 0.3, "Blond_Hair": 0.25, "Brown_Hair": 0.3, "Gray_Hair": 0.15}
HAIR_COLOURS: dict[str, tuple[int, int, int]] = {
    "Black_Hair": (32, 26, 24), "Blond_Hair": (232, 200, 112), "Brown_Hair": (116, 72, 38), "Gray_Hair": (168, 168, 172),
}
ATTRIBUTE_PROBABILITIES: dict[str, float] = {
    "Smiling": 0.5, "Mouth_Slightly_Open": 0.45, "Eyeglasses": 0.3, "Male": 0.45, "Wearing_Hat": 0.2,
    "Bangs": 0.3, "Pale_Skin": 0.25, "Wearing_Lipstick": 0.35, "Rosy_Cheeks": 0.2, "Wearing_Earrings": 0.2,
    "Wavy_Hair": 0.35, "Young": 0.6,
}
DRAWN_AFTER_HAIR = ("Wavy_Hair", "Young")   # drawn last, so the earlier draws keep their per-image values
DRAWN_ATTRIBUTES: tuple[str, ...] = tuple(
    a for a in CELEBA_ATTRIBUTES if a in ATTRIBUTE_PROBABILITIES or a in HAIR_PROBABILITIES or a == "No_Beard")

PALE_SKIN = (252, 232, 220)
SKIN_TONES = ((234, 186, 148), (212, 158, 118), (176, 120, 84), (126, 84, 58))
EYE_COLOURS = ((92, 56, 30), (52, 96, 160), (64, 120, 70), (40, 30, 26))
HAT_COLOURS = ((180, 40, 40), (40, 70, 150), (40, 110, 60), (200, 160, 40), (90, 60, 120), (60, 60, 60))
GLASSES_COLOURS = ((16, 16, 20), (70, 40, 24), (20, 30, 80))
WAVE_AMPLITUDE, WAVE_LENGTH = 3.5, 15.0   # Wavy_Hair outline, in full-frame pixels


@dataclass(frozen=True)
class FaceStyle:
    """Nuisance factors of one face (everything that is not a CelebA attribute)."""

    cx: float                      # face centre, column (full 178x218 frame)
    cy: float                      # face centre, row
    rx: float                      # face half-width
    ry: float                      # face half-height
    bg_top: tuple[int, int, int]
    bg_bottom: tuple[int, int, int]
    skin: tuple[int, int, int]     # used when Pale_Skin is off
    hair_jitter: tuple[int, int, int]
    eyes: tuple[int, int, int]
    hat: tuple[int, int, int]
    shirt: tuple[int, int, int]
    glasses: tuple[int, int, int]


def _colour(rng: np.random.Generator, palette) -> tuple[int, int, int]:
    return tuple(int(v) for v in palette[int(rng.integers(len(palette)))])


def sample_attributes(rng: np.random.Generator) -> dict[str, int]:
    """All 40 attributes as 1/-1: drawn ones from their probabilities, the rest -1."""
    attrs = {a: -1 for a in CELEBA_ATTRIBUTES}

    def draw(names) -> None:
        for name in names:
            attrs[name] = 1 if rng.random() < ATTRIBUTE_PROBABILITIES[name] else -1

    draw(a for a in ATTRIBUTE_PROBABILITIES if a not in DRAWN_AFTER_HAIR)
    hair = list(HAIR_PROBABILITIES)
    attrs[hair[int(rng.choice(len(hair), p=list(HAIR_PROBABILITIES.values())))]] = 1
    draw(DRAWN_AFTER_HAIR)
    attrs["No_Beard"] = -attrs["Male"]
    return attrs


def sample_style(rng: np.random.Generator) -> FaceStyle:
    """Random nuisance factors; the face stays inside the D2C window for every draw."""
    skin = np.array(_colour(rng, SKIN_TONES)) + rng.integers(-8, 9, 3)
    return FaceStyle(
        cx=89.0 + int(rng.integers(-3, 4)), cy=124.0 + int(rng.integers(-3, 4)),
        rx=float(rng.integers(33, 40)), ry=float(rng.integers(42, 49)),
        bg_top=tuple(int(v) for v in rng.integers(60, 225, 3)),
        bg_bottom=tuple(int(v) for v in rng.integers(60, 225, 3)),
        skin=tuple(int(v) for v in np.clip(skin, 0, 255)),
        hair_jitter=tuple(int(v) for v in rng.integers(-10, 11, 3)),
        eyes=_colour(rng, EYE_COLOURS), hat=_colour(rng, HAT_COLOURS),
        shirt=tuple(int(v) for v in rng.integers(30, 230, 3)), glasses=_colour(rng, GLASSES_COLOURS),
    )


def _mix(a, b, t: float) -> tuple[int, int, int]:
    return tuple(int(round((1 - t) * x + t * y)) for x, y in zip(a, b))


class _Pen:
    """ImageDraw in full-frame (178x218) coordinates on a supersampled canvas."""

    def __init__(self, img: Image.Image, scale: int):
        self.d, self.k = ImageDraw.Draw(img), scale

    def _b(self, box):
        return [v * self.k for v in box]

    def ellipse(self, box, fill=None, outline=None, width=1):
        self.d.ellipse(self._b(box), fill=fill, outline=outline, width=round(width * self.k))

    def chord(self, box, start, end, fill=None, outline=None, width=1):
        self.d.chord(self._b(box), start, end, fill=fill, outline=outline, width=round(width * self.k))

    def arc(self, box, start, end, fill, width=1):
        self.d.arc(self._b(box), start, end, fill=fill, width=round(width * self.k))

    def rect(self, box, fill=None, outline=None, width=1, radius=0):
        self.d.rounded_rectangle(self._b(box), radius=radius * self.k, fill=fill, outline=outline,
                                 width=round(width * self.k))

    def line(self, pts, fill, width=1, joint=None):
        self.d.line([(x * self.k, y * self.k) for x, y in pts], fill=fill, width=round(width * self.k), joint=joint)

    def polygon(self, pts, fill):
        self.d.polygon([(x * self.k, y * self.k) for x, y in pts], fill=fill)


def _arched_outline(cx: float, cy0: float, w: float, h: float, y_end: float,
                    amplitude: float) -> list[tuple[float, float]]:
    """Upper half of the ellipse (centre (cx, cy0), half-axes w, h), continued straight down to y_end on both
    sides, pushed along its outward normal by a sine of the arc length (waves of WAVE_LENGTH)."""
    t = np.linspace(np.pi, 2 * np.pi, 160)                  # left, over the top, right
    ys = np.linspace(y_end, cy0, max(2, int(y_end - cy0)))  # up the left side
    pts = np.concatenate([np.stack([np.full_like(ys, cx - w), ys], 1),
                          np.stack([cx + w * np.cos(t), cy0 + h * np.sin(t)], 1),
                          np.stack([np.full_like(ys, cx + w), ys[::-1]], 1)])
    normal = np.concatenate([np.tile([-1.0, 0.0], (len(ys), 1)),
                             np.stack([np.cos(t) / w, np.sin(t) / h], 1),
                             np.tile([1.0, 0.0], (len(ys), 1))])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    return [tuple(p) for p in pts + amplitude * np.sin(2 * np.pi * s / WAVE_LENGTH)[:, None] * normal]


def _wavy_strand(pen: _Pen, pts: np.ndarray, colour) -> None:
    pen.line([tuple(p) for p in pts], fill=colour, width=2.5, joint="curve")


def _long_hair(pen: _Pen, cx: float, cy: float, rx: float, ry: float, hair, wavy: bool) -> None:
    """Long hair behind the head and beside the face; wavy: a sinusoidal outline and darker wavy strands."""
    if not wavy:
        pen.ellipse((cx - rx - 9, cy - ry - 9, cx + rx + 9, cy + 0.6 * ry), fill=hair)
        pen.rect((cx - rx - 9, cy - 0.2 * ry, cx + rx + 9, cy + ry + 5), fill=hair, radius=6)
        return
    pen.polygon(_arched_outline(cx, cy - 0.2 * ry - 4.5, rx + 9, 0.8 * ry + 4.5, cy + ry + 5, WAVE_AMPLITUDE), hair)
    ys = np.linspace(cy - 0.3 * ry, cy + ry + 2, 40)
    for side in (-1, 1):
        xs = cx + side * (rx + 5) + 2.5 * np.sin(2 * np.pi * ys / WAVE_LENGTH)
        _wavy_strand(pen, np.stack([xs, ys], 1), _mix(hair, (0, 0, 0), 0.45))


def _hairline(on: Mapping[str, bool], top: float, ry: float) -> float:
    """Row where the hair cap meets the forehead (a short cap for Male)."""
    return top + (0.22 if on["Male"] else 0.32) * ry


def _cap_and_fringe(pen: _Pen, on: Mapping[str, bool], cx: float, cy: float, rx: float, ry: float, hair) -> None:
    """The hair cap (short for Male; a wavy outline, strands and curls at the temples for Wavy_Hair) and the
    Bangs fringe."""
    top = cy - ry
    cap_top = top - (5 if on["Male"] else 9)
    cap_bottom = _hairline(on, top, ry)
    if not on["Wavy_Hair"]:
        pen.chord((cx - rx - 2, cap_top, cx + rx + 2, 2 * cap_bottom - cap_top), 180, 360, fill=hair)
    else:
        amplitude = WAVE_AMPLITUDE if on["Male"] else 0.0   # long hair already waves around a long-haired cap
        pen.polygon(_arched_outline(cx, cap_bottom, rx + 2, cap_bottom - cap_top, cap_bottom, amplitude), hair)
        strand = _mix(hair, (0, 0, 0), 0.45)
        xs = np.linspace(-0.75 * rx, 0.75 * rx, 40)
        for f in (0.3, 0.65):
            ys = cap_top + f * (cap_bottom - cap_top) + 2 * np.sin(2 * np.pi * xs / WAVE_LENGTH)
            _wavy_strand(pen, np.stack([cx + xs, ys], 1), strand)
        if on["Male"]:   # curls at the temples, below a hat's brim
            for side in (-1, 1):
                for y, r in ((top + 0.32 * ry, 5.0), (top + 0.45 * ry, 4.0)):
                    x = cx + side * 0.9 * rx
                    pen.ellipse((x - r, y - r, x + r, y + r), fill=hair)
    if on["Bangs"]:
        edge = cy - 0.34 * ry
        pts = [(cx - 0.92 * rx, top + 0.18 * ry), (cx + 0.92 * rx, top + 0.18 * ry)]
        n = 7
        for i in range(n + 1):
            x = cx + 0.88 * rx - i * (1.76 * rx / n)
            pts.append((x, edge + (5 if i % 2 == 0 else -1)))
        pen.polygon(pts, fill=hair)


def _age_lines(pen: _Pen, cx: float, cy: float, rx: float, ry: float, hairline: float, ink) -> None:
    """Young off: forehead wrinkles, bags under the eyes, nasolabial folds (what the cap, bangs or a hat drawn
    later overlaps is covered)."""
    brows = cy - 0.31 * ry
    n = 3 if brows - hairline > 18 else 2
    for y in np.linspace(hairline + 4, brows - 5, n):
        pen.arc((cx - 0.55 * rx, y - 2, cx + 0.55 * rx, y + 8), 200, 340, fill=ink, width=3)
    ey = cy - 0.12 * ry
    for side in (-1, 1):
        ex = cx + side * 0.4 * rx
        pen.arc((ex - 9, ey, ex + 9, ey + 12), 25, 155, fill=ink, width=3)
        a, b, c = np.array([[cx + side * 6, cy + 0.2 * ry], [cx + side * 0.46 * rx, cy + 0.28 * ry],
                            [cx + side * 0.5 * rx, cy + 0.58 * ry]])
        u = np.linspace(0, 1, 12)[:, None]
        fold = (1 - u) ** 2 * a + 2 * u * (1 - u) * b + u ** 2 * c
        pen.line([tuple(p) for p in fold], fill=ink, width=3, joint="curve")


def render_face(attributes: Mapping[str, int], style: FaceStyle) -> np.ndarray:
    """Draw one face as uint8 (218, 178, 3); an attribute is on when its value is > 0."""
    on = {a: attributes.get(a, -1) > 0 for a in DRAWN_ATTRIBUTES}
    k = SUPERSAMPLE
    t = np.linspace(0.0, 1.0, HEIGHT * k)[:, None, None]
    bg = (1 - t) * np.array(style.bg_top) + t * np.array(style.bg_bottom)
    img = Image.fromarray(np.broadcast_to(bg, (HEIGHT * k, WIDTH * k, 3)).astype(np.uint8))
    pen = _Pen(img, k)

    cx, cy, rx, ry = style.cx, style.cy, style.rx, style.ry
    top, bottom = cy - ry, cy + ry
    hair_name = next((h for h in HAIR_PROBABILITIES if on[h]), "Brown_Hair")
    hair = tuple(int(np.clip(c + j, 0, 255)) for c, j in zip(HAIR_COLOURS[hair_name], style.hair_jitter))
    skin = PALE_SKIN if on["Pale_Skin"] else style.skin
    shade = _mix(skin, (60, 30, 20), 0.25)

    # body, long hair behind the head (not Male), ears, face
    pen.ellipse((cx - 72, 192, cx + 72, 300), fill=style.shirt)
    pen.rect((cx - 0.35 * rx, cy + 0.5 * ry, cx + 0.35 * rx, 200), fill=shade)
    if not on["Male"]:
        _long_hair(pen, cx, cy, rx, ry, hair, wavy=on["Wavy_Hair"])
    for side in (-1, 1):
        pen.ellipse((cx + side * rx - 5, cy - 0.2 * ry, cx + side * rx + 5, cy + 0.12 * ry), fill=shade)
    pen.ellipse((cx - rx, top, cx + rx, bottom), fill=skin)
    if on["Wearing_Earrings"]:
        for side in (-1, 1):
            pen.ellipse((cx + side * rx - 3, cy + 0.12 * ry, cx + side * rx + 3, cy + 0.12 * ry + 6),
                        fill=(236, 196, 60), outline=(150, 110, 20), width=1)

    if not on["Young"]:
        _age_lines(pen, cx, cy, rx, ry, _hairline(on, top, ry), _mix(skin, (20, 10, 5), 0.5))
    _cap_and_fringe(pen, on, cx, cy, rx, ry, hair)

    # eyes and brows
    ey = cy - 0.12 * ry
    brow = _mix(hair, (40, 30, 25), 0.5)
    for side in (-1, 1):
        ex = cx + side * 0.4 * rx
        pen.line([(ex - 8, ey - 0.17 * ry), (ex + 8, ey - 0.19 * ry)], fill=brow, width=2)
        pen.ellipse((ex - 7, ey - 4, ex + 7, ey + 4), fill=(250, 250, 250))
        pen.ellipse((ex - 3.5, ey - 3.5, ex + 3.5, ey + 3.5), fill=style.eyes)
        pen.ellipse((ex - 1.7, ey - 1.7, ex + 1.7, ey + 1.7), fill=(10, 10, 10))
    pen.line([(cx, ey + 4), (cx - 3, cy + 0.24 * ry), (cx + 2, cy + 0.27 * ry)], fill=_mix(skin, (0, 0, 0), 0.35),
             width=1.5)
    if on["Rosy_Cheeks"]:
        for side in (-1, 1):
            x = cx + side * 0.55 * rx
            pen.ellipse((x - 6, cy + 0.16 * ry, x + 6, cy + 0.16 * ry + 7), fill=_mix(skin, (235, 90, 110), 0.55))

    # beard (Male), then mouth on top
    if on["Male"]:
        pen.chord((cx - rx, top, cx + rx, bottom), 22, 158, fill=_mix(hair, (0, 0, 0), 0.15))
    my, mw = cy + 0.5 * ry, 0.38 * rx
    lips = (196, 28, 52) if on["Wearing_Lipstick"] else _mix(skin, (120, 40, 40), 0.45)
    dark = (64, 18, 24)
    if on["Smiling"] and on["Mouth_Slightly_Open"]:
        pen.chord((cx - mw, my - 8, cx + mw, my + 8), 0, 180, fill=dark, outline=lips, width=2)
        pen.rect((cx - 0.7 * mw, my + 0.5, cx + 0.7 * mw, my + 3), fill=(245, 245, 240))
    elif on["Smiling"]:
        pen.arc((cx - mw, my - 9, cx + mw, my + 6), 15, 165, fill=lips, width=3)
    elif on["Mouth_Slightly_Open"]:
        pen.ellipse((cx - 0.55 * mw, my - 4, cx + 0.55 * mw, my + 5), fill=dark, outline=lips, width=2)
    else:
        pen.line([(cx - 0.75 * mw, my + 1), (cx + 0.75 * mw, my + 1)], fill=lips, width=3)

    if on["Eyeglasses"]:
        g = style.glasses
        for side in (-1, 1):
            ex = cx + side * 0.4 * rx
            pen.rect((ex - 11, ey - 8, ex + 11, ey + 8), outline=g, width=3, radius=3)
            pen.line([(ex + side * 11, ey - 3), (cx + side * (rx - 1), ey - 4)], fill=g, width=2.5)
        pen.line([(cx - 0.4 * rx + 11, ey - 2), (cx + 0.4 * rx - 11, ey - 2)], fill=g, width=2.5)

    if on["Wearing_Hat"]:
        band = _mix(style.hat, (0, 0, 0), 0.45)
        pen.rect((cx - 0.8 * rx, top - 12, cx + 0.8 * rx, top + 0.2 * ry), fill=style.hat, radius=8)
        pen.rect((cx - 0.8 * rx, top + 0.08 * ry - 4, cx + 0.8 * rx, top + 0.08 * ry + 2), fill=band)
        pen.ellipse((cx - rx - 12, top + 0.1 * ry, cx + rx + 12, top + 0.3 * ry), fill=style.hat)

    return np.asarray(img.resize((WIDTH, HEIGHT), Image.LANCZOS), dtype=np.uint8)


def partition_codes(n_images: int) -> np.ndarray:
    """Contiguous ~80/10/10 train(0)/valid(1)/test(2) codes, like CelebA's contiguous partition."""
    n_train = int(round(0.8 * n_images))
    n_valid = int(round(0.1 * n_images))
    codes = np.full(n_images, 2, dtype=np.int64)
    codes[:n_train] = 0
    codes[n_train: n_train + n_valid] = 1
    return codes


def face_for_index(seed: int, index: int) -> tuple[dict[str, int], FaceStyle]:
    """Attributes and style of image `index` (0-based); depends only on (seed, index)."""
    rng = np.random.default_rng([int(seed), int(index)])
    attrs = sample_attributes(rng)
    return attrs, sample_style(rng)


def write_standin_celeba(out_root: Union[str, Path], n_images: int = 240, seed: int = 0) -> int:
    """Write `n_images` cartoon faces in the CelebA layout under `out_root`; returns the count.

    Every file is written atomically; the text files are written last, and stale numbered JPEGs
    from an earlier, larger run are removed so the tree is a function of (n_images, seed).
    """
    if n_images < 1:
        raise ValueError(f"n_images must be >= 1, got {n_images}")
    out_root = Path(out_root)
    image_dir = out_root / IMAGE_DIR
    image_dir.mkdir(parents=True, exist_ok=True)
    names = [f"{i + 1:06d}.jpg" for i in range(n_images)]
    rows = []
    for i, name in enumerate(names):
        attrs, style = face_for_index(seed, i)
        img = render_face(attrs, style)
        with atomic_path(image_dir / name) as tmp:
            Image.fromarray(img).save(tmp, format="JPEG", quality=JPEG_QUALITY)
        rows.append(f"{name} " + " ".join(f"{attrs[a]:2d}" for a in CELEBA_ATTRIBUTES))
    keep = set(names)
    for stale in image_dir.iterdir():
        if re.fullmatch(r"\d{6}\.jpg", stale.name) and stale.name not in keep:
            stale.unlink()
    header = f"{n_images}\n" + " ".join(CELEBA_ATTRIBUTES) + " \n"
    atomic_write_text(out_root / ATTR_FILE, header + "\n".join(rows) + "\n")
    codes = partition_codes(n_images)
    atomic_write_text(out_root / PARTITION_FILE, "".join(f"{n} {c}\n" for n, c in zip(names, codes)))
    return n_images
