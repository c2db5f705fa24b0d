"""Attribute editing with a partitioned latent: replacement, recombination, interpolation, PPL.

Every function works on any codec of ``diffae.eval.codecs`` (``.partition``, ``.stochastic``,
``.encode``, ``.decode(z, n_steps, x_T)``, and ``.invert(x, z, n_steps)`` for diffusion codecs); images
are float NCHW in [-1, 1]; ``n_steps`` is the number of DDIM sampling steps. Pixel autoencoders
(GZS-Net, AE + DS) ignore ``n_steps`` and ``x_T``. Random x_T comes from ``diffusion.sample_noise``.

- Image replacement, DiffuseGAE §4.2 / Fig. 6: parts of z_dis from a donor, x_T inferred
  from the base image with Eq. (7).
- Image recombination, DiffuseGAE §4.2 / Fig. 7: each part from a different image,
  x_T ~ N(0, I).
- Interpolation, DiffuseGAE §4.4 / Figs 8-9: Lerp on z_dis (all parts, or one part only),
  Slerp on the inferred x_T.
- PPL over DDIM steps, DiffuseGAE Eq. (13) / Fig. 10 (Diff-AE App. F Eq. 10), computed by
  ``diffae.eval.ppl``.
"""
from __future__ import annotations

from typing import Literal, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from diffae.diffusion import lerp, sample_noise, slerp
from diffae.eval.ppl import percentile_filtered_mean, ppl_distances


def _check_images(x: Tensor, what: str) -> None:
    if not isinstance(x, Tensor) or x.dim() != 4 or not x.dtype.is_floating_point:
        got = f"{x.dtype} {tuple(x.shape)}" if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{what}: expected float images (N, C, H, W) in [-1, 1], got {got}")


def _part_names(codec, what: str) -> tuple[str, ...]:
    if codec.partition is None:
        raise ValueError(f"{what}: codec {codec.name!r} has no attribute partition (load it with one)")
    return codec.partition.names


def _check_parts(codec, parts: Sequence[str], what: str) -> None:
    names = _part_names(codec, what)
    unknown = [p for p in parts if p not in names]
    if unknown:
        raise KeyError(f"{what}: unknown part(s) {unknown} for codec {codec.name!r}; expected names from {names}")


def _random_noise(like: Tensor, generator: torch.Generator | None) -> Tensor:
    """x_T ~ N(0, I) of the images' shape, drawn on the CPU (seeded, float32), moved to their device and dtype."""
    return sample_noise(like.shape, generator, like.device).to(like.dtype)


def _decode(codec, z: Tensor, n_steps: int, x_T: Tensor | None) -> Tensor:
    if codec.stochastic:
        return codec.decode(z, n_steps, x_T=x_T)
    return codec.decode(z)


def replace_parts(codec, z_base: Tensor, z_donor: Tensor, parts: Sequence[str]) -> Tensor:
    """z_base with the listed parts taken from z_donor (GZS-Net §3 swap, one direction)."""
    _check_parts(codec, parts, "replace_parts")
    if z_base.shape != z_donor.shape:
        raise ValueError(f"replace_parts: z_base {tuple(z_base.shape)} and z_donor {tuple(z_donor.shape)} differ")
    z = z_base.clone()
    for p in parts:
        sl = codec.partition.slice(p)
        z[..., sl] = z_donor[..., sl]
    return z


@torch.no_grad()
def replace_attributes(
    codec,
    x_base: Tensor,
    x_donor: Tensor,
    parts: Sequence[str],
    n_steps: int,
    invert_base: bool = True,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Image replacement, DiffuseGAE §4.2 / Fig. 6: base images with ``parts`` from the donors.

    z = encode(x_base) with the listed parts from encode(x_donor). Diffusion codecs decode
    it with ``n_steps`` DDIM steps from x_T = invert(x_base, z_base, n_steps) ("we follow Eq. (7) to
    generate noise map x_T from column identity images"); ``invert_base=False`` uses
    x_T ~ N(0, I) from ``generator`` instead. Pixel codecs decode z directly.
    """
    _check_images(x_base, "replace_attributes x_base")
    _check_images(x_donor, "replace_attributes x_donor")
    if x_base.shape != x_donor.shape:
        raise ValueError(f"replace_attributes: x_base {tuple(x_base.shape)} != x_donor {tuple(x_donor.shape)}")
    z_base = codec.encode(x_base)
    z = replace_parts(codec, z_base, codec.encode(x_donor), parts)
    x_T = None
    if codec.stochastic:
        x_T = codec.invert(x_base, z_base, n_steps) if invert_base else _random_noise(x_base, generator)
    return _decode(codec, z, n_steps, x_T)


@torch.no_grad()
def recombine(
    codec,
    sources: Mapping[str, Tensor],
    n_steps: int,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Image recombination, DiffuseGAE §4.2 / Fig. 7: part k of z_dis from ``sources[k]``.

    ``sources`` maps every part name of ``codec.partition`` to a batch of images (all of one
    shape); row i of the output takes each part from row i of that part's source. Diffusion
    codecs decode with x_T ~ N(0, I) drawn from ``generator`` ("since there is no such target
    image ... we adopt x_T ~ N(0, I)").
    """
    names = _part_names(codec, "recombine")
    missing = [n for n in names if n not in sources]
    extra = [n for n in sources if n not in names]
    if missing or extra:
        raise KeyError(f"recombine: sources must give exactly the parts {names} of codec {codec.name!r}; "
                       f"missing {missing}, unknown {extra}")
    shapes = {n: tuple(sources[n].shape) for n in names}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"recombine: source batches differ in shape: {shapes}")
    for n in names:
        _check_images(sources[n], f"recombine source {n!r}")
    z = torch.stack([codec.encode(sources[n]) for n in names], dim=1)  # (N, m, dim)
    z = codec.partition.assemble(z)
    first = sources[names[0]]
    x_T = _random_noise(first, generator) if codec.stochastic else None
    return _decode(codec, z, n_steps, x_T)


@torch.no_grad()
def interpolate(
    codec,
    x1: Tensor,
    x2: Tensor,
    alphas: Sequence[float] | Tensor,
    n_steps: int,
    parts: Sequence[str] | None = None,
    xT_path: Literal["slerp", "first"] = "slerp",
) -> Tensor:
    """Latent interpolation, DiffuseGAE §4.4 / Fig. 8 (all parts) and Fig. 9 (single attribute).

    z(alpha) = Lerp(z1, z2; alpha) on the whole code (``parts=None``) or only on the listed
    parts, the others kept from z1 ("we only work on the part of z_dis that corresponds to
    the attribute"); a codec without a latent (DDIM) interpolates x_T alone. Diffusion codecs decode from Slerp(x_T1, x_T2; alpha) with
    x_Ti = invert(x_i, z_i, n_steps) (§4.4); ``xT_path="first"`` keeps x_T1 along the path (an
    option for single-attribute paths, which the paper does not spell out).
    Returns (len(alphas), N, C, H, W).
    """
    _check_images(x1, "interpolate x1")
    _check_images(x2, "interpolate x2")
    if x1.shape != x2.shape:
        raise ValueError(f"interpolate: x1 {tuple(x1.shape)} != x2 {tuple(x2.shape)}")
    if xT_path not in ("slerp", "first"):
        raise ValueError(f"interpolate: xT_path must be 'slerp' or 'first', got {xT_path!r}")
    alphas = [float(a) for a in torch.as_tensor(alphas, dtype=torch.float64).reshape(-1)]
    if not alphas:
        raise ValueError("interpolate: alphas is empty")
    if parts is not None:
        _check_parts(codec, parts, "interpolate")
    z1, z2 = codec.encode(x1), codec.encode(x2)
    xT1 = xT2 = None
    if codec.stochastic:
        xT1 = codec.invert(x1, z1, n_steps)
        xT2 = codec.invert(x2, z2, n_steps) if xT_path == "slerp" else xT1
    frames = []
    for a in alphas:
        if z1 is None:  # the DDIM baseline: x_T is the whole code (Diff-AE Fig. 4c)
            z = None
        elif parts is None:
            z = lerp(z1, z2, a)
        else:
            z = z1.clone()
            for p in parts:
                sl = codec.partition.slice(p)
                z[..., sl] = lerp(z1[..., sl], z2[..., sl], a)
        x_T = None if xT1 is None else (slerp(xT1, xT2, a) if xT_path == "slerp" else xT1)
        frames.append(_decode(codec, z, n_steps, x_T))
    return torch.stack(frames)


def _distinct_pairs(n: int, n_pairs: int, generator: torch.Generator | None) -> tuple[Tensor, Tensor]:
    """n_pairs random index pairs (i, j), i != j, uniform over ordered distinct pairs."""
    i = torch.randint(0, n, (n_pairs,), generator=generator)
    j = (i + torch.randint(1, n, (n_pairs,), generator=generator)) % n
    return i, j


@torch.no_grad()
def _encode_batched(codec, images: Tensor, idx: Tensor, batch_size: int, device) -> Tensor | None:
    out = [codec.encode(images[idx[s:s + batch_size]].to(device)) for s in range(0, len(idx), batch_size)]
    return None if out[0] is None else torch.cat(out)


@torch.no_grad()
def _invert_batched(codec, images: Tensor, idx: Tensor, z: Tensor | None, n_steps: int, batch_size: int,
                    device) -> Tensor:
    out = [codec.invert(images[idx[s:s + batch_size]].to(device), None if z is None else z[s:s + batch_size],
                        n_steps) for s in range(0, len(idx), batch_size)]
    return torch.cat(out).cpu()


def ppl_curve(
    codec,
    images: Tensor,
    step_counts: Sequence[int],
    n_pairs: int,
    eps: float,
    lpips_vgg,
    generator: torch.Generator | None = None,
    batch_size: int = 16,
    z_interp: Literal["lerp", "slerp"] = "lerp",
    device: str | torch.device | None = None,
    x_T: Literal["random", "inferred"] = "random",
) -> list[dict]:
    """Perceptual path length per number of DDIM steps (``step_counts``), DiffuseGAE Eq. (13) / Fig. 10 and
    Diff-AE App. F Eq. (10).

    ``n_pairs`` random pairs of distinct ``images`` (N, C, H, W in [-1, 1], may stay on the
    CPU) are encoded to (z1, z2) and given x_T1, x_T2 ~ N(0, I) (``x_T="random"``, DiffuseGAE: "with
    x_T ~ N(0, I)") or inverted from the images at each step count (``"inferred"``, Diff-AE's real-image
    interpolation); for each step count the distance d(G(z(a), x_T(a)), G(z(a + eps), x_T(a + eps))) / eps^2
    uses ``lpips_vgg`` (LPIPS-VGG, Diff-AE App. F), z(a) = Lerp (DESIGN §5; ``z_interp="slerp"``
    is the equations' literal reading) and x_T(a) = Slerp, then the 1st-99th percentile
    filtered mean (``diffae.eval.ppl``). A codec without a latent (DDIM) walks Slerp(x_T1, x_T2) alone.
    Pairs, x_T and alpha are drawn once from ``generator`` and shared by all step counts, so the curve
    compares them on the same paths. Pixel codecs have no x_T and give the same value for every step count.
    Returns [{"T", "ppl", "n_pairs", "eps"}] in the order of ``step_counts`` ("T" = DDIM steps, the
    paper's axis).
    """
    _check_images(images, "ppl_curve images")
    if len(images) < 2:
        raise ValueError(f"ppl_curve: need at least 2 images to form pairs, got {len(images)}")
    if n_pairs < 1 or batch_size < 1:
        raise ValueError(f"ppl_curve: n_pairs ({n_pairs}) and batch_size ({batch_size}) must be >= 1")
    if x_T not in ("random", "inferred"):
        raise ValueError(f"ppl_curve: x_T must be 'random' or 'inferred', got {x_T!r}")
    step_counts = [int(t) for t in step_counts]
    if not step_counts or min(step_counts) < 1:
        raise ValueError(f"ppl_curve: step_counts must be a non-empty list of positive ints, got {step_counts}")
    device = torch.device(device) if device is not None else images.device
    i, j = _distinct_pairs(len(images), n_pairs, generator)
    z1 = _encode_batched(codec, images, i, batch_size, device)
    z2 = _encode_batched(codec, images, j, batch_size, device)
    if z1 is None and not (codec.stochastic and x_T == "inferred"):
        raise ValueError(f"ppl_curve: codec {codec.name!r} has no latent; its path is the inverted x_T "
                         "(x_T='inferred')")
    xT1 = xT2 = None
    if codec.stochastic and x_T == "random":
        shape = (n_pairs, *images.shape[1:])
        xT1 = sample_noise(shape, generator)  # kept on the CPU; moved per batch
        xT2 = sample_noise(shape, generator)
    alpha_seed = int(torch.randint(0, 2**62, (1,), generator=generator))
    rows = []
    for n_steps in step_counts:
        if codec.stochastic and x_T == "inferred":
            xT1 = _invert_batched(codec, images, i, z1, n_steps, batch_size, device)
            xT2 = _invert_batched(codec, images, j, z2, n_steps, batch_size, device)

        def render(z: Tensor | None, x_T: Tensor | None, n_steps: int = n_steps) -> Tensor:
            return _decode(codec, z, n_steps, None if x_T is None else x_T.to(device, torch.float32))

        codes = (z1, z2, xT1, xT2) if z1 is not None else (xT1, xT2, None, None)
        walk = render if z1 is not None else (lambda x, _none: render(None, x))
        with torch.no_grad():
            d = ppl_distances(walk, *codes, lpips_vgg, eps=eps,
                              generator=torch.Generator().manual_seed(alpha_seed),
                              z_interp=z_interp if z1 is not None else "slerp", batch_size=batch_size)
        rows.append({"T": n_steps, "ppl": percentile_filtered_mean(np.asarray(d)), "n_pairs": int(n_pairs),
                     "eps": float(eps)})
    return rows
