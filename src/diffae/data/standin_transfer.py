"""Procedural stand-ins for the eight transfer datasets, written in their torchvision layouts (DESIGN §4; SPEC §0.1,
§2.7), so that `diffae.data.transfer.load_transfer` — the reader of the real data — is what reads them.

One generator family per dataset, each with class-specific parameters (a class "prototype") and per-image nuisance
(pose, scale, colours, background, JPEG, pixel noise), so that classes are learnable but not trivial:
  aircraft    top-view aeroplanes on sky; class = wing sweep, span, chord, engines, tailplane; livery is random
  caltech101  one object (a star-convex polygon with a coloured part) among a little clutter on a plain background;
              class = outline and part (every third class shares the body hue); class 0 is BACKGROUND_Google
              (clutter only), as in [89]'s 102-class split
  cars        side-view cars on a street; class = body style (sedan / hatchback / pickup / van), proportions,
              wheel size; paint colour is random
  dtd         whole-image textures; class = texture family (banded, chequered, dotted, ...) and its scale;
              colours and orientation are random
  flowers     a flower on foliage; class = petal count, petal shape, centre size and colour, petal hue (shared
              by pairs of classes)
  food        a plate seen from above; class = sauce coverage, topping colour, shape, size and count, sauce hue
              (shared by pairs of classes)
  pets        a cat (pointed ears) or dog (floppy ears, muzzle) face; class = species, fur pattern, head and ear
              proportions, fur colour (shared by a cat and a dog class)
  sun397      a landscape; class = scene type (beach, city, desert, forest, mountains: its structures, mostly its
              ground colour) x time of day (sky colour); 4 in 10 images also hold a stray element of another scene
Images are non-square (`ASPECT`) with the shorter side `image_size`, so the reader's centre crop matters; the object
(where there is one) stays inside that centre square. Val splits (aircraft, dtd, flowers) get as many images per
class as train, like the real ones. Each tree is built beside its target and moved into place; its bytes depend only
on the arguments (the .mat headers carry no time stamp).
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import shutil
import zlib
from pathlib import Path
from typing import Callable, Sequence, Union

import numpy as np
from PIL import Image, ImageDraw

from diffae.data.standin_cifar import SHAPES, SUPERSAMPLE, finish, hsv, shape_points, smooth_noise
from diffae.data.standin_cifar import textured_background, transform
from diffae.data.transfer import FOLDERS, HAS_VAL, IMAGE_DATASETS

ASPECT = {"aircraft": 1.5, "caltech101": 1.3, "cars": 1.5, "dtd": 1.2, "flowers": 0.8, "food": 1.0, "pets": 0.75,
          "sun397": 1.33}
JPEG_QUALITY = 92
GOLDEN = 0.6180339887
DTD_FAMILIES = ("banded", "blotchy", "chequered", "crosshatched", "dotted", "grid", "wavy", "zigzagged")
SCENES = ("beach", "city/street", "desert/sand", "forest/broadleaf", "mountain_snowy")
FURS = ((0.07, 0.75, 0.85), (0.0, 0.0, 0.15), (0.6, 0.05, 0.55), (0.1, 0.3, 0.95), (0.06, 0.65, 0.45),
        (0.0, 0.0, 0.97))                                   # ginger, black, grey, cream, brown, white (h, s, v)
CAR_STYLES = ("Sedan", "Hatchback", "Pickup", "Van")
Proto = dict
Canvas = tuple[Image.Image, ImageDraw.ImageDraw, float, float, float]


def _class_rng(name: str, c: int) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(name.encode()), int(c)])


def _ellipse(x: float, y: float, rx: float, ry: float, rot: float = 0.0, n: int = 20) -> list[tuple[float, float]]:
    """Ellipse outline in unit coordinates, centred at (x, y), rotated by `rot`."""
    cr, sr = math.cos(rot), math.sin(rot)
    pts = [(rx * math.cos(2 * math.pi * i / n), ry * math.sin(2 * math.pi * i / n)) for i in range(n)]
    return [(x + px * cr - py * sr, y + px * sr + py * cr) for px, py in pts]


def _canvas(background: np.ndarray) -> Canvas:
    """Image, drawer, centre of the centre square and its half side (the object's frame)."""
    h, w = background.shape[:2]
    img = Image.fromarray(np.clip(background, 0, 255).astype(np.uint8))
    return img, ImageDraw.Draw(img), w / 2, h / 2, min(w, h) / 2


def _gradient(w: int, h: int, top, bottom, split: float = 1.0) -> np.ndarray:
    """Vertical blend from `top` to `bottom` over the upper `split` fraction (float, 0..255)."""
    t = np.clip(np.linspace(0.0, 1.0, h) / split, 0, 1)[:, None, None]
    return np.broadcast_to((1 - t) * np.array(top, np.float32) + t * np.array(bottom, np.float32), (h, w, 3)).copy()


def _jit(rng: np.random.Generator, colour: tuple[float, float, float], dh: float = 0.03, ds: float = 0.1,
         dv: float = 0.12) -> tuple[int, int, int]:
    h, s, v = colour
    return hsv(h + rng.normal(0, dh), s + rng.uniform(-ds, ds), v + rng.uniform(-dv, dv))


# --- aircraft ----------------------------------------------------------------------------------------------


def _aircraft_proto(c: int, rng: np.random.Generator) -> Proto:
    return {"sweep": 0.15 + 0.35 * (c % 4), "engines": 2 * ((c // 4) % 3), "span": rng.uniform(0.75, 1.0),
            "chord": rng.uniform(0.2, 0.4), "wing_y": rng.uniform(-0.05, 0.25), "tail": rng.uniform(0.25, 0.45),
            "width": rng.uniform(0.07, 0.13)}


def _aircraft(p: Proto, rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    sky = hsv(rng.uniform(0.53, 0.63), rng.uniform(0.1, 0.6), rng.uniform(0.6, 1.0))
    img, d, cx, cy, r = _canvas(_gradient(w, h, sky, hsv(0.58, 0.1, rng.uniform(0.8, 1.0))))
    for _ in range(int(rng.integers(0, 4))):                                          # clouds
        x, y, s = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.1, 0.3) * r
        d.ellipse([x - 2 * s, y - s, x + 2 * s, y + s], fill=hsv(0, 0, rng.uniform(0.85, 1.0)))
    body = hsv(rng.random(), rng.uniform(0, 0.5), rng.uniform(0.55, 1.0))
    dark = tuple(int(v * 0.6) for v in body)
    at = dict(cx=cx + rng.uniform(-0.1, 0.1) * r, cy=cy + rng.uniform(-0.1, 0.1) * r, scale=r * rng.uniform(0.7, 0.9),
              angle=rng.uniform(0, 2 * math.pi))
    span, sweep, chord, wy = p["span"], p["sweep"], p["chord"], p["wing_y"]
    for side in (1, -1):
        d.polygon(transform([(0, wy), (side * span, wy - sweep * span), (side * span, wy - sweep * span - 0.4 * chord),
                             (0, wy - chord)], **at), fill=body)
        t = p["tail"]
        d.polygon(transform([(0, -0.7), (side * t, -0.7 - sweep * t), (side * t, -0.82 - sweep * t), (0, -0.9)], **at),
                  fill=body)
        for k in range(p["engines"] // 2):
            ex = side * span * (0.35 + 0.3 * k)
            d.polygon(transform(_ellipse(ex, wy - sweep * abs(ex) - 0.02, 0.05, 0.12), **at), fill=dark)
    d.polygon(transform(_ellipse(0, 0, p["width"], 1.0), **at), fill=body)
    return finish(img, rng, rng.uniform(2, 6))


# --- caltech101 --------------------------------------------------------------------------------------------


def _caltech_proto(c: int, rng: np.random.Generator) -> Proto:
    n = 6 + c % 5
    return {"radii": rng.uniform(0.45, 1.0, n), "hue": 0.05 + 0.33 * (c % 3), "hue2": rng.random(),
            "part": (rng.uniform(-0.4, 0.4), rng.uniform(-0.4, 0.4), rng.uniform(0.2, 0.4)), "background": c == 0}


def _clutter(d: ImageDraw.ImageDraw, rng: np.random.Generator, w: int, h: int, r: float, n: int) -> None:
    for _ in range(n):
        d.polygon(transform(shape_points(SHAPES[int(rng.integers(len(SHAPES)))]), rng.uniform(0, w), rng.uniform(0, h),
                            r * rng.uniform(0.1, 0.35), rng.uniform(0, 6.3)),
                  fill=hsv(rng.random(), rng.uniform(0.2, 0.9), rng.uniform(0.3, 0.9)))


def _caltech(p: Proto, rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    grey = rng.uniform(0.6, 1.0)
    img, d, cx, cy, r = _canvas(_gradient(w, h, hsv(rng.random(), rng.uniform(0, 0.3), grey),
                                          hsv(rng.random(), rng.uniform(0, 0.3), grey - 0.1)))
    if p["background"]:                                                                # clutter, no object
        _clutter(d, rng, w, h, r, int(rng.integers(3, 9)))
        return finish(img, rng, rng.uniform(2, 5))
    _clutter(d, rng, w, h, r, int(rng.integers(0, 4)))
    radii = p["radii"] * rng.uniform(0.9, 1.1, len(p["radii"]))
    n = len(radii)
    outline = [(radii[i] * math.cos(2 * math.pi * i / n), radii[i] * math.sin(2 * math.pi * i / n)) for i in range(n)]
    at = dict(cx=cx + rng.uniform(-0.2, 0.2) * r, cy=cy + rng.uniform(-0.2, 0.2) * r,
              scale=r * rng.uniform(0.5, 0.9), angle=rng.uniform(-math.pi, math.pi))
    d.polygon(transform(outline, **at), fill=_jit(rng, (p["hue"], 0.7, 0.7), dh=0.05, ds=0.25, dv=0.25))
    x, y, s = p["part"]
    d.polygon(transform(_ellipse(x, y, s, s * 0.7), **at), fill=_jit(rng, (p["hue2"], 0.6, 0.6), dv=0.3))
    return finish(img, rng, rng.uniform(2, 6))


# --- cars --------------------------------------------------------------------------------------------------


def _cars_proto(c: int, rng: np.random.Generator) -> Proto:
    style = c % 4
    cabin = [(0.25, 0.75), (0.25, 0.97), (0.05, 0.42), (0.08, 0.97)][style]
    return {"style": style, "cabin": cabin, "body_h": rng.uniform(0.18, 0.3) + 0.05 * (style == 3),
            "roof_h": rng.uniform(0.15, 0.25) + 0.12 * (style == 3), "wheel": 0.09 + 0.03 * ((c // 4) % 3),
            "slope": rng.uniform(0.05, 0.2)}


def _cars(p: Proto, rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    horizon = rng.uniform(0.55, 0.7)
    bg = _gradient(w, h, hsv(0.58, rng.uniform(0.1, 0.5), rng.uniform(0.6, 1.0)), (110, 110, 115), horizon)
    bg[int(horizon * h):] = hsv(0, 0, rng.uniform(0.25, 0.5))                         # road
    img, d, cx, cy, r = _canvas(bg)
    for _ in range(int(rng.integers(0, 4))):                                            # buildings
        x0, bw, bh = rng.uniform(0, w), rng.uniform(0.1, 0.3) * w, rng.uniform(0.2, 0.5) * h
        d.rectangle([x0, horizon * h - bh, x0 + bw, horizon * h], fill=hsv(rng.random(), 0.2, rng.uniform(0.4, 0.8)))
    flip = 1 if rng.random() < 0.5 else -1
    at = dict(cx=cx + rng.uniform(-0.08, 0.08) * r, cy=cy + rng.uniform(0.0, 0.25) * r,
              scale=r * rng.uniform(0.85, 0.98), angle=0.0, sx=flip)
    paint = hsv(rng.random(), rng.uniform(0, 0.9), rng.uniform(0.25, 0.95))
    bh, rh, (c0, c1), wr, sl = p["body_h"], p["roof_h"], p["cabin"], p["wheel"], p["slope"]
    x0, x1 = -1 + 2 * c0, -1 + 2 * c1
    d.polygon(transform([(-1, 0), (1, 0), (1, bh), (-1, bh * 0.8)], **at), fill=paint)                # body
    d.polygon(transform([(x0, bh), (x1, bh), (x1 - sl, bh + rh), (x0 + sl, bh + rh)], **at), fill=paint)   # cabin
    d.polygon(transform([(x0 + 0.06, bh + 0.02), (x1 - 0.06, bh + 0.02), (x1 - sl - 0.03, bh + rh - 0.04),
                         (x0 + sl + 0.03, bh + rh - 0.04)], **at), fill=(60, 70, 85))                   # windows
    for wx in (-0.62, 0.62):
        d.polygon(transform(_ellipse(wx, 0, wr * 2, wr * 2), **at), fill=(20, 20, 22))
        d.polygon(transform(_ellipse(wx, 0, wr, wr), **at), fill=(150, 150, 155))
    return finish(img, rng, rng.uniform(2, 6))


# --- dtd ---------------------------------------------------------------------------------------------------


def _dtd_proto(c: int, rng: np.random.Generator) -> Proto:
    return {"family": DTD_FAMILIES[c % len(DTD_FAMILIES)], "period": 0.3 / (1 + 0.6 * (c // len(DTD_FAMILIES))),
            "duty": rng.uniform(0.3, 0.6)}


def _dtd(p: Proto, rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    per = p["period"] * min(w, h) * rng.uniform(0.85, 1.15)
    th = rng.uniform(0, math.pi)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    u = (x * math.cos(th) + y * math.sin(th)) / per + rng.random()
    v = (-x * math.sin(th) + y * math.cos(th)) / per + rng.random()
    fam, duty = p["family"], p["duty"]
    if fam == "banded":
        m = u % 1 < duty
    elif fam == "blotchy":
        m = smooth_noise(rng, w, h, max(2, int(min(w, h) / per)), 1)[..., 0] > 0.5
    elif fam == "chequered":
        m = (np.floor(u) + np.floor(v)) % 2 == 0
    elif fam == "crosshatched":
        m = (u % 1 < 0.2) | ((u * 0.5 + v * 0.87) % 1 < 0.2)
    elif fam == "dotted":
        m = (u % 1 - 0.5) ** 2 + (v % 1 - 0.5) ** 2 < (0.5 * duty) ** 2
    elif fam == "grid":
        m = (u % 1 < 0.18) | (v % 1 < 0.18)
    elif fam == "wavy":
        m = (u + 0.35 * np.sin(2 * math.pi * v / 2.5)) % 1 < 0.5
    else:                                                                                # zigzagged
        m = (u + 0.6 * np.abs((v / 1.5) % 1 - 0.5)) % 1 < 0.5
    hue = rng.random()
    a = np.array(hsv(hue, rng.uniform(0.1, 0.8), rng.uniform(0.15, 0.5)), np.float32)
    b = np.array(hsv(hue + rng.uniform(-0.3, 0.3), rng.uniform(0.1, 0.8), rng.uniform(0.6, 1.0)), np.float32)
    tex = np.where(m[..., None], a, b) * (0.8 + 0.4 * smooth_noise(rng, w, h, 3, 1))
    return finish(tex, rng, rng.uniform(3, 8))


# --- flowers -----------------------------------------------------------------------------------------------


def _flowers_proto(c: int, rng: np.random.Generator) -> Proto:
    return {"petals": 4 + c % 5, "hue": (0.95 + (c // 2) * GOLDEN) % 1, "length": rng.uniform(0.6, 1.0),
            "width": rng.uniform(0.15, 0.45), "centre": rng.uniform(0.12, 0.3),
            "centre_colour": [(0.14, 0.9, 0.95), (0.08, 0.8, 0.35), (0.0, 0.0, 0.1)][int(rng.integers(3))]}


def _flowers(p: Proto, rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    g = smooth_noise(rng, w, h, int(rng.integers(3, 7)), 1)
    bg = (1 - g) * np.array(hsv(rng.uniform(0.22, 0.4), 0.7, 0.2), np.float32) + g * np.array(
        hsv(rng.uniform(0.2, 0.4), 0.6, rng.uniform(0.4, 0.7)), np.float32)
    img, d, cx, cy, r = _canvas(bg)
    at = dict(cx=cx + rng.uniform(-0.12, 0.12) * r, cy=cy + rng.uniform(-0.12, 0.12) * r,
              scale=r * rng.uniform(0.7, 0.95), angle=rng.uniform(0, 2 * math.pi), sx=rng.uniform(0.75, 1.0))
    n, L, W = p["petals"], p["length"], p["width"]
    colour = _jit(rng, (p["hue"], 0.75, 0.8), dh=0.06, ds=0.25, dv=0.2)
    for i in range(n):
        a = 2 * math.pi * i / n
        d.polygon(transform(_ellipse(0.5 * L * math.cos(a), 0.5 * L * math.sin(a), 0.5 * L, 0.5 * W * L, a), **at),
                  fill=colour)
    d.polygon(transform(_ellipse(0, 0, p["centre"], p["centre"]), **at), fill=_jit(rng, p["centre_colour"]))
    return finish(img, rng, rng.uniform(2, 6))


# --- food --------------------------------------------------------------------------------------------------


def _food_proto(c: int, rng: np.random.Generator) -> Proto:
    return {"sauce": ((c // 2) * GOLDEN + 0.03) % 1, "cover": rng.uniform(0.45, 0.8), "topping": rng.random(),
            "shape": c % 3, "count": (3, 9) if (c // 3) % 2 == 0 else (7, 16), "size": rng.uniform(0.08, 0.16)}


def _food(p: Proto, rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    wood = smooth_noise(rng, w, h, 4, 1) * 0.3 + 0.7
    bg = np.array(hsv(rng.uniform(0.02, 0.12), rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7)), np.float32) * wood
    img, d, cx, cy, r = _canvas(bg)
    plate = r * rng.uniform(0.7, 0.95)
    cx, cy = cx + rng.uniform(-1, 1) * (r - plate), cy + rng.uniform(-1, 1) * (r - plate)
    d.ellipse([cx - plate, cy - plate, cx + plate, cy + plate], fill=hsv(rng.random(), rng.uniform(0, 0.25),
                                                                         rng.uniform(0.75, 1.0)))
    n = 14
    blob = [(p["cover"] * rng.uniform(0.85, 1.1) * math.cos(2 * math.pi * i / n),
             p["cover"] * rng.uniform(0.85, 1.1) * math.sin(2 * math.pi * i / n)) for i in range(n)]
    d.polygon(transform(blob, cx, cy, plate, rng.uniform(0, 6.3)),
              fill=_jit(rng, (p["sauce"], 0.7, 0.7), dh=0.06, ds=0.25, dv=0.25))
    topping = _jit(rng, (p["topping"], 0.6, 0.8), dh=0.08, ds=0.3, dv=0.25)
    for _ in range(int(rng.integers(*p["count"]))):
        rad, a = p["cover"] * math.sqrt(rng.random()) * 0.85, rng.uniform(0, 2 * math.pi)
        s = p["size"] * rng.uniform(0.7, 1.3)
        pts = ([(-s, -s), (s, -s), (s, s), (-s, s)] if p["shape"] == 1 else
               [(-1.8 * s, -0.4 * s), (1.8 * s, -0.4 * s), (1.8 * s, 0.4 * s), (-1.8 * s, 0.4 * s)] if p["shape"] == 2
               else _ellipse(0, 0, s, s, n=12))
        d.polygon(transform(pts, cx + plate * rad * math.cos(a), cy + plate * rad * math.sin(a), plate,
                            rng.uniform(0, 6.3)), fill=topping)
    return finish(img, rng, rng.uniform(2, 6))


# --- pets --------------------------------------------------------------------------------------------------


def _pets_proto(c: int, rng: np.random.Generator) -> Proto:
    return {"dog": c % 2 == 1, "fur": FURS[(c // 2) % len(FURS)], "pattern": (c // 2 + c % 2) % 3,
            "aspect": rng.uniform(0.8, 1.15), "ear": rng.uniform(0.3, 0.5)}


def _pets(p: Proto, rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    img, d, cx, cy, r = _canvas(textured_background(rng, w, h))
    at = dict(cx=cx + rng.uniform(-0.2, 0.2) * r, cy=cy + rng.uniform(-0.15, 0.2) * r,
              scale=r * rng.uniform(0.45, 0.72), angle=rng.uniform(-0.5, 0.5))
    fur = _jit(rng, p["fur"], dh=0.05, ds=0.25, dv=0.25)
    dark = tuple(int(v * 0.5) for v in fur)
    e, ax = p["ear"], p["aspect"]
    for side in (1, -1):
        ear = (_ellipse(side * 0.85 * ax, -0.1, 0.22, e + 0.25, side * 0.25) if p["dog"]
               else [(side * 0.3 * ax, 0.6), (side * 0.85 * ax, 0.55 + e), (side * 0.9 * ax, 0.2)])
        d.polygon(transform(ear, **at), fill=dark if p["dog"] else fur)
    d.polygon(transform(_ellipse(0, 0, 0.9 * ax, 0.85), **at), fill=fur)
    if p["pattern"] == 1:                                                                # stripes
        for k in (-0.4, 0.0, 0.4):
            d.polygon(transform([(k - 0.06, 0.84), (k + 0.06, 0.84), (k * 0.8 + 0.03, 0.35), (k * 0.8 - 0.03, 0.35)],
                                **at), fill=dark)
    elif p["pattern"] == 2:                                                              # patch over one eye
        d.polygon(transform(_ellipse(-0.35, 0.2, 0.32, 0.3), **at), fill=dark)
    if p["dog"]:
        d.polygon(transform(_ellipse(0, -0.4, 0.38, 0.3), **at), fill=_jit(rng, (0.1, 0.15, 0.9)))
    eye = hsv(rng.choice([0.1, 0.3, 0.58, 0.15]), 0.8, 0.7)
    for side in (1, -1):
        d.polygon(transform(_ellipse(side * 0.35, 0.15, 0.13, 0.11), **at), fill=eye)
        d.polygon(transform(_ellipse(side * 0.35, 0.15, 0.04 if not p["dog"] else 0.08, 0.1), **at), fill=(10, 10, 10))
    d.polygon(transform([(-0.1, -0.25), (0.1, -0.25), (0.0, -0.38)], **at), fill=(40, 25, 25))
    return finish(img, rng, rng.uniform(2, 6))


# --- sun397 ------------------------------------------------------------------------------------------------


def _sun_proto(c: int, rng: np.random.Generator) -> Proto:
    return {"scene": c % len(SCENES), "time": (c // len(SCENES)) % 3, "horizon": rng.uniform(0.45, 0.65)}


def _sun_elements(d: ImageDraw.ImageDraw, rng: np.random.Generator, scene: int, w: int, h: int, hz: float,
                  k: float) -> None:
    """The structures of a scene type; `k` scales their number and size (k < 1 for a stray element)."""
    if scene == 0:                                                                      # beach: sea band
        d.rectangle([0, hz, w, hz + k * rng.uniform(0.08, 0.2) * h], fill=_jit(rng, (0.55, 0.7, 0.6)))
    elif scene == 1:                                                                    # city: buildings
        x = rng.uniform(0, w) if k < 1 else 0.0
        while x < w:
            bw, bh = rng.uniform(0.08, 0.2) * w, k * rng.uniform(0.2, 0.5) * h
            d.rectangle([x, hz - bh, x + bw, hz], fill=hsv(rng.random(), 0.15, rng.uniform(0.3, 0.7)))
            x += bw + rng.uniform(0, 0.03) * w + (w if k < 1 else 0)
    elif scene == 2:                                                                    # desert: dunes
        xs = np.linspace(0, w, 12)
        ys = hz + k * 0.06 * h * np.sin(xs / w * rng.uniform(6, 12) + rng.uniform(0, 6))
        d.polygon([(0, h)] + list(zip(xs.tolist(), ys.tolist())) + [(w, h)], fill=_jit(rng, (0.09, 0.6, 0.7)))
    elif scene == 3:                                                                    # forest: trees
        for _ in range(max(1, int(k * rng.integers(4, 10)))):
            x, s = rng.uniform(0, w), rng.uniform(0.1, 0.25) * h
            d.polygon([(x - s * 0.5, hz + 0.02 * h), (x + s * 0.5, hz + 0.02 * h), (x, hz - 1.6 * s)],
                      fill=_jit(rng, (0.33, 0.6, 0.3)))
    else:                                                                               # mountains with snow caps
        for _ in range(max(1, int(k * rng.integers(2, 4)))):
            x, s = rng.uniform(0, w), k * rng.uniform(0.25, 0.45) * h
            d.polygon([(x - s, hz), (x + s, hz), (x, hz - s)], fill=_jit(rng, (0.6, 0.1, 0.45)))
            d.polygon([(x - 0.25 * s, hz - 0.75 * s), (x + 0.25 * s, hz - 0.75 * s), (x, hz - s)], fill=(245, 245, 250))


def _sun(p: Proto, rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    sky = [(0.58, 0.55, 0.95), (0.05, 0.6, 0.9), (0.6, 0.05, 0.65)][p["time"]]                # day, dusk, overcast
    top = _jit(rng, sky, dh=0.05, ds=0.2, dv=0.2)
    bottom = _jit(rng, (sky[0] + 0.05, sky[1] * 0.5, min(1.0, sky[2] + 0.1)), dh=0.05, ds=0.2, dv=0.2)
    hz = (p["horizon"] + rng.uniform(-0.12, 0.12)) * h
    grounds = [(0.12, 0.35, 0.9), (0.0, 0.0, 0.4), (0.1, 0.55, 0.8), (0.3, 0.6, 0.35), (0.33, 0.3, 0.45)]
    ground = grounds[p["scene"] if rng.random() < 0.6 else int(rng.integers(len(grounds)))]
    bg = _gradient(w, h, top, bottom, hz / h)
    bg[int(hz):] = np.array(_jit(rng, ground, dh=0.05, ds=0.25, dv=0.25), np.float32) * (
        0.8 + 0.4 * smooth_noise(rng, w, h - int(hz), 4, 1))
    img, d, _, _, _ = _canvas(bg)
    if rng.random() < 0.4:                                                              # a stray element
        _sun_elements(d, rng, int(rng.integers(len(SCENES))), w, h, hz, 0.5)
    _sun_elements(d, rng, p["scene"], w, h, hz, 1.0)
    return finish(img, rng, rng.uniform(2, 6))


# --- class names (label order = the reader's order) --------------------------------------------------------


def _names(name: str, n: int) -> list[str]:
    if name == "aircraft":                           # variants contain spaces and slashes, as the real ones
        return [[f"{700 + 10 * c}-{100 + c}", f"Cessna {150 + c}", f"F/A-{10 + c}"][c % 3] for c in range(n)]
    if name == "caltech101":
        return ["BACKGROUND_Google"] + [f"object_{c:02d}" for c in range(1, n)]
    if name == "cars":
        return [f"Procedural {CAR_STYLES[c % 4]} Model{c // 4 + 1} {2001 + c}" for c in range(n)]
    if name == "dtd":
        return [DTD_FAMILIES[c % 8] + ("" if c < 8 else str(c // 8 + 1)) for c in range(n)]
    if name == "flowers":
        return [str(c + 1) for c in range(n)]
    if name == "food":
        return [f"dish_{c:02d}" for c in range(n)]
    if name == "pets":                               # cat breeds are capitalised in file names, dog breeds not
        return [f"dog_breed{c:02d}" if c % 2 else f"Cat_Breed{c:02d}" for c in range(n)]
    times = ("", "_dusk", "_overcast")
    return [SCENES[c % 5] + times[(c // 5) % 3] + ("" if c < 15 else str(c // 15 + 1)) for c in range(n)]


_PROTOS: dict[str, Callable[[int, np.random.Generator], Proto]] = {
    "aircraft": _aircraft_proto, "caltech101": _caltech_proto, "cars": _cars_proto, "dtd": _dtd_proto,
    "flowers": _flowers_proto, "food": _food_proto, "pets": _pets_proto, "sun397": _sun_proto}
_RENDER: dict[str, Callable[[Proto, np.random.Generator, int, int], np.ndarray]] = {
    "aircraft": _aircraft, "caltech101": _caltech, "cars": _cars, "dtd": _dtd, "flowers": _flowers,
    "food": _food, "pets": _pets, "sun397": _sun}
_SORTED = {"caltech101", "dtd", "food", "sun397"}    # readers that order classes by name


def standin_classes(name: str, n_classes: int) -> list[tuple[str, Proto]]:
    """(class name, prototype) per label; the prototype depends only on (name, class), not on the seed."""
    pairs = [(nm, _PROTOS[name](c, _class_rng(name, c))) for c, nm in enumerate(_names(name, n_classes))]
    return sorted(pairs, key=lambda t: t[0]) if name in _SORTED else pairs


def render_standin(name: str, proto: Proto, rng: np.random.Generator, image_size: int) -> np.ndarray:
    """One uint8 (H, W, 3) image of a class; the shorter side is `image_size`, the aspect `ASPECT[name]`."""
    a = ASPECT[name]
    w, h = (round(image_size * a), image_size) if a >= 1 else (image_size, round(image_size / a))
    return _RENDER[name](proto, rng, w * SUPERSAMPLE, h * SUPERSAMPLE)


# --- writers (one per layout) ------------------------------------------------------------------------------

Items = dict[str, list[tuple[int, np.ndarray]]]          # split -> [(label, image)]


def _jpeg(path: Path, img: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path, format="JPEG", quality=JPEG_QUALITY, subsampling=0)


def _text(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(ln + "\n" for ln in lines))


def _savemat(path: Path, variables: dict) -> None:
    """scipy.io.savemat with a fixed header text (savemat's own carries the creation time)."""
    from scipy.io import savemat

    buf = io.BytesIO()
    savemat(buf, variables)
    data = buf.getvalue()
    header = b"MATLAB 5.0 MAT-file, written by diffae.data.standin_transfer".ljust(116, b" ")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + data[116:])


def _write_aircraft(base: Path, names: list[str], items: Items) -> None:
    data, rows, i = base / "data", {}, 0
    for split, pairs in items.items():
        rows[split] = []
        for label, img in pairs:
            image_id = f"{1000000 + 37 * i:07d}"
            _jpeg(data / "images" / f"{image_id}.jpg", img)
            rows[split].append(f"{image_id} {names[label]}")
            i += 1
    rows["trainval"] = sorted(rows["train"] + rows["val"])
    for split, lines in rows.items():
        _text(data / f"images_variant_{split}.txt", sorted(lines))
    _text(data / "variants.txt", names)


def _write_caltech101(base: Path, names: list[str], items: Items) -> None:
    count = [0] * len(names)
    for split, pairs in items.items():
        lines = []
        for label, img in pairs:
            count[label] += 1
            rel = f"{names[label]}/image_{count[label]:04d}.jpg"
            _jpeg(base / "101_ObjectCategories" / rel, img)
            lines.append(f"{rel} {label}")
        _text(base / f"{split}.txt", lines)


def _write_cars(base: Path, names: list[str], items: Items) -> None:
    fields = ["bbox_x1", "bbox_y1", "bbox_x2", "bbox_y2", "class", "fname"]
    for split, pairs in items.items():
        annos = np.zeros((1, len(pairs)), dtype=[(f, object) for f in fields])
        for i, (label, img) in enumerate(pairs):
            fname = f"{i + 1:05d}.jpg"
            _jpeg(base / f"cars_{split}" / fname, img)
            annos[0, i] = (np.uint16(1), np.uint16(1), np.uint16(img.shape[1]), np.uint16(img.shape[0]),
                           np.uint8(label + 1), fname)
        target = (base / "devkit" / "cars_train_annos.mat" if split == "train"
                  else base / "cars_test_annos_withlabels.mat")
        _savemat(target, {"annotations": annos})
    _savemat(base / "devkit" / "cars_meta.mat", {"class_names": np.array([names], dtype=object)})


def _write_dtd(base: Path, names: list[str], items: Items) -> None:
    data, count = base / "dtd", [0] * len(names)
    for split, pairs in items.items():
        lines = []
        for label, img in pairs:
            count[label] += 1
            rel = f"{names[label]}/{names[label]}_{count[label]:04d}.jpg"
            _jpeg(data / "images" / rel, img)
            lines.append(rel)
        _text(data / "labels" / f"{split}1.txt", lines)


def _write_flowers(base: Path, names: list[str], items: Items) -> None:
    labels, ids, i = [], {"train": "trnid", "val": "valid", "test": "tstid"}, 0
    setid = {}
    for split, pairs in items.items():
        setid[ids[split]] = []
        for label, img in pairs:
            i += 1
            _jpeg(base / "jpg" / f"image_{i:05d}.jpg", img)
            labels.append(label + 1)
            setid[ids[split]].append(i)
    _savemat(base / "imagelabels.mat", {"labels": np.array([labels], dtype=np.float64)})
    _savemat(base / "setid.mat", {k: np.array([v], dtype=np.float64) for k, v in setid.items()})


def _write_food(base: Path, names: list[str], items: Items) -> None:
    i = 0
    for split, pairs in items.items():
        meta: dict[str, list[str]] = {n: [] for n in names}
        for label, img in pairs:
            rel = f"{names[label]}/{1000000 + 7 * i}"
            _jpeg(base / "images" / f"{rel}.jpg", img)
            meta[names[label]].append(rel)
            i += 1
        (base / "meta").mkdir(parents=True, exist_ok=True)
        (base / "meta" / f"{split}.json").write_text(json.dumps(meta))
        _text(base / "meta" / f"{split}.txt", [r for n in names for r in meta[n]])
    _text(base / "meta" / "classes.txt", names)
    _text(base / "meta" / "labels.txt", [n.replace("_", " ").capitalize() for n in names])


def _write_pets(base: Path, names: list[str], items: Items) -> None:
    count = [0] * len(names)
    breed = [sum(1 for m in names[: c + 1] if m[0].isupper() == names[c][0].isupper()) for c in range(len(names))]
    for split, pairs in items.items():
        lines = []
        for label, img in pairs:
            count[label] += 1
            stem = f"{names[label]}_{count[label]}"
            _jpeg(base / "images" / f"{stem}.jpg", img)
            lines.append(f"{stem} {label + 1} {1 if names[label][0].isupper() else 2} {breed[label]}")
        _text(base / "annotations" / ("trainval.txt" if split == "train" else "test.txt"), lines)


def _write_sun397(base: Path, names: list[str], items: Items) -> None:
    for split, pairs in items.items():
        lines = []
        for k, (label, img) in enumerate(pairs):
            digest = hashlib.sha1(f"{split}-{k}".encode()).hexdigest()[:16]
            rel = f"/{names[label][0]}/{names[label]}/sun_{''.join(chr(97 + int(x, 16)) for x in digest)}.jpg"
            _jpeg(base / rel.lstrip("/"), img)
            lines.append(rel)
        _text(base / ("Training_01.txt" if split == "train" else "Testing_01.txt"), lines)
    _text(base / "ClassName.txt", [f"/{n[0]}/{n}" for n in names])


_WRITERS: dict[str, Callable[[Path, list[str], Items], None]] = {
    "aircraft": _write_aircraft, "caltech101": _write_caltech101, "cars": _write_cars, "dtd": _write_dtd,
    "flowers": _write_flowers, "food": _write_food, "pets": _write_pets, "sun397": _write_sun397}


def write_standin_transfer(root: Union[str, Path], name: str, n_classes: int = 6, n_train_per_class: int = 20,
                           n_test_per_class: int = 30, image_size: int = 32, seed: int = 0) -> dict[str, int]:
    """Write the stand-in of transfer dataset `name` under `root` in its layout (`transfer.LAYOUTS`); returns
    {split: n_images}. Train, (val,) test hold n_train, (n_train,) n_test images per class, classes interleaved."""
    if name not in IMAGE_DATASETS:
        raise ValueError(f"unknown transfer dataset {name!r}; expected one of {IMAGE_DATASETS}")
    if n_classes < 2 or (name == "caltech101" and n_classes < 3):
        raise ValueError(f"n_classes must be >= 2 (>= 3 for caltech101, whose class 0 is clutter), got {n_classes}")
    if n_train_per_class < 1 or n_test_per_class < 1:
        raise ValueError(f"n_train_per_class and n_test_per_class must be >= 1, got {n_train_per_class}, "
                         f"{n_test_per_class}")
    if image_size < 8:
        raise ValueError(f"image_size must be >= 8, got {image_size}")
    classes = standin_classes(name, n_classes)
    splits = {"train": n_train_per_class, **({"val": n_train_per_class} if name in HAS_VAL else {}),
              "test": n_test_per_class}
    ds = IMAGE_DATASETS.index(name)
    items: Items = {}
    for s, (split, n) in enumerate(splits.items()):
        items[split] = [(c, render_standin(name, classes[c][1], np.random.default_rng([int(seed), ds, s, c, k]),
                                           image_size)) for k in range(n) for c in range(len(classes))]
    base = Path(root) / FOLDERS[name]
    tmp = base.with_name(base.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    _WRITERS[name](tmp, [nm for nm, _ in classes], items)
    shutil.rmtree(base, ignore_errors=True)
    tmp.rename(base)
    return {split: len(pairs) for split, pairs in items.items()} | (
        {"trainval": 2 * len(items["train"])} if name in HAS_VAL else {})


def write_standin_transfer_sets(out_root: Union[str, Path], datasets: Sequence[str], n_classes: int,
                                n_train_per_class: int, n_test_per_class: int, image_size: int,
                                seed: int) -> int:
    """Every transfer set of `datasets` (params data.transfer) under one root, as the real root holds them; CIFAR-100
    in its pickle release. Each set gets its own seed (seed + its position in TRANSFER_DATASETS). Returns the image
    count."""
    from diffae.data.standin_cifar import write_standin_cifar
    from diffae.data.transfer import TRANSFER_DATASETS

    total = 0
    for name in datasets:
        set_seed = seed + TRANSFER_DATASETS.index(name)
        if name == "cifar100":
            counts = write_standin_cifar(out_root, "cifar100", n_train_per_class=n_train_per_class,
                                         n_test_per_class=n_test_per_class, seed=set_seed, n_classes=n_classes)
        else:
            counts = write_standin_transfer(out_root, name, n_classes=n_classes, n_train_per_class=n_train_per_class,
                                            n_test_per_class=n_test_per_class, image_size=image_size, seed=set_seed)
        total += sum(v for k, v in counts.items() if k != "trainval")  # trainval = train + val, counted once
    return total
