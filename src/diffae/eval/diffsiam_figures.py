"""Image grids of DiffSiam's generation figures (thesis §1, §4.2.1; spec §2.5, §2.10), from the frozen DM and the
runs with a decoder; each caption states what was run. ``diffae.report.figures_diffsiam`` draws them.

  Fig. 1.1      what the frozen DM loses as t grows: x_t and its prediction x0_hat = u_theta(x_t, t) at rising t
  Figs 4.1/4.2  counterfactuals (Algorithm 2): the segments S of z Lerped toward the other image's, x_T Slerped,
                at each scale; x0 -> x0' and the mirror x0' -> x0, per segment range, PDAE above DiffSiam (for PDAE
                the same dimension ranges of its unpartitioned z, as the thesis does)
  Figs 4.3/4.4  full-z interpolation (Lerp all of z, Slerp x_T), PDAE above DiffSiam
  Figs 4.5-4.7  modular manipulation (Algorithm 3) with ProbMask classifiers and without a mask, on datasets
                with labelled attributes (``diffae.eval.diffsiam_manipulation``)

The thesis shows them on CelebA / FFHQ / Bedroom; a grid of another dataset carries the dataset in its file name
and no figure number.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from diffae.data.images import to_model_range, to_tiles
from diffae.eval import editing
from diffae.eval.editing_grids import interp_alphas, interp_columns, stack_rows
from diffae.eval.figure_data import ImageGrid, save_grid

# (kind, dataset) -> the thesis's figure; other pairs are ours, unnumbered
DIFFSIAM_FIGURES = {("lost_attributes", "celeba"): "fig1_1", ("counterfactuals", "ffhq"): "fig4_1",
                    ("counterfactuals", "lsun_bedroom"): "fig4_2", ("interpolation", "ffhq"): "fig4_3",
                    ("interpolation", "lsun_bedroom"): "fig4_4", ("manipulation", "celeba"): "fig4_5",
                    ("manipulation", "lsun_bedroom"): "fig4_6", ("manipulation_full_dim", "celeba"): "fig4_7"}


def diffsiam_figure_name(kind: str, dataset: str) -> str:
    """File stem of a DiffSiam grid: "fig4_2_counterfactuals_lsun_bedroom" where the thesis has it, else
    "diffsiam_counterfactuals_cifar10"."""
    number = DIFFSIAM_FIGURES.get((kind, dataset))
    return f"{number}_{kind}_{dataset}" if number else f"diffsiam_{kind}_{dataset}"


def check_segment_ranges(ranges: Sequence[Sequence[int]], n_segments: int) -> list[tuple[int, int]]:
    """Segment ranges [lo, hi) of eval.diffsiam_figures.segment_ranges, 0-based as the thesis names them (0-2 = the
    first two segments)."""
    out = []
    for r in ranges:
        if len(r) != 2 or not 0 <= int(r[0]) < int(r[1]) <= n_segments:
            raise ValueError(f"eval.diffsiam_figures.segment_ranges: {list(r)} is not a range [lo, hi) with "
                             f"0 <= lo < hi <= n_segments = {n_segments}")
        out.append((int(r[0]), int(r[1])))
    return out


@torch.no_grad()
def lost_attributes_grid(dm, diffusion, x: Tensor, timesteps: Sequence[int], generator: torch.Generator,
                         what: str) -> ImageGrid:
    """Fig. 1.1: per image, x_t = q(x_t | x0) and the frozen DM's x0_hat = u_theta(x_t, t) (clamped) at each t."""
    bad = [t for t in timesteps if not 0 <= t < diffusion.T]
    if bad:
        raise ValueError(f"eval.diffsiam_figures.lost_t: {bad} outside [0, T = {diffusion.T})")
    columns = [("x0", to_tiles(x))]
    for t in timesteps:
        tt = torch.full((len(x),), int(t), dtype=torch.long, device=x.device)
        noise = torch.randn(x.shape, generator=generator).to(x)
        x_t = diffusion.q_sample(x, tt, noise)
        x0_hat = diffusion.pred_x0_from_eps(x_t, tt, dm(x_t, tt)).clamp(-1, 1)
        columns += [(f"x_t, t={t}", to_tiles(x_t.clamp(-1, 1))), (f"x0_hat, t={t}", to_tiles(x0_hat))]
    return ImageGrid(columns, f"What the frozen DM loses as t grows (DiffSiam Fig. 1.1): x_t and the DM's prediction "
                              f"u_theta(x_t, t) at t = {', '.join(map(str, timesteps))} of T = {diffusion.T}. {what}.",
                     separator_after=1)


def _inversion(codecs: Sequence) -> str:
    guided = {bool(c.invert_with_guidance) for c in codecs}
    if guided == {False}:
        return "through the frozen DM alone (thesis, A9)"
    if guided == {True}:
        return "with the z-guided model (PDAE/DiTi; not the thesis's A9)"
    return "per codec's invert_with_guidance"


@torch.no_grad()
def counterfactual_grid(codecs: Sequence, x1: Tensor, x2: Tensor, ranges: Sequence[tuple[int, int]],
                        scales: Sequence[float], n_steps: int, what: str) -> ImageGrid:
    """Algorithm 2 per codec, pair and segment range: a row x0 -> x0' (segments lo..hi-1 of z Lerped toward z',
    x_T Slerped, at each scale) and its mirror x0' -> x0."""
    blocks, labels = [], []
    for codec in codecs:
        for lo, hi in ranges:
            parts = list(codec.partition.names[lo:hi])
            fwd = editing.interpolate(codec, x1, x2, scales, n_steps=n_steps, parts=parts)
            back = editing.interpolate(codec, x2, x1, scales, n_steps=n_steps, parts=parts)
            for i in range(len(x1)):
                blocks.append(interp_columns(x1[i:i + 1], x2[i:i + 1], fwd[:, i:i + 1], scales))
                blocks.append(interp_columns(x2[i:i + 1], x1[i:i + 1], back[:, i:i + 1], scales))
                labels += [f"{codec.name} {lo}-{hi}: x0 -> x0'", f"{codec.name} {lo}-{hi}: x0' -> x0"]
    columns = [("source", c[1]) if k == 0 else ("target", c[1]) if k == len(scales) + 1 else c
               for k, c in enumerate(stack_rows(blocks))]
    return ImageGrid(columns, f"Counterfactuals (DiffSiam Algorithm 2, Figs 4.1-4.2): segments lo..hi-1 of z Lerped "
                              f"toward the target's, x_T Slerped between the images' DDIM inversions "
                              f"{_inversion(codecs)}, at scales {', '.join(f'{s:g}' for s in scales)}; T = {n_steps} "
                              f"DDIM steps; {' above '.join(c.name for c in codecs)}. {what}.", row_labels=labels)


@torch.no_grad()
def full_interpolation_grid(codecs: Sequence, x1: Tensor, x2: Tensor, n_interp: int, n_steps: int,
                            what: str) -> ImageGrid:
    """Figs 4.3/4.4: Lerp all of z, Slerp the inverted x_T; one row per pair per codec."""
    alphas = interp_alphas(n_interp)
    blocks, labels = [], []
    for codec in codecs:
        frames = editing.interpolate(codec, x1, x2, alphas, n_steps=n_steps)
        for i in range(len(x1)):
            blocks.append(interp_columns(x1[i:i + 1], x2[i:i + 1], frames[:, i:i + 1], alphas))
            labels.append(codec.name)
    return ImageGrid(stack_rows(blocks), f"Full-z interpolation (DiffSiam Figs 4.3-4.4): Lerp of all of z, Slerp of "
                                         f"x_T inverted {_inversion(codecs)}; T = {n_steps} DDIM steps; "
                                         f"{' above '.join(c.name for c in codecs)}. {what}.", row_labels=labels)


def write_diffsiam_figures(*, models_dir: str | Path, dm: str | Path, runs: Sequence[str], all_runs: dict,
                           prepared: str | Path, outdir: str | Path, dataset: str, cfg, manipulation, clip_x0: bool,
                           preset: str, device: str) -> list[Path]:
    """`diffae eval-diffsiam-figures`: the grids of ``cfg`` (params eval.diffsiam_figures) from the frozen DM ``dm``
    and the runs ``runs`` (their ``<models_dir>/<run>/final.pt``), on held-out pairs of ``prepared`` images, and
    the manipulation grids of ``manipulation`` (params eval.diffsiam_manipulation) where it names attributes of
    ``dataset``."""
    from diffae.data.prepared import load_prepared
    from diffae.eval.codecs import load_codec
    from diffae.eval.diffsiam_codec import load_pdae_codec
    from diffae.eval.diffsiam_manipulation import manipulation_grids
    from diffae.utils.diffsiam_names import method_name

    unknown = [r for r in runs if r not in all_runs]
    if unknown:
        raise ValueError(f"eval.diffsiam_figures.runs: {unknown} are not in diffsiam.runs ({sorted(all_runs)})")
    no_decoder = [r for r in runs if all_runs[r].method == "simsiam"]
    if no_decoder:
        raise ValueError(f"eval.diffsiam_figures.runs: {no_decoder} are SimSiam runs, which have no decoder")
    codecs = [load_pdae_codec(Path(models_dir) / r / "final.pt",
                              method_name(all_runs[r].method, all_runs[r].variant, all_runs[r].k_mode), device,
                              clip_x0=clip_x0, shift_form=cfg.shift_form, sample_mask=cfg.sample_mask,
                              invert_with_guidance=cfg.invert_with_guidance) for r in runs]
    ranges = check_segment_ranges(cfg.segment_ranges, len(codecs[0].partition.names))
    data = load_prepared(prepared)
    images = data.images
    if len(images) < 2 * cfg.n_pairs:
        raise ValueError(f"{prepared}: eval.diffsiam_figures.n_pairs = {cfg.n_pairs} needs {2 * cfg.n_pairs} images, "
                         f"found {len(images)}")
    idx = np.sort(np.random.default_rng(cfg.seed).choice(len(images), size=2 * cfg.n_pairs, replace=False))
    x = to_model_range(images[idx]).to(device)
    x1, x2 = x[:cfg.n_pairs], x[cfg.n_pairs:]
    what = f"{dataset} training images drawn with seed {cfg.seed}, preset {preset}"
    ddim = load_codec("DDIM", dm, device, clip_x0=clip_x0)
    gen = torch.Generator().manual_seed(cfg.seed)
    grids = {"lost_attributes": lost_attributes_grid(ddim.unet, ddim.diffusion, x1, cfg.lost_t, gen, what),
             "counterfactuals": counterfactual_grid(codecs, x1, x2, ranges, cfg.scales, cfg.T, what),
             "interpolation": full_interpolation_grid(codecs, x1, x2, cfg.n_interp, cfg.T, what),
             **manipulation_grids(codecs, images, data.labels, dataset, manipulation,
                                  f"{dataset} images drawn with seed {manipulation.seed}, preset {preset}", device)}
    paths = []
    for kind, grid in grids.items():
        paths.append(Path(outdir) / f"{diffsiam_figure_name(kind, dataset)}.npz")
        save_grid(paths[-1], grid)
    return paths
