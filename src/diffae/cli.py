"""`diffae <command>`: one entry point; each Snakemake rule / DVC stage calls one command.

The CLI parses arguments, loads params and calls a stage function. It holds no math.
"""
from __future__ import annotations

import argparse
import logging
import sys
from typing import Callable

from diffae.config import ParamsError, load_params

COMMANDS: dict[str, tuple[Callable, Callable, str]] = {}


def command(name: str, help: str):
    """Register `fn(args, params)` as a subcommand; `add_args(parser)` declares its own flags."""
    def wrap(add_args: Callable):
        def deco(fn: Callable):
            COMMANDS[name] = (add_args, fn, help)
            return fn
        return deco
    return wrap


# ---------------------------------------------------------------- data stages
@command("standin-ilab", "generate the toy-vehicle stand-in in iLab-20M naming")(
    lambda p: p.add_argument("--out", required=True))
def _standin_ilab(args, params):
    from diffae.data.standin_ilab import write_standin_ilab

    s = params.data.ilab.standin
    n = write_standin_ilab(args.out, n_identities=s.n_identities, n_backgrounds=s.n_backgrounds,
                           n_poses=s.n_poses, image_size=s.image_size, jitter=s.jitter, seed=s.seed)
    logging.info("wrote %d stand-in iLab images to %s", n, args.out)


@command("standin-celeba", "generate the cartoon-face stand-in in CelebA format")(
    lambda p: p.add_argument("--out", required=True))
def _standin_celeba(args, params):
    from diffae.data.standin_faces import write_standin_celeba

    s = params.data.celeba.standin
    n = write_standin_celeba(args.out, n_images=s.n_images, seed=s.seed)
    logging.info("wrote %d stand-in CelebA images to %s", n, args.out)


def _prepare_args(p):
    p.add_argument("--standin", required=True, help="stand-in folder, read when the params root is null")
    p.add_argument("--out", required=True)


@command("prepare-ilab", "read iLab-20M (real root or stand-in) into the prepared format")(_prepare_args)
def _prepare_ilab(args, params):
    from diffae.data.stages import prepare_ilab

    d = params.data.ilab
    root = params.require_root("ilab") if params.is_paper else d.root
    prepare_ilab(root, args.standin, args.out, image_size=d.image_size, identity=d.identity)


@command("prepare-celeba", "read CelebA (real root or stand-in) into the prepared format")(_prepare_args)
def _prepare_celeba(args, params):
    from diffae.data.stages import prepare_celeba

    d = params.data.celeba
    root = params.require_root("celeba") if params.is_paper else d.root
    prepare_celeba(root, args.standin, args.out, image_size=d.image_size)


def _split_args(p):
    p.add_argument("--prepared", required=True)
    p.add_argument("--out", required=True)


@command("split-ilab", "seeded 80:20 train/test split of the prepared iLab samples")(_split_args)
def _split_ilab(args, params):
    from diffae.data.stages import make_split

    s = params.data.ilab.split
    make_split(args.prepared, args.out, test_fraction=s.test_fraction, seed=s.seed)


def _groups_args(p):
    p.add_argument("--prepared", required=True)
    p.add_argument("--split", required=True)
    p.add_argument("--train-out", required=True)
    p.add_argument("--test-out", required=True)


@command("groups-ilab", "GROUP(C, s) tables: train groups from train samples, evaluation groups from test samples")(
    _groups_args)
def _groups_ilab(args, params):
    from diffae.data.splits import read_split
    from diffae.data.stages import make_groups

    g = params.data.ilab.groups
    split = read_split(args.split)
    make_groups(args.prepared, split, "train", args.train_out, n_groups=g.n_train, s=g.s, seed=g.seed)
    make_groups(args.prepared, split, "test", args.test_out, n_groups=g.n_test, s=g.s, seed=g.seed + 1)


def _figure_groups_args(p):
    p.add_argument("--prepared", required=True)
    p.add_argument("--groups", required=True)
    p.add_argument("--out", required=True)


@command("figure-groups", "draw GROUP(C, s) examples (DiffuseGAE Fig. 4)")(_figure_groups_args)
def _figure_groups(args, params):
    from diffae.data.groups import read_groups
    from diffae.data.prepared import load_prepared
    from diffae.report.group_figure import draw_groups

    data = load_prepared(args.prepared)
    groups = read_groups(args.groups)
    caption = (f"GROUP(C, {params.data.ilab.groups.s}) on iLab-20M ({data.meta['source']} data, "
               f"{data.meta['image_size']}px, preset {params.preset}); each row: centre, then one partner per "
               "attribute sharing exactly that attribute (DiffuseGAE Fig. 4)")
    draw_groups(data.images, data.labels, groups, data.attributes, args.out, n_rows=4, caption=caption)


# ---------------------------------------------------------------- Diff-AE stage (training, latents, Table 2)
def _train_args(p):
    p.add_argument("--prepared", required=True)
    p.add_argument("--split", required=True)
    p.add_argument("--out", required=True, help="model folder (final.pt, checkpoints/, metrics.csv)")


@command("train-diffae", "train the diffusion autoencoder (semantic encoder + conditional DDIM, Diff-AE Eq. 6)")(
    _train_args)
def _train_diffae(args, params):
    from diffae.train.recipes.diffae import run

    m = params.model
    run(prepared=args.prepared, split_csv=args.split, out_dir=args.out, unet_cfg=m.unet, enc_cfg=m.encoder,
        diff_cfg=params.diffusion, train_cfg=params.train.diffae, seed=params.seed, device=params.torch_device())


@command("train-ddim", "train the unconditional DDIM baseline (same UNet without z)")(_train_args)
def _train_ddim(args, params):
    from diffae.train.recipes.ddim import run

    run(prepared=args.prepared, split_csv=args.split, out_dir=args.out, unet_cfg=params.model.unet,
        diff_cfg=params.diffusion, train_cfg=params.train.ddim, seed=params.seed, device=params.torch_device())


def _encode_args(p):
    p.add_argument("--model", required=True, help="final.pt of a diffusion autoencoder")
    p.add_argument("--prepared", required=True)
    p.add_argument("--split", required=True)
    p.add_argument("--out", required=True, help="latents .npz")


@command("encode", "z_sem of every sample (+ normalisation statistics) and x_T of chosen test samples")(_encode_args)
def _encode(args, params):
    from diffae.eval.encode import encode_stage

    encode_stage(args.model, args.prepared, args.split, args.out, batch_size=params.eval.recon.batch_size,
                 invert_n=params.eval.recon.invert_n, invert_steps=params.diffusion.T_eval, device=params.torch_device(),
                 partition_sizes=params.model.gae.partition, clip_x0=params.diffusion.clip_x0)


def _latent_args(p):
    p.add_argument("--latents", required=True)
    p.add_argument("--out", required=True)


@command("train-latent-ddim", "train the latent DDIM on z-normalised z_sem (Diff-AE Eq. 9, Table 6)")(_latent_args)
def _train_latent(args, params):
    from diffae.train.recipes.latent_ddim import run

    run(latents_npz=args.latents, out_dir=args.out, latent_cfg=params.model.latent, diff_cfg=params.diffusion,
        train_cfg=params.train.latent_ddim, seed=params.seed, device=params.torch_device())


def _recon_table_args(p):
    p.add_argument("--diffae", required=True)
    p.add_argument("--ddim", required=True)
    p.add_argument("--prepared", required=True)
    p.add_argument("--split", required=True)
    p.add_argument("--out", required=True)


@command("table-diffae-recon", "Diff-AE Table 2: SSIM/LPIPS/MSE at T=10..100 for DDIM, Diff-AE, random x_T")(
    _recon_table_args)
def _table_recon(args, params):
    from diffae.report.diffae_table2 import build

    r = params.eval.recon
    build(args.diffae, args.ddim, args.prepared, args.split, args.out, params.diffusion.T_recon, r.n_images,
          r.batch_size, r.seed, params.diffusion.clip_x0, params.metrics.weights_dir,
          params.metrics.allow_random_weights and not params.is_paper, params.preset, params.torch_device())


# ---------------------------------------------------------------- DiffuseGAE stages (§3.3-4.4)
def _flags(*names):
    """add_args for commands that take only required path flags."""
    def add(p):
        for n in names:
            p.add_argument(f"--{n}", required=True)
    return add


@command("train-gae", "GAE on GROUP latent sets (DiffuseGAE Eq. 10-11)")(_flags("latents", "prepared", "groups", "out"))
def _train_gae(args, params):
    from diffae.train.recipes.gae import run

    run(latents_npz=args.latents, prepared=args.prepared, groups_csv=args.groups, out_dir=args.out,
        gae_cfg=params.model.gae, train_cfg=params.train.gae, loss_cfg=params.losses.gae, seed=params.seed,
        device=params.torch_device())


@command("finetune", "joint fine-tuning of encoder + GAE + DDIM (DiffuseGAE Eq. 12)")(
    _flags("diffae", "gae", "prepared", "groups", "out"))
def _finetune(args, params):
    from diffae.train.recipes.finetune import run

    run(diffae_model=args.diffae, gae_model=args.gae, prepared=args.prepared, groups_csv=args.groups,
        out_dir=args.out, train_cfg=params.train.finetune, loss_cfg=params.losses.finetune, seed=params.seed,
        device=params.torch_device())


@command("train-gzsnet", "GZS-Net baseline (pixel group-supervised autoencoder)")(
    _flags("prepared", "groups", "out"))
def _train_gzsnet(args, params):
    from diffae.train.recipes.gzsnet import run

    run(prepared=args.prepared, groups_csv=args.groups, out_dir=args.out, gzs_cfg=params.model.gzsnet,
        gae_cfg=params.model.gae, train_cfg=params.train.gzsnet, loss_cfg=params.losses.gzsnet, seed=params.seed,
        device=params.torch_device())


@command("train-aeds", "AE + DS baseline (latent parts directly supervised by attribute labels)")(
    _flags("prepared", "split", "out"))
def _train_aeds(args, params):
    from diffae.train.recipes.aeds import run

    run(prepared=args.prepared, split_csv=args.split, out_dir=args.out, gzs_cfg=params.model.gzsnet,
        gae_cfg=params.model.gae, train_cfg=params.train.aeds, loss_cfg=params.losses.aeds, seed=params.seed,
        device=params.torch_device())


METHODS = {"diffusegae": "DiffuseGAE", "gzsnet": "GZS-Net", "aeds": "AE + DS"}


def _encode_method_args(p):
    p.add_argument("--method", required=True, choices=sorted(METHODS))
    _flags("model", "prepared", "split", "out")(p)


@command("encode-method", "a method's attribute-partitioned latent for every sample (Table 1, t-SNE)")(
    _encode_method_args)
def _encode_method(args, params):
    from diffae.eval.encode import encode_codec_stage

    encode_codec_stage(METHODS[args.method], args.model, args.prepared, args.split, args.out,
                       batch_size=params.eval.recon.batch_size, device=params.torch_device(),
                       clip_x0=params.diffusion.clip_x0)


def _codecs(args, params, device):
    """The methods' codecs from model paths given on the command line."""
    from diffae.data.prepared import load_prepared
    from diffae.eval.codecs import load_codec, proportional_partition

    attrs = tuple(load_prepared(args.prepared).attributes)
    clip = params.diffusion.clip_x0
    z_dim = params.model.encoder.z_dim
    out = {"Diff-AE": load_codec("Diff-AE", args.diffae, device, clip_x0=clip,
                                 partition=proportional_partition(attrs, params.model.gae.partition, z_dim)),
           "DiffuseGAE": load_codec("DiffuseGAE", args.diffusegae, device, clip_x0=clip)}
    for flag, method in (("gzsnet", "GZS-Net"), ("aeds", "AE + DS")):
        if getattr(args, flag, None):
            out[method] = load_codec(method, getattr(args, flag), device, clip_x0=clip)
    return out


@command("table2", "DiffuseGAE Table 2: FID/SSIM/LPIPS/MSE on evaluation GROUPs")(
    _flags("diffusegae", "diffae", "gzsnet", "ddim", "prepared", "groups", "out"))
def _table2(args, params):
    from diffae.artifacts import load_trained
    from diffae.report.diffusegae_table2 import build

    device = params.torch_device()
    g = params.eval.groups
    build(_codecs(args, params, device), load_trained(args.ddim, device), args.prepared, args.groups, args.out,
          g.n_groups, params.diffusion.T_eval, g.batch_size, g.seed, params.metrics.weights_dir,
          params.metrics.allow_random_weights and not params.is_paper, params.preset, device,
          clip_x0=params.diffusion.clip_x0)


@command("table1", "DiffuseGAE Table 1: linear-probe accuracy of each latent part for each attribute")(
    _flags("diffusegae", "diffae", "gzsnet", "aeds", "prepared", "out"))
def _table1(args, params):
    from diffae.report.table1 import build_table1

    latents = {"DiffuseGAE": args.diffusegae, "Diff-AE": args.diffae, "GZS-Net": args.gzsnet, "AE + DS": args.aeds}
    p = params.eval.probe
    build_table1(latents, args.prepared, args.out, C=p.C, max_iter=p.max_iter, seed=params.seed, preset=params.preset)


@command("figures-tsne", "DiffuseGAE Figs 2 and 5: t-SNE of z_sem and z_dis parts")(
    _flags("diffusegae", "diffae", "prepared", "fig2", "fig5"))
def _figures_tsne(args, params):
    from diffae.report.figures_tsne import figure2, figure5

    t = params.eval.tsne
    figure2(args.diffae, args.prepared, args.fig2, perplexity=t.perplexity, seed=t.seed, max_points=t.max_points,
            caption_extra="", preset=params.preset)
    figure5(args.diffusegae, args.diffae, args.prepared, args.fig5, perplexity=t.perplexity, seed=t.seed,
            max_points=t.max_points, caption_extra="", preset=params.preset)


@command("figures-editing", "DiffuseGAE Figs 6-9: replacement, recombination, interpolation grids")(
    _flags("diffusegae", "diffae", "gzsnet", "aeds", "prepared", "split", "outdir"))
def _figures_editing(args, params):
    from diffae.report.editing_stage import editing_figures

    device = params.torch_device()
    editing_figures(_codecs(args, params, device), args.prepared, args.split, args.outdir, params.diffusion.T_eval,
                    params.eval.figures, params.preset, device)


@command("figure-ppl", "DiffuseGAE Fig. 10: PPL vs timesteps for DiffuseGAE and Diff-AE")(
    _flags("diffusegae", "diffae", "prepared", "split", "out", "csv"))
def _figure_ppl(args, params):
    from diffae.report.editing_stage import ppl_figure

    device = params.torch_device()
    ppl_figure(_codecs(args, params, device), args.prepared, args.split, args.out, args.csv, params.eval.ppl,
               params.metrics, params.is_paper, params.preset, device)


@command("claims", "check the papers' qualitative claims against our tables")(
    _flags("table1", "table2", "diffae-table2", "ppl", "out", "md"))
def _claims(args, params):
    from diffae.report.claims import build_claims

    build_claims(args.table1, args.table2, args.diffae_table2, args.ppl, args.out, args.md)


# ---------------------------------------------------------------- utilities
@command("fetch-weights", "download the FID/LPIPS metric weights (on a machine with internet access)")(
    lambda p: p.add_argument("--dir", default=None, help="target folder (default: metrics.weights_dir)"))
def _fetch_weights(args, params):
    from diffae.eval.weights import fetch_weights

    target = args.dir or params.metrics.weights_dir
    if not target:
        raise ParamsError("give --dir or set metrics.weights_dir in the params file")
    for path in fetch_weights(target):
        logging.info("ok: %s", path)


# ---------------------------------------------------------------- entry point
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="diffae", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="<command>")
    for name, (add_args, _, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--params", default="params.yaml", help="params file (params.yaml or a preset)")
        p.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")
        add_args(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s diffae %(command)s: %(message)s"
                        .replace("%(command)s", args.command))
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    try:
        params = load_params(args.params)
        COMMANDS[args.command][1](args, params)
    except ParamsError as err:
        print(f"diffae {args.command}: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # readable one-line error; the traceback only with DIFFAE_DEBUG=1
        import os

        if os.environ.get("DIFFAE_DEBUG"):
            raise
        from diffae.data.errors import DatasetError

        if isinstance(err, (DatasetError, FileNotFoundError)):
            print(f"diffae {args.command}: {err}", file=sys.stderr)
            return 1
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
