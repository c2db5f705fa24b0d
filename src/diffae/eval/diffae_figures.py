"""Image grids of Diff-AE's result figures (spec §1.10), from the models of one dataset; each caption states what
was run. ``diffae.report.figures_diffae`` draws them; the grid files are named by ``figure_data.diffae_figure_name``.

  Fig. 3 / 10   x_T variations: input, reconstruction (inferred x_T), decodings of the input's z_sem with
                x_T ~ N(0, I); Fig. 10 adds their per-pixel mean and standard deviation (App. D)
  Fig. 4 c, d   interpolation between two real images: DDIM (Slerp of inverted x_T) and Diff-AE (Lerp z_sem,
                Slerp inverted x_T), §5.2
  Fig. 6        predicted x0 at steps t9, t8, t7, t5, t2, t0 of a T=10 decoding, DDIM vs Diff-AE, each from
                its own inverted x_T ([UNSPECIFIED] by the paper; ours)
  Figs 14-16    Diff-AE interpolation on FFHQ / LSUN Bedroom / LSUN Horse
  Fig. 9        nearest training images of unconditional samples by LPIPS, image MSE and z_sem MSE
  Figs 20-22    uncurated unconditional samples (latent DDIM + decoder)
The last two are written by the Table 4 evaluation, which has the samples.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from diffae.data.images import squeeze_gray, to_model_range, to_tiles
from diffae.eval import editing
from diffae.eval.editing_grids import interp_alphas, interp_columns, stack_rows
from diffae.eval.figure_data import ImageGrid, diffae_figure_name, save_grid

FIG6_STEPS = (9, 8, 7, 5, 2, 0)  # the DDIM steps Diff-AE Fig. 6 shows, of T = 10


def samples_grid(samples: Tensor, what: str, n_rows: int = 2) -> ImageGrid:
    """Figs 20-22: the samples in ``n_rows`` rows (a last incomplete column is dropped)."""
    n_rows = min(n_rows, len(samples))
    n_cols = len(samples) // n_rows
    tiles = to_tiles(samples[:n_rows * n_cols])
    return ImageGrid([("", tiles[c * n_rows:(c + 1) * n_rows]) for c in range(n_cols)],
                     f"Uncurated unconditional samples (Diff-AE §5.7). {what}.")


@torch.no_grad()
def neighbour_grid(samples: Tensor, train_images: np.ndarray, train_z: Tensor, codec, lpips, *, k: int,
                   batch_size: int, caption: str) -> ImageGrid:
    """Fig. 9: per sample, its ``k`` nearest training images by LPIPS, by image MSE and by z_sem MSE (the
    sample's z_sem = the encoder applied to it; ``train_z`` the training images' z_sem, in row order)."""
    device = next(codec.unet.parameters()).device
    z_s = codec.encode(samples.to(device)).float().cpu()
    by = {"LPIPS": [], "MSE": [], "z_sem MSE": []}
    for x, z in zip(samples, z_s):
        lp, ms = [], []
        for lo in range(0, len(train_images), batch_size):
            t = to_model_range(train_images[lo:lo + batch_size])
            lp.append(lpips(x.expand_as(t), t).float().cpu())
            ms.append(((t - x) ** 2).flatten(1).mean(1))
        by["LPIPS"].append(torch.cat(lp).argsort()[:k])
        by["MSE"].append(torch.cat(ms).argsort()[:k])
        by["z_sem MSE"].append(((train_z - z) ** 2).mean(1).argsort()[:k])
    columns = [("sample", to_tiles(samples))]
    for name, idx in by.items():
        idx = torch.stack(idx).numpy()
        columns += [(f"{name} #{j + 1}", squeeze_gray(train_images[idx[:, j]])) for j in range(idx.shape[1])]
    return ImageGrid(columns, f"Nearest training images of unconditional samples (Diff-AE Fig. 9), by LPIPS, "
                              f"image MSE and z_sem MSE. {caption}.", separator_after=1)


@torch.no_grad()
def variation_grids(codec, x: Tensor, n_variations: int, n_steps: int, generator: torch.Generator,
                    what: str) -> tuple[ImageGrid, ImageGrid]:
    """Figs 3 and 10: input, reconstruction from the inferred x_T, then ``n_variations`` decodings of the same
    z_sem with x_T ~ N(0, I); Fig. 10 adds the mean and standard deviation (scaled to the tile range) of them."""
    z = codec.encode(x)
    recon = codec.decode(z, n_steps, x_T=codec.invert(x, z, n_steps))
    decodes = torch.stack([codec.decode(z, n_steps, x_T=codec.noise(len(x), generator, x.device))
                           for _ in range(n_variations)])
    columns = [("input", to_tiles(x)), ("reconstruction", to_tiles(recon))]
    columns += [(f"x_T ~ N(0, I) #{i + 1}", to_tiles(d)) for i, d in enumerate(decodes)]
    std = decodes.std(0)
    stats = [("mean", to_tiles(decodes.mean(0))), ("std (x4)", to_tiles((4 * std - 1).clamp(-1, 1)))]
    text = (f"T = {n_steps} DDIM steps; reconstruction from x_T inferred by Eq. 8; {n_variations} decodings of the "
            f"input's z_sem with x_T ~ N(0, I). {what}.")
    return (ImageGrid(columns, f"Variations due to x_T (Diff-AE Fig. 3): {text}", separator_after=2),
            ImageGrid(columns + stats, f"Variations due to x_T with their mean and std (Diff-AE Fig. 10, App. D): "
                                       f"{text}", separator_after=2))


@torch.no_grad()
def interpolation_grid(codec, x1: Tensor, x2: Tensor, n_interp: int, n_steps: int, what: str) -> ImageGrid:
    """Diff-AE §5.2 interpolation (Figs 14-16): Lerp on z_sem, Slerp on x_T inverted from both images."""
    alphas = interp_alphas(n_interp)
    frames = editing.interpolate(codec, x1, x2, alphas, n_steps=n_steps)
    return ImageGrid(interp_columns(x1, x2, frames, alphas),
                     f"Real-image interpolation ({codec.name}): Lerp on z_sem, Slerp between x_T inverted from both "
                     f"images (Eq. 8), T = {n_steps} DDIM steps. {what}.")


@torch.no_grad()
def ddim_vs_diffae_grid(ddim, diffae, x1: Tensor, x2: Tensor, n_interp: int, n_steps: int, what: str) -> ImageGrid:
    """Fig. 4 (c, d): for each pair a DDIM row (Slerp of inverted x_T only) above a Diff-AE row."""
    alphas = interp_alphas(n_interp)
    frames = {c.name: editing.interpolate(c, x1, x2, alphas, n_steps=n_steps) for c in (ddim, diffae)}
    blocks, labels = [], []
    for i in range(len(x1)):
        for tag, name in (("(c)", ddim.name), ("(d)", diffae.name)):
            blocks.append(interp_columns(x1[i:i + 1], x2[i:i + 1], frames[name][:, i:i + 1], alphas))
            labels.append(f"{tag} {name}")
    columns = stack_rows(blocks)
    return ImageGrid(columns, f"Interpolation between real images (Diff-AE Fig. 4 c, d): (c) DDIM, Slerp of x_T "
                              f"inverted by DDIM; (d) Diff-AE, Lerp z_sem + Slerp x_T inverted by Eq. 8; T = {n_steps} "
                              f"DDIM steps. {what}.", row_labels=labels)


@torch.no_grad()
def pred_x0_grid(ddim, diffae, x: Tensor, n_steps: int, what: str) -> ImageGrid:
    """Fig. 6: x0 predicted along an ``n_steps`` decoding from each model's own inverted x_T; the shown steps
    are the paper's t9, t8, t7, t5, t2, t0 of T = 10, scaled to other T."""
    shown = sorted({round(s * (n_steps - 1) / 9) for s in FIG6_STEPS}, reverse=True)
    blocks, labels = [], []
    for tag, codec in (("(a)", ddim), ("(b)", diffae)):
        z = codec.encode(x)
        x_T = codec.invert(x, z, n_steps)
        _, traj = codec.ddim(n_steps).sample(codec.unet, x_T, cond=codec.z_sem(z), return_trajectory=True)
        pred = {n_steps - 1 - k: x0 for k, x0 in enumerate(traj.pred_x0)}  # step index -> predicted x0
        blocks.append([("input", to_tiles(x))] + [(f"t{s}", to_tiles(pred[s])) for s in shown])
        labels += [f"{tag} {codec.name}"] * len(x)
    columns = stack_rows(blocks)
    return ImageGrid(columns, f"Predicted x0 along a T = {n_steps} DDIM decoding from each model's own inverted x_T "
                              f"(Diff-AE Fig. 6): (a) DDIM, (b) Diff-AE. {what}.", separator_after=1,
                     row_labels=labels)


def write_diffae_figures(diffae_model: str | Path, ddim_model: str | Path, prepared: str | Path, outdir: str | Path,
                         *, dataset: str, n_examples: int, n_variations: int, n_interp: int, n_steps: int,
                         n_steps_trajectory: int, seed: int, clip_x0: bool, preset: str, device: str) -> list[Path]:
    """`diffae eval-diffae-figures`: the real-image grids of one dataset into ``outdir`` (one .npz per figure)."""
    from diffae.data.prepared import load_prepared
    from diffae.eval.codecs import load_codec

    data = load_prepared(prepared)
    if len(data.images) < 2:
        raise ValueError(f"{prepared}: the figures need at least 2 images, found {len(data.images)}")
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(data.images), size=min(2 * n_examples, len(data.images)), replace=False)
    n = len(idx) // 2
    x1, x2 = (to_model_range(data.images[np.sort(i)]).to(device) for i in (idx[:n], idx[n:2 * n]))
    diffae = load_codec("Diff-AE", diffae_model, device, clip_x0=clip_x0)
    ddim = load_codec("DDIM", ddim_model, device, clip_x0=clip_x0)
    what = (f"{data.meta.get('dataset', dataset)} ({data.meta.get('source', 'unknown')}), preset {preset}, "
            f"images drawn with seed {seed}")
    gen = torch.Generator().manual_seed(seed)
    fig3, fig10 = variation_grids(diffae, x1, n_variations, n_steps, gen, what)
    grids = {"variations": fig3, "variation_stats": fig10,
             "interpolation": interpolation_grid(diffae, x1, x2, n_interp, n_steps, what),
             "ddim_vs_diffae": ddim_vs_diffae_grid(ddim, diffae, x1, x2, n_interp, n_steps, what),
             "pred_x0": pred_x0_grid(ddim, diffae, x1, n_steps_trajectory, what)}
    paths = []
    for kind, grid in grids.items():
        paths.append(Path(outdir) / f"{diffae_figure_name(kind, dataset)}.npz")
        save_grid(paths[-1], grid)
    return paths
