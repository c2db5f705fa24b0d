"""The command table: every `diffae <command>`, as data (see diffae.command_spec for the fields).

- diffae.cli builds argparse from it and calls `target` with keyword arguments only.
- workflow/rules/common.smk `tracked(command)` makes a rule's `params:` exactly the command's `reads`.
- tests/test_workflow.py checks that dvc.yaml lists the same keys per stage.

To re-point a command after its function moved or changed signature, edit its `target` and the
keys of `kwargs`; tests/test_cli.py checks every target imports and accepts those keywords.
"""
from __future__ import annotations

from diffae.command_policy import METHODS
from diffae.command_spec import Command, Flag, const, derived, flag, param
from diffae.config import ZOO_DATASETS

TRAIN_OUT = Flag("out", help="model folder (final.pt, checkpoints/, metrics.csv)")
STANDIN = Flag("standin", help="stand-in folder, read when the params root is null")
NUMBERS_OUT = Flag("out", help="CSV of our numbers at full precision (data/eval/)")
NUMBERS_IN = Flag("numbers", help="CSV of our numbers written by the matching `diffae eval-...` command")
DIFFUSEGAE_TABLES_IN = tuple(Flag(name, required=False, help=f"DiffuseGAE {what} (absent when a paper preset has no "
                                                              "iLab root: its claims read NA)")
                             for name, what in (("table1", "Table 1 report"), ("table2", "Table 2 report"),
                                                ("ppl", "Fig. 10 PPL numbers")))
ZOO_DATASET = Flag("dataset", choices=ZOO_DATASETS, help="the dataset of the models (diffae_zoo.datasets)")
DIFFAE_ZOO_MODELS = (Flag("diffae", help="final.pt of the dataset's Diff-AE"),
                     Flag("ddim", help="final.pt of the dataset's DDIM baseline"))
DIFFAE_TABLE2_IN = Flag("diffae-table2", required=False,
                        help="Diff-AE Table 2 report (absent when a paper preset has no face roots: its claims read NA)")
DIFFAE_ATTR_IN = tuple(Flag(name, required=False, help=f"Diff-AE {what} report (absent when its chain does not run: "
                                                        "its claims read NA)")
                       for name, what in (("diffae-table3", "Table 3"), ("diffae-table8", "Table 8"),
                                          ("diffae-table9", "Table 9"), ("diffae-table10", "Table 10")))
DIFFSIAM_TABLES_IN = tuple(Flag(f"diffsiam-table4-{n}", required=False,
                                help=f"DiffSiam Table 4.{n} report (absent when DiffSiam does not run: its claims read NA)")
                           for n in (1, 2))
DIFFAE_ZOO_IN = tuple(Flag(name, required=False, help=f"Diff-AE {what} report (absent when no zoo dataset runs: its "
                                                        "claims read NA)")
                      for name, what in (("diffae-table4", "Table 4"), ("diffae-ppl", "App. F PPL"),
                                         ("diffae-table7", "Table 7")))


def training(*, reads: tuple[str, ...], kwargs: dict, **fields) -> Command:
    """A training command: besides its sections it reads the run seed, the device and what to do with a
    checkpoint of another run, like every stage."""
    return Command(reads=(*reads, "seed", "device", "on_checkpoint_mismatch"),
                   kwargs={**kwargs, "seed": param("seed"), "device": derived("torch_device"),
                           "on_mismatch": param("on_checkpoint_mismatch")}, **fields)


def diffsiam_training(*, name: str, help: str, section: str, run_help: str, dm: Flag) -> Command:
    """A DiffSiam training command: one run of diffsiam.runs (``--diffsiam-run``) over a frozen DM (``dm``), with the
    loop knobs of params ``section``."""
    return training(
        name=name, help=help, target="diffae.train.recipes.diffsiam:run",
        reads=("diffsiam.runs", "diffsiam.simsiam_weight", "model.diffsiam", "diffusion.T", "diffusion.beta_schedule",
               section),
        options=(Flag("diffsiam-run", help=run_help),), inputs=("prepared", dm), outputs=(TRAIN_OUT,),
        kwargs={"run": flag("diffsiam-run"), "runs": param("diffsiam.runs"),
                "simsiam_weight": param("diffsiam.simsiam_weight"), "nets": param("model.diffsiam"),
                "prepared": flag("prepared"), "dm": flag("dm"), "out_dir": flag("out"), "train_cfg": param(section),
                "diff_cfg": param("diffusion")})


TABLE: tuple[Command, ...] = (
    # ---------------------------------------------------------------- data
    Command(
        name="standin-ilab", help="generate the toy-vehicle stand-in in iLab-20M naming",
        target="diffae.data.standin_ilab:write_standin_ilab",
        reads=("data.ilab.standin",), outputs=("out",),
        kwargs={"out_root": flag("out"), "n_identities": param("data.ilab.standin.n_identities"),
                "n_backgrounds": param("data.ilab.standin.n_backgrounds"),
                "n_poses": param("data.ilab.standin.n_poses"), "image_size": param("data.ilab.standin.image_size"),
                "jitter": param("data.ilab.standin.jitter"), "seed": param("data.ilab.standin.seed")},
        done="wrote {result} stand-in iLab images to {out}"),
    Command(
        name="standin-celeba", help="generate the cartoon-face stand-in in CelebA format",
        target="diffae.data.standin_faces:write_standin_celeba",
        reads=("data.celeba.standin",), outputs=("out",),
        kwargs={"out_root": flag("out"), "n_images": param("data.celeba.standin.n_images"),
                "seed": param("data.celeba.standin.seed")},
        done="wrote {result} stand-in CelebA images to {out}"),
    Command(
        name="prepare-ilab", help="read iLab-20M (real root or stand-in) into the prepared format",
        target="diffae.data.stages:prepare_ilab",
        reads=("preset", "data.ilab.root", "data.ilab.image_size", "data.ilab.identity"),
        inputs=(STANDIN,), outputs=("out",),
        kwargs={"root": derived("ilab_root"), "standin_dir": flag("standin"), "out_dir": flag("out"),
                "image_size": param("data.ilab.image_size"), "identity": param("data.ilab.identity")}),
    Command(
        name="prepare-celeba", help="read CelebA (real root or stand-in) into the prepared format",
        target="diffae.data.stages:prepare_celeba",
        reads=("preset", "data.celeba.root", "data.celeba.image_size"),
        inputs=(STANDIN,), outputs=("out",),
        kwargs={"root": derived("celeba_root"), "standin_dir": flag("standin"), "out_dir": flag("out"),
                "image_size": param("data.celeba.image_size")}),
    Command(
        name="standin-ffhq", help="generate the cartoon-face stand-in as FFHQ PNG folders (training faces)",
        target="diffae.data.standin_face_folders:write_standin_ffhq",
        reads=("data.ffhq.standin",), outputs=("out",),
        kwargs={"out_root": flag("out"), "n_images": param("data.ffhq.standin.n_images"),
                "image_size": param("data.ffhq.standin.image_size"), "seed": param("data.ffhq.standin.seed")},
        done="wrote {result} stand-in ffhq images to {out}"),
    Command(
        name="standin-celebahq", help="generate the cartoon-face stand-in in CelebA-HQ format (test faces)",
        target="diffae.data.standin_face_folders:write_standin_celebahq",
        reads=("data.celebahq.standin",), outputs=("out",),
        kwargs={"out_root": flag("out"), "n_images": param("data.celebahq.standin.n_images"),
                "image_size": param("data.celebahq.standin.image_size"), "seed": param("data.celebahq.standin.seed")},
        done="wrote {result} stand-in celebahq images to {out}"),
    Command(
        name="standin-horse", help="generate the procedural-horse stand-in as an LSUN LMDB",
        target="diffae.data.standin_lsun:write_standin_lsun",
        reads=("data.lsun_horse.standin",), outputs=("out",),
        kwargs={"out_dir": flag("out"), "category": const("horse"), "n_images": param("data.lsun_horse.standin.n_images"),
                "image_size": param("data.lsun_horse.standin.image_size"), "seed": param("data.lsun_horse.standin.seed")},
        done="wrote {result} stand-in horse images to {out}"),
    Command(
        name="standin-bedroom", help="generate the procedural-bedroom stand-in (with scene attributes) as an LSUN LMDB",
        target="diffae.data.standin_lsun:write_standin_lsun",
        reads=("data.lsun_bedroom.standin",), outputs=("out",),
        kwargs={"out_dir": flag("out"), "category": const("bedroom"), "n_images": param("data.lsun_bedroom.standin.n_images"),
                "image_size": param("data.lsun_bedroom.standin.image_size"), "seed": param("data.lsun_bedroom.standin.seed")},
        done="wrote {result} stand-in bedroom images to {out}"),
    Command(
        name="prepare-ffhq", help="read FFHQ (real root or stand-in) into the prepared format",
        target="diffae.data.stages:prepare_ffhq",
        reads=("preset", "data.ffhq.root", "data.ffhq.image_size", "data.ffhq.limit"),
        inputs=(STANDIN,), outputs=("out",),
        kwargs={"root": derived("ffhq_root"), "standin_dir": flag("standin"), "out_dir": flag("out"),
                "image_size": param("data.ffhq.image_size"), "limit": param("data.ffhq.limit")}),
    Command(
        name="prepare-celebahq", help="read CelebA-HQ (real root or stand-in) into the prepared format",
        target="diffae.data.stages:prepare_celebahq",
        reads=("preset", "data.celebahq.root", "data.celebahq.image_size", "data.celebahq.limit"),
        inputs=(STANDIN,), outputs=("out",),
        kwargs={"root": derived("celebahq_root"), "standin_dir": flag("standin"), "out_dir": flag("out"),
                "image_size": param("data.celebahq.image_size"), "limit": param("data.celebahq.limit")}),
    Command(
        name="prepare-horse", help="read LSUN Horse (real root or stand-in) into the prepared format",
        target="diffae.data.stages:prepare_lsun",
        reads=("preset", "data.lsun_horse.root", "data.lsun_horse.image_size", "data.lsun_horse.limit"),
        inputs=(STANDIN,), outputs=("out",),
        kwargs={"category": const("horse"), "root": derived("lsun_horse_root"), "standin_dir": flag("standin"), "out_dir": flag("out"),
                "image_size": param("data.lsun_horse.image_size"), "limit": param("data.lsun_horse.limit")}),
    Command(
        name="prepare-bedroom", help="read LSUN Bedroom (real root or stand-in) into the prepared format",
        target="diffae.data.stages:prepare_lsun",
        reads=("preset", "data.lsun_bedroom.root", "data.lsun_bedroom.image_size", "data.lsun_bedroom.limit"),
        inputs=(STANDIN,), outputs=("out",),
        kwargs={"category": const("bedroom"), "root": derived("lsun_bedroom_root"), "standin_dir": flag("standin"), "out_dir": flag("out"),
                "image_size": param("data.lsun_bedroom.image_size"), "limit": param("data.lsun_bedroom.limit")}),
    Command(
        name="split-ilab", help="seeded 80:20 train/test split of the prepared iLab samples",
        target="diffae.data.stages:make_split",
        reads=("data.ilab.split",), inputs=("prepared",), outputs=("out",),
        kwargs={"prepared_dir": flag("prepared"), "out_csv": flag("out"),
                "test_fraction": param("data.ilab.split.test_fraction"), "seed": param("data.ilab.split.seed")}),
    Command(
        name="groups-ilab",
        help="GROUP(C, s) tables: train groups from train samples, evaluation groups from test samples",
        target="diffae.command_steps:make_group_tables",
        reads=("data.ilab.groups",), inputs=("prepared", "split"), outputs=("train-out", "test-out"),
        kwargs={"prepared": flag("prepared"), "split_csv": flag("split"), "train_out": flag("train-out"),
                "test_out": flag("test-out"), "n_train": param("data.ilab.groups.n_train"),
                "n_test": param("data.ilab.groups.n_test"), "s": param("data.ilab.groups.s"),
                "seed": param("data.ilab.groups.seed")}),
    Command(
        name="figure-groups", help="draw GROUP(C, s) examples (DiffuseGAE Fig. 4)",
        target="diffae.command_steps:draw_group_figure",
        reads=("data.ilab.groups.s", "preset"), inputs=("prepared", "groups"), outputs=("out",),
        kwargs={"prepared": flag("prepared"), "groups_csv": flag("groups"), "out_png": flag("out"),
                "s": param("data.ilab.groups.s"), "preset": param("preset")}),
    # ---------------------------------------------------------------- Diff-AE: training, latents, Table 2
    training(
        name="train-diffae",
        help="train the diffusion autoencoder (semantic encoder + conditional DDIM, Diff-AE Eq. 6)",
        target="diffae.train.recipes.diffae:run",
        reads=("model.unet", "model.encoder", "diffusion.T", "diffusion.beta_schedule", "train.diffae"),
        inputs=("prepared", "split"), outputs=(TRAIN_OUT,),
        kwargs={"prepared": flag("prepared"), "split_csv": flag("split"), "out_dir": flag("out"),
                "unet_cfg": param("model.unet"), "enc_cfg": param("model.encoder"), "diff_cfg": param("diffusion"),
                "train_cfg": param("train.diffae")}),
    training(
        name="train-ddim", help="train the unconditional DDIM baseline (same UNet without z)",
        target="diffae.train.recipes.ddim:run",
        reads=("model.unet", "diffusion.T", "diffusion.beta_schedule", "train.ddim"),
        inputs=("prepared", "split"), outputs=(TRAIN_OUT,),
        kwargs={"prepared": flag("prepared"), "split_csv": flag("split"), "out_dir": flag("out"),
                "unet_cfg": param("model.unet"), "diff_cfg": param("diffusion"), "train_cfg": param("train.ddim")}),
    training(
        name="train-diffae-zoo",
        help="train Diff-AE on the whole of one diffae_zoo dataset (FFHQ: Diff-AE Tables 1, 2, 4; CelebA-64, LSUN: "
             "Table 4): same nets as train-diffae, at the dataset's resolution; or import the official checkpoint "
             "diffae_zoo.init_from names for it",
        target="diffae.train.recipes.diffae:run_zoo",
        reads=("model.unet", "model.encoder", "diffusion.T", "diffusion.beta_schedule", "train.diffae_zoo",
               "diffae_zoo.steps_fraction", "diffae_zoo.init_from"),
        options=(ZOO_DATASET,), inputs=("prepared",), outputs=(TRAIN_OUT,),
        kwargs={"dataset": flag("dataset"), "init_from": param("diffae_zoo.init_from"),
                "prepared": flag("prepared"), "split_csv": const(None), "out_dir": flag("out"),
                "unet_cfg": param("model.unet"), "enc_cfg": param("model.encoder"), "diff_cfg": param("diffusion"),
                "train_cfg": derived("zoo_diffae_zoo")}),
    training(
        name="train-ddim-zoo", help="train the DDIM baseline on the whole of one diffae_zoo dataset, or import the "
                                    "official checkpoint diffae_zoo.init_from names for it",
        target="diffae.train.recipes.ddim:run_zoo",
        reads=("model.unet", "diffusion.T", "diffusion.beta_schedule", "train.ddim_zoo", "diffae_zoo.steps_fraction",
               "diffae_zoo.init_from"),
        options=(ZOO_DATASET,), inputs=("prepared",), outputs=(TRAIN_OUT,),
        kwargs={"dataset": flag("dataset"), "init_from": param("diffae_zoo.init_from"),
                "prepared": flag("prepared"), "split_csv": const(None), "out_dir": flag("out"),
                "unet_cfg": param("model.unet"), "diff_cfg": param("diffusion"),
                "train_cfg": derived("zoo_ddim_zoo")}),
    # ---------------------------------------------------------------- DiffSiam (thesis Tables 4.1-4.2)
    Command(
        name="standin-cifar10", help="generate the procedural CIFAR-10 stand-in as the python-pickle release",
        target="diffae.data.standin_cifar:write_standin_cifar",
        reads=("data.cifar10.standin",), outputs=("out",),
        kwargs={"out_dir": flag("out"), "which": const("cifar10"),
                "n_train_per_class": param("data.cifar10.standin.n_train_per_class"),
                "n_test_per_class": param("data.cifar10.standin.n_test_per_class"),
                "seed": param("data.cifar10.standin.seed")},
        done="wrote the CIFAR-10 stand-in to {out}"),
    Command(
        name="standin-transfer", help="generate stand-ins of DiffSiam's transfer sets, each in its torchvision layout",
        target="diffae.data.standin_transfer:write_standin_transfer_sets",
        reads=("data.transfer.datasets", "data.transfer.image_size", "data.transfer.standin"), outputs=("out",),
        kwargs={"out_root": flag("out"), "datasets": param("data.transfer.datasets"),
                "n_classes": param("data.transfer.standin.n_classes"),
                "n_train_per_class": param("data.transfer.standin.n_train_per_class"),
                "n_test_per_class": param("data.transfer.standin.n_test_per_class"),
                "image_size": param("data.transfer.image_size"), "seed": param("data.transfer.standin.seed")},
        done="wrote {result} stand-in transfer images to {out}"),
    Command(
        name="prepare-cifar10", help="read CIFAR-10's training images (real root or stand-in) into the prepared format",
        target="diffae.data.stages:prepare_cifar10",
        reads=("preset", "data.cifar10.root"), inputs=(STANDIN,), outputs=("out",),
        kwargs={"root": derived("cifar10_root"), "standin_dir": flag("standin"), "out_dir": flag("out")}),
    training(
        name="train-diffsiam-dm", help="train DiffSiam's frozen DM: the DDIM baseline on CIFAR-10 (decision A8)",
        target="diffae.train.recipes.ddim:run",
        reads=("model.unet", "diffusion.T", "diffusion.beta_schedule", "train.diffsiam_dm"),
        inputs=("prepared",), outputs=(TRAIN_OUT,),
        kwargs={"prepared": flag("prepared"), "split_csv": const(None), "out_dir": flag("out"),
                "unet_cfg": param("model.unet"), "diff_cfg": param("diffusion"),
                "train_cfg": param("train.diffsiam_dm")}),
    diffsiam_training(
        name="train-diffsiam", help="train one DiffSiam run (diffsiam.runs.<run>: DiffSiam, SimSiam or PDAE) on "
                                    "CIFAR-10 over the frozen DM",
        section="train.diffsiam", run_help="the run's name in diffsiam.runs (not --run: torchrun would take that as "
                                           "its own --run-path)",
        dm=Flag("dm", required=False, help="final.pt of the frozen DM (not read by SimSiam runs)")),
    diffsiam_training(
        name="train-diffsiam-gen", help="train one run of eval.diffsiam_figures.runs on a zoo dataset over its DDIM "
                                        "baseline (DiffSiam's generative runs, Figs 4.1-4.4)",
        section="train.diffsiam_gen", run_help="the run's name in diffsiam.runs",
        dm=Flag("dm", help="final.pt of the dataset's DDIM baseline (the frozen DM)")),
    Command(
        name="eval-diffsiam-transfer", help="DiffSiam Tables 4.1-4.2 numbers of one trained encoder: many-shot linear "
                                            "and 5-way few-shot accuracy on CIFAR-10 and the transfer sets",
        target="diffae.eval.transfer_eval:evaluate_transfer",
        reads=("preset", "device", "data.cifar10.root", "data.transfer.root", "data.transfer.datasets",
               "data.transfer.image_size", "eval.transfer_linear", "eval.transfer_fewshot"),
        inputs=(Flag("model", help="final.pt of a train-diffsiam run"),
                Flag("cifar10-standin", help="CIFAR-10 stand-in folder, read when data.cifar10.root is null"),
                Flag("transfer-standin", help="transfer stand-ins folder, read when data.transfer.root is null")),
        outputs=(NUMBERS_OUT,),
        kwargs={"model": flag("model"), "cifar10_root": derived("cifar10_root"),
                "cifar10_standin": flag("cifar10-standin"), "transfer_root": derived("transfer_root"),
                "transfer_standin": flag("transfer-standin"), "datasets": param("data.transfer.datasets"),
                "image_size": param("data.transfer.image_size"), "linear": param("eval.transfer_linear"),
                "fewshot": param("eval.transfer_fewshot"), "preset": param("preset"),
                "device": derived("torch_device"), "out": flag("out")}),
    Command(
        name="eval-diffsiam-figures",
        help="DiffSiam Figs 1.1 and 4.1-4.7 grids: the frozen DM's x0 predictions, Algorithm 2 counterfactuals, "
             "full-z interpolation and Algorithm 3 manipulation of the runs eval.diffsiam_figures.runs",
        target="diffae.eval.diffsiam_figures:write_diffsiam_figures",
        reads=("eval.diffsiam_figures", "eval.diffsiam_manipulation", "diffsiam.runs", "diffusion.clip_x0", "preset",
               "device"),
        options=(Flag("dataset", choices=("cifar10", *ZOO_DATASETS), help="the runs' dataset (file names, captions)"),),
        inputs=(Flag("dm", help="final.pt of the frozen DM (train-diffsiam-dm, or a zoo dataset's DDIM)"),
                Flag("models", help="folder holding <run>/final.pt of the runs"), "prepared"),
        outputs=(Flag("outdir", help="folder of the grids (.npz)"),),
        kwargs={"models_dir": flag("models"), "dm": flag("dm"), "runs": param("eval.diffsiam_figures.runs"),
                "all_runs": param("diffsiam.runs"), "prepared": flag("prepared"), "outdir": flag("outdir"),
                "dataset": flag("dataset"), "cfg": param("eval.diffsiam_figures"),
                "manipulation": param("eval.diffsiam_manipulation"),
                "clip_x0": param("diffusion.clip_x0"), "preset": param("preset"), "device": derived("torch_device")}),
    Command(
        name="figures-diffsiam", help="draw DiffSiam's figures: the grids, and Fig. 4.9 (training loss) from the "
                                      "runs' metrics.csv",
        target="diffae.report.figures_diffsiam:diffsiam_figures",
        reads=("eval.diffsiam_figures.loss_runs", "diffsiam.runs", "preset"),
        inputs=(Flag("grids", help="comma-separated folders of grids (.npz) written by `diffae eval-diffsiam-figures`"),
                Flag("models", required=False, help="folder holding <run>/metrics.csv of the train-diffsiam runs "
                                                    "(Fig. 4.9; without it, the grids only)")),
        outputs=(Flag("outdir", help="folder of the figures (.png)"),),
        kwargs={"grids_dirs": derived("grids_dirs"), "models_dir": flag("models"),
                "loss_runs": param("eval.diffsiam_figures.loss_runs"), "runs": param("diffsiam.runs"),
                "preset": param("preset"), "outdir": flag("outdir")}),
    Command(
        name="table-diffsiam", help="DiffSiam Tables 4.1 and 4.2 (ours beside the thesis's numbers) from every run's "
                                    "numbers",
        target="diffae.report.diffsiam_tables:build_diffsiam_tables",
        inputs=(Flag("numbers", help="comma-separated per-run CSVs of `diffae eval-diffsiam-transfer`"),),
        outputs=("table4-1", "table4-2"),
        kwargs={"numbers": derived("numbers_files"), "table4_1": flag("table4-1"), "table4_2": flag("table4-2")},
        done="wrote DiffSiam Tables 4.1 and 4.2 of {result} runs"),
    Command(
        name="encode-zoo", help="z_sem of every image of a diffae_zoo dataset (+ normalisation statistics), the "
                                "latent DDIM's training data (Diff-AE §4)",
        target="diffae.eval.encode:encode_stage",
        reads=("eval.recon.batch_size", "device"),
        inputs=(Flag("model", help="final.pt of the dataset's Diff-AE"), "prepared"),
        outputs=(Flag("out", help="latents .npz"),),
        kwargs={"model_path": flag("model"), "prepared": flag("prepared"), "split_csv": const(None),
                "out": flag("out"), "batch_size": param("eval.recon.batch_size"),
                "device": derived("torch_device")}),
    training(
        name="train-diffae-zdim",
        help="Diff-AE Table 2 rows b-e: the faces Diff-AE with a z_sem of --z-dim, trained "
             "zsem_ablation.steps_fraction of train.diffae_zoo.steps (on FFHQ)",
        target="diffae.train.recipes.diffae:run_zdim",
        reads=("model.unet", "model.encoder", "diffusion.T", "diffusion.beta_schedule", "train.diffae_zoo",
               "zsem_ablation.steps_fraction"),
        inputs=("prepared",), outputs=(TRAIN_OUT,), options=(Flag("z-dim", help="width of z_sem"),),
        kwargs={"prepared": flag("prepared"), "split_csv": const(None), "out_dir": flag("out"),
                "z_dim": flag("z-dim"), "steps_fraction": param("zsem_ablation.steps_fraction"),
                "unet_cfg": param("model.unet"), "enc_cfg": param("model.encoder"), "diff_cfg": param("diffusion"),
                "train_cfg": param("train.diffae_zoo")}),
    Command(
        name="encode", help="z_sem of every sample (+ normalisation statistics)",
        target="diffae.eval.encode:encode_stage",
        reads=("eval.recon.batch_size", "model.gae.partition", "device"),
        inputs=(Flag("model", help="final.pt of a diffusion autoencoder"), "prepared", "split"),
        outputs=(Flag("out", help="latents .npz"),),
        kwargs={"model_path": flag("model"), "prepared": flag("prepared"), "split_csv": flag("split"),
                "out": flag("out"), "batch_size": param("eval.recon.batch_size"),
                "device": derived("torch_device"), "partition_sizes": param("model.gae.partition")}),
    training(
        name="train-latent-ddim", help="train the latent DDIM on z-normalised z_sem (Diff-AE Eq. 9, Table 6)",
        target="diffae.train.recipes.latent_ddim:run",
        reads=("model.latent", "diffusion.T", "train.latent_ddim"),
        inputs=("latents",), outputs=("out",),
        kwargs={"latents_npz": flag("latents"), "out_dir": flag("out"), "latent_cfg": param("model.latent"),
                "diff_cfg": param("diffusion"), "train_cfg": param("train.latent_ddim")}),
    training(
        name="train-latent-zoo", help="train the latent DDIM on one diffae_zoo dataset's z-normalised z_sem, or "
                                      "import the official checkpoint diffae_zoo.init_from names for it",
        target="diffae.train.recipes.latent_ddim:run_zoo",
        reads=("model.latent", "diffusion.T", "train.latent_ddim", "diffae_zoo.init_from"),
        options=(ZOO_DATASET,), inputs=("latents",), outputs=("out",),
        kwargs={"dataset": flag("dataset"), "init_from": param("diffae_zoo.init_from"),
                "latents_npz": flag("latents"), "out_dir": flag("out"), "latent_cfg": param("model.latent"),
                "diff_cfg": param("diffusion"), "train_cfg": param("train.latent_ddim")}),
    Command(
        name="eval-diffae-table2",
        help="Diff-AE Table 2 numbers: SSIM/LPIPS/MSE at T=10..100 for DDIM, Diff-AE, random x_T",
        target="diffae.eval.tables.diffae_table2:diffae_table2",
        reads=("diffusion.T_recon", "diffusion.clip_x0", "eval.recon.n_images", "eval.recon.batch_size",
               "eval.recon.seed", "metrics", "preset", "device", "eval.compile"),
        inputs=("diffae", "ddim", "prepared", Flag("split", required=False,
                                                    help="train/test split; without it every image is a test image")),
        outputs=(NUMBERS_OUT,),
        kwargs={"diffae_model": flag("diffae"), "ddim_model": flag("ddim"), "prepared": flag("prepared"),
                "split_csv": flag("split"), "out_csv": flag("out"), "step_counts": param("diffusion.T_recon"),
                "n_images": param("eval.recon.n_images"), "batch_size": param("eval.recon.batch_size"),
                "seed": param("eval.recon.seed"), "clip_x0": param("diffusion.clip_x0"),
                "weights_dir": param("metrics.weights_dir"), "allow_random": derived("allow_random_weights"),
                "device": derived("torch_device"),
                "compile": param("eval.compile")}),
    Command(
        name="eval-diffae-zdim",
        help="Diff-AE Table 2 rows b-e numbers: random-x_T reconstruction by each z_sem-width model",
        target="diffae.eval.tables.diffae_table2:zsem_ablation_table",
        reads=("zsem_ablation.z_dims", "diffusion.T_recon", "diffusion.clip_x0", "eval.recon.n_images",
               "eval.recon.batch_size", "eval.recon.seed", "metrics", "preset", "device", "eval.compile"),
        inputs=(Flag("models", help="folder holding diffae_z<d>/final.pt for each width d"), "prepared",
                Flag("split", required=False, help="train/test split; without it every image is a test image")),
        outputs=(NUMBERS_OUT,),
        kwargs={"models_dir": flag("models"), "prepared": flag("prepared"), "split_csv": flag("split"),
                "out_csv": flag("out"), "z_dims": param("zsem_ablation.z_dims"),
                "step_counts": param("diffusion.T_recon"), "n_images": param("eval.recon.n_images"),
                "batch_size": param("eval.recon.batch_size"), "seed": param("eval.recon.seed"),
                "clip_x0": param("diffusion.clip_x0"), "weights_dir": param("metrics.weights_dir"),
                "allow_random": derived("allow_random_weights"), "device": derived("torch_device"),
                "compile": param("eval.compile")}),
    Command(
        name="table-diffae-recon", help="Diff-AE Table 2: our numbers beside the paper's, with provenance",
        target="diffae.report.diffae_table2:diffae_table2_report",
        reads=("preset",),
        inputs=(NUMBERS_IN, Flag("zsem-numbers", required=False, help="rows b-e numbers (`diffae eval-diffae-zdim`)")),
        outputs=("out",),
        kwargs={"numbers_csv": flag("numbers"), "zsem_csv": flag("zsem-numbers"), "out_csv": flag("out"),
                "preset": param("preset")}),
    Command(
        name="table-diffae-autoenc",
        help="Diff-AE Table 1: autoencoding at T=100 with latent sizes, beside the paper's and its other models",
        target="diffae.report.diffae_table2:diffae_table1_report",
        reads=("preset",), inputs=(NUMBERS_IN,), outputs=("out",),
        kwargs={"numbers_csv": flag("numbers"), "out_csv": flag("out"), "preset": param("preset")}),
    Command(
        name="table-diffae-hparams",
        help="Diff-AE Tables 5 and 6: the paper presets' hyper-parameters beside the paper's",
        target="diffae.report.hparams:hparam_tables",
        inputs=(Flag("presets", help="comma-separated presets/paper-diffae-*.yaml files"),),
        outputs=(Flag("table5", help="Table 5 CSV"), Flag("table6", help="Table 6 CSV")),
        kwargs={"presets": derived("preset_files"), "table5_csv": flag("table5"), "table6_csv": flag("table6")}),
    Command(
        name="eval-diffae-uncond",
        help="Diff-AE Table 4 numbers on one dataset: FID of DDIM, Ours (latent DDIM + decoder) and + autoencoding "
             "samples at each T; and the grids of Figs 9 and 20-22",
        target="diffae.eval.tables.diffae_table4:diffae_table4",
        reads=("eval.uncond", "diffusion.clip_x0", "metrics", "preset", "device", "eval.compile"), options=(ZOO_DATASET,),
        inputs=(*DIFFAE_ZOO_MODELS, Flag("latent", help="final.pt of the dataset's latent DDIM"),
                Flag("latents", help="the dataset's z_sem (`diffae encode-zoo`), for Fig. 9's z_sem distance"),
                "prepared"),
        outputs=(NUMBERS_OUT, Flag("figures", help="folder of the samples' grids (.npz)")),
        kwargs={"diffae_model": flag("diffae"), "ddim_model": flag("ddim"), "latent_model": flag("latent"),
                "latents": flag("latents"), "prepared": flag("prepared"), "out_csv": flag("out"),
                "figures_dir": flag("figures"), "dataset": flag("dataset"),
                "step_counts": param("eval.uncond.timesteps"), "n_samples": param("eval.uncond.n_samples"),
                "autoenc_source": param("eval.uncond.autoenc_source"),
                "n_neighbours": param("eval.uncond.n_neighbours"), "n_shown": param("eval.uncond.n_shown"),
                "batch_size": param("eval.uncond.batch_size"), "seed": param("eval.uncond.seed"),
                "clip_x0": param("diffusion.clip_x0"), "weights_dir": param("metrics.weights_dir"),
                "allow_random": derived("allow_random_weights"), "device": derived("torch_device"),
                "compile": param("eval.compile")}),
    Command(
        name="eval-diffae-figures",
        help="Diff-AE Figs 3, 4, 6, 10 and 14-16 grids: real images of one dataset through its Diff-AE and DDIM",
        target="diffae.eval.diffae_figures:write_diffae_figures",
        reads=("eval.diffae_figures", "diffusion.clip_x0", "preset", "device"), options=(ZOO_DATASET,),
        inputs=(*DIFFAE_ZOO_MODELS, "prepared"), outputs=(Flag("outdir", help="folder of the grids (.npz)"),),
        kwargs={"diffae_model": flag("diffae"), "ddim_model": flag("ddim"), "prepared": flag("prepared"),
                "outdir": flag("outdir"), "dataset": flag("dataset"),
                "n_examples": param("eval.diffae_figures.n_examples"),
                "n_variations": param("eval.diffae_figures.n_variations"),
                "n_interp": param("eval.diffae_figures.n_interp"), "n_steps": param("eval.diffae_figures.T"),
                "n_steps_trajectory": param("eval.diffae_figures.T_trajectory"),
                "seed": param("eval.diffae_figures.seed"), "clip_x0": param("diffusion.clip_x0"),
                "preset": param("preset"), "device": derived("torch_device")}),
    Command(
        name="eval-diffae-ppl", help="Diff-AE App. F numbers: PPL of real-image interpolation, DDIM vs Diff-AE",
        target="diffae.eval.tables.diffae_ppl:diffae_ppl",
        reads=("eval.diffae_ppl", "diffusion.clip_x0", "metrics", "preset", "device", "eval.compile"),
        inputs=(*DIFFAE_ZOO_MODELS, "prepared"), outputs=(NUMBERS_OUT,),
        kwargs={"diffae_model": flag("diffae"), "ddim_model": flag("ddim"), "prepared": flag("prepared"),
                "out_csv": flag("out"), "n_steps": param("eval.diffae_ppl.T"), "n_pairs": param("eval.diffae_ppl.n_pairs"),
                "eps": param("eval.diffae_ppl.eps"), "batch_size": param("eval.diffae_ppl.batch_size"),
                "seed": param("eval.diffae_ppl.seed"), "clip_x0": param("diffusion.clip_x0"),
                "weights_dir": param("metrics.weights_dir"), "allow_random": derived("allow_random_weights"),
                "device": derived("torch_device"),
                "compile": param("eval.compile")}),
    Command(
        name="table-diffae-uncond", help="Diff-AE Table 4: our FIDs per dataset beside the paper's, with provenance",
        target="diffae.report.diffae_generation:diffae_table4_report",
        reads=("preset",),
        inputs=(Flag("numbers", help="comma-separated numbers CSVs of `diffae eval-diffae-uncond`, one per dataset"),),
        outputs=("out",),
        kwargs={"numbers_csvs": derived("numbers_files"), "out_csv": flag("out"), "preset": param("preset")}),
    Command(
        name="table-diffae-ppl", help="Diff-AE App. F PPL table: ours beside the paper's",
        target="diffae.report.diffae_generation:diffae_ppl_report",
        reads=("preset",), inputs=(NUMBERS_IN,), outputs=("out",),
        kwargs={"numbers_csv": flag("numbers"), "out_csv": flag("out"), "preset": param("preset")}),
    Command(
        name="table-diffae-throughput",
        help="Diff-AE Table 7: training throughput of each dataset's DDIM and Diff-AE (their metrics.csv) beside "
             "the paper's",
        target="diffae.report.diffae_generation:throughput_table_from_dirs",
        reads=("preset",),
        inputs=(Flag("models", help="folder holding <dataset>/{ddim,diffae}/metrics.csv"),),
        options=(Flag("datasets", help="comma-separated datasets (diffae_zoo.datasets that run)"),),
        outputs=("out",),
        kwargs={"models_dir": flag("models"), "datasets": derived("dataset_list"), "out_csv": flag("out"),
                "preset": param("preset")}),
    Command(
        name="figures-diffae", help="draw Diff-AE's figures from their grids",
        target="diffae.report.figures_diffae:diffae_figures",
        inputs=(Flag("grids", help="comma-separated folders of grids (.npz) written by the Diff-AE evaluations"),),
        outputs=(Flag("outdir", help="folder of the figures (.png)"),),
        kwargs={"grids_dirs": derived("grids_dirs"), "outdir": flag("outdir")}),
    # ---------------------------------------------------------------- Diff-AE attributes (§5.3, §5.6, App. E, G)
    Command(
        name="fit-attr-classifier",
        help="Diff-AE Table 8 numbers: 40 linear classifiers on the FFHQ Diff-AE's z_sem of CelebA-HQ (train split), "
             "their test AUROC, and the classifier file that Tables 9-10 manipulate with",
        target="diffae.eval.tables.diffae_table8:attribute_classifier_stage",
        reads=("eval.attributes", "eval.recon.batch_size", "device"),
        inputs=(Flag("diffae", help="final.pt of FFHQ's Diff-AE"),
                Flag("norm-latents", help="FFHQ's z_sem (`diffae encode-zoo`): the normalisation statistics"),
                Flag("prepared", help="prepared CelebA-HQ with its 40 attributes")),
        outputs=(Flag("out-model", help="classifier file (.npz)"), NUMBERS_OUT),
        kwargs={"diffae_model": flag("diffae"), "norm_latents": flag("norm-latents"), "prepared": flag("prepared"),
                "out_model": flag("out-model"), "out_csv": flag("out"),
                "test_fraction": param("eval.attributes.test_fraction"),
                "split_seed": param("eval.attributes.split_seed"), "recipe": param("eval.attributes.classifier"),
                "batch_size": param("eval.recon.batch_size"), "device": derived("torch_device")}),
    Command(
        name="eval-diffae-manipulation",
        help="Diff-AE Tables 9-10 numbers (manipulation FID by Eq. 11, ArcFace identity) on CelebA-HQ test images, "
             "and the grids of Figs 5, 13, 17",
        target="diffae.eval.tables.diffae_manipulation:diffae_manipulation",
        reads=("eval.manipulation", "diffusion.clip_x0", "metrics", "preset", "device"),
        inputs=(Flag("diffae", help="final.pt of FFHQ's Diff-AE"),
                Flag("classifier", help="classifier file of `diffae fit-attr-classifier`"),
                Flag("prepared", help="prepared CelebA-HQ"),
                Flag("examples", help="prepared FFHQ: Fig. 5's top rows")),
        outputs=(NUMBERS_OUT, Flag("figures", help="folder of the grids (.npz)")),
        kwargs={"diffae_model": flag("diffae"), "classifier": flag("classifier"), "prepared": flag("prepared"),
                "examples_prepared": flag("examples"), "out_csv": flag("out"), "figures_dir": flag("figures"),
                "attributes": param("eval.manipulation.attributes"),
                "identity_attributes": param("eval.manipulation.identity_attributes"),
                "n_images": param("eval.manipulation.n_images"), "n_steps_invert": param("eval.manipulation.T_invert"),
                "n_steps": param("eval.manipulation.T"), "strengths": param("eval.manipulation.strengths"),
                "n_examples": param("eval.manipulation.n_examples"),
                "batch_size": param("eval.manipulation.batch_size"), "seed": param("eval.manipulation.seed"),
                "clip_x0": param("diffusion.clip_x0"), "weights_dir": param("metrics.weights_dir"),
                "allow_random": derived("allow_random_weights"), "device": derived("torch_device")}),
    Command(
        name="eval-diffae-fewshot",
        help="Diff-AE Table 3 numbers: few-shot class-conditional generation on CelebA-64 (binary and PU classifiers, "
             "rejection sampling from the latent DDIM), and the grids of Figs 18-19",
        target="diffae.eval.tables.diffae_table3:diffae_table3",
        reads=("eval.fewshot", "diffusion.clip_x0", "metrics", "preset", "device"),
        inputs=(Flag("diffae", help="final.pt of CelebA's Diff-AE"),
                Flag("latent", help="final.pt of CelebA's latent DDIM"), Flag("prepared", help="prepared CelebA")),
        outputs=(NUMBERS_OUT, Flag("figures", help="folder of the grids (.npz)")),
        kwargs={"diffae_model": flag("diffae"), "latent_model": flag("latent"), "prepared": flag("prepared"),
                "out_csv": flag("out"), "figures_dir": flag("figures"), "classes": param("eval.fewshot.classes"),
                "n_labelled": param("eval.fewshot.n_labelled"), "n_positive_pu": param("eval.fewshot.n_positive_pu"),
                "n_unlabelled": param("eval.fewshot.n_unlabelled"), "n_repeats": param("eval.fewshot.n_repeats"),
                "n_samples": param("eval.fewshot.n_samples"), "n_naive": param("eval.fewshot.n_naive"),
                "n_reference": param("eval.fewshot.n_reference"), "n_steps": param("eval.fewshot.T"),
                "n_shown": param("eval.fewshot.n_shown"), "recipe": param("eval.fewshot.classifier"),
                "batch_size": param("eval.fewshot.batch_size"), "seed": param("eval.fewshot.seed"),
                "clip_x0": param("diffusion.clip_x0"), "weights_dir": param("metrics.weights_dir"),
                "allow_random": derived("allow_random_weights"), "device": derived("torch_device")}),
    Command(
        name="table-diffae-auroc", help="Diff-AE Table 8: our AUROC per attribute beside the paper's, with averages",
        target="diffae.report.diffae_attributes:diffae_table8_report",
        reads=("preset",), inputs=(NUMBERS_IN,), outputs=("out",),
        kwargs={"numbers_csv": flag("numbers"), "out_csv": flag("out"), "preset": param("preset")}),
    Command(
        name="table-diffae-manipulation", help="Diff-AE Tables 9 and 10: manipulation FID and identity beside the paper's",
        target="diffae.report.diffae_attributes:diffae_manipulation_reports",
        reads=("preset",), inputs=(NUMBERS_IN,),
        outputs=(Flag("table9", help="Table 9 CSV"), Flag("table10", help="Table 10 CSV")),
        kwargs={"numbers_csv": flag("numbers"), "table9_csv": flag("table9"), "table10_csv": flag("table10"),
                "preset": param("preset")}),
    Command(
        name="table-diffae-fewshot", help="Diff-AE Table 3: few-shot conditional FID beside the paper's",
        target="diffae.report.diffae_attributes:diffae_table3_report",
        reads=("preset",), inputs=(NUMBERS_IN,), outputs=("out",),
        kwargs={"numbers_csv": flag("numbers"), "out_csv": flag("out"), "preset": param("preset")}),
    # ---------------------------------------------------------------- DiffuseGAE (§3.3-4.4)
    training(
        name="train-gae", help="GAE on GROUP latent sets (DiffuseGAE Eq. 10-11)",
        target="diffae.train.recipes.gae:run",
        reads=("model.gae", "train.gae", "losses.gae"),
        inputs=("latents", "prepared", "groups"), outputs=("out",),
        kwargs={"latents_npz": flag("latents"), "prepared": flag("prepared"), "groups_csv": flag("groups"),
                "out_dir": flag("out"), "gae_cfg": param("model.gae"), "train_cfg": param("train.gae"),
                "loss_cfg": param("losses.gae")}),
    training(
        name="finetune", help="joint fine-tuning of encoder + GAE + DDIM (DiffuseGAE Eq. 12)",
        target="diffae.train.recipes.finetune:run",
        reads=("train.finetune", "losses.finetune"),
        inputs=("diffae", "gae", "prepared", "groups"), outputs=("out",),
        kwargs={"diffae_model": flag("diffae"), "gae_model": flag("gae"), "prepared": flag("prepared"),
                "groups_csv": flag("groups"), "out_dir": flag("out"), "train_cfg": param("train.finetune"),
                "loss_cfg": param("losses.finetune")}),
    training(
        name="train-gzsnet", help="GZS-Net baseline (pixel group-supervised autoencoder)",
        target="diffae.train.recipes.gzsnet:run",
        reads=("model.gzsnet", "model.gae.dis_dim", "model.gae.partition", "train.gzsnet", "losses.gzsnet"),
        inputs=("prepared", "groups"), outputs=("out",),
        kwargs={"prepared": flag("prepared"), "groups_csv": flag("groups"), "out_dir": flag("out"),
                "gzs_cfg": param("model.gzsnet"), "gae_cfg": param("model.gae"), "train_cfg": param("train.gzsnet"),
                "loss_cfg": param("losses.gzsnet")}),
    training(
        name="train-aeds", help="AE + DS baseline (latent parts directly supervised by attribute labels)",
        target="diffae.train.recipes.aeds:run",
        reads=("model.gzsnet", "model.gae.dis_dim", "model.gae.partition", "train.aeds", "losses.aeds"),
        inputs=("prepared", "split"), outputs=("out",),
        kwargs={"prepared": flag("prepared"), "split_csv": flag("split"), "out_dir": flag("out"),
                "gzs_cfg": param("model.gzsnet"), "gae_cfg": param("model.gae"), "train_cfg": param("train.aeds"),
                "loss_cfg": param("losses.aeds")}),
    Command(
        name="encode-method", help="a method's attribute-partitioned latent for every sample (Table 1, t-SNE)",
        target="diffae.eval.encode:encode_codec_stage",
        reads=("eval.recon.batch_size", "diffusion.clip_x0", "device"),
        options=(Flag("method", choices=tuple(sorted(METHODS))),),
        inputs=("model", "prepared", "split"), outputs=("out",),
        kwargs={"method": derived("method_name"), "model_path": flag("model"), "prepared": flag("prepared"),
                "split_csv": flag("split"), "out": flag("out"), "batch_size": param("eval.recon.batch_size"),
                "device": derived("torch_device"), "clip_x0": param("diffusion.clip_x0")}),
    Command(
        name="eval-table2", help="DiffuseGAE Table 2 numbers: FID/SSIM/LPIPS/MSE on evaluation GROUPs",
        target="diffae.eval.tables.diffusegae_table2:diffusegae_table2",
        reads=("eval.groups", "diffusion.T_eval", "diffusion.clip_x0", "model.encoder.z_dim", "model.gae.partition",
               "metrics", "preset", "device", "eval.compile"),
        inputs=("diffusegae", "diffae", "gzsnet", "ddim", "prepared", "groups"), outputs=(NUMBERS_OUT,),
        kwargs={"codecs": derived("codecs"), "prepared": flag("prepared"), "groups_csv": flag("groups"),
                "out_csv": flag("out"), "n_groups": param("eval.groups.n_groups"),
                "n_steps": param("diffusion.T_eval"), "batch_size": param("eval.groups.batch_size"),
                "seed": param("eval.groups.seed"), "weights_dir": param("metrics.weights_dir"),
                "allow_random": derived("allow_random_weights"), "device": derived("torch_device")}),
    Command(
        name="table2", help="DiffuseGAE Table 2: our numbers beside the paper's, with provenance",
        target="diffae.report.diffusegae_table2:diffusegae_table2_report",
        reads=("preset",), inputs=(NUMBERS_IN,), outputs=("out",),
        kwargs={"numbers_csv": flag("numbers"), "out_csv": flag("out"), "preset": param("preset")}),
    Command(
        name="eval-table1",
        help="DiffuseGAE Table 1 numbers: linear-probe accuracy of each latent part for each attribute",
        target="diffae.eval.tables.diffusegae_table1:probe_table",
        reads=("eval.probe", "seed"),
        inputs=("diffusegae", "diffae", "gzsnet", "aeds", "prepared"), outputs=(NUMBERS_OUT,),
        kwargs={"latents": derived("method_latents"), "prepared_dir": flag("prepared"), "out_csv": flag("out"),
                "C": param("eval.probe.C"), "max_iter": param("eval.probe.max_iter"), "seed": param("seed")}),
    Command(
        name="table1", help="DiffuseGAE Table 1: our probe accuracies beside the paper's (CSV + markdown)",
        target="diffae.report.table1:build_table1",
        reads=("preset",), inputs=(NUMBERS_IN,), outputs=("out",),
        kwargs={"numbers_csv": flag("numbers"), "out_csv": flag("out"), "preset": param("preset")}),
    Command(
        name="eval-tsne", help="DiffuseGAE Figs 2 and 5 embeddings: t-SNE of z_sem and z_dis parts",
        target="diffae.eval.tsne_figures:write_tsne_embeddings",
        reads=("eval.tsne", "preset"),
        inputs=("diffusegae", "diffae", "prepared"),
        outputs=(Flag("fig2", help="Fig. 2 embeddings .npz"), Flag("fig5", help="Fig. 5 embeddings .npz")),
        kwargs={"diffusegae_latents": flag("diffusegae"), "diffae_latents": flag("diffae"),
                "prepared": flag("prepared"), "fig2_out": flag("fig2"), "fig5_out": flag("fig5"),
                "perplexity": param("eval.tsne.perplexity"), "seed": param("eval.tsne.seed"),
                "max_points": param("eval.tsne.max_points"), "preset": param("preset")}),
    Command(
        name="figures-tsne", help="draw DiffuseGAE Figs 2 and 5 from their embeddings",
        target="diffae.report.figures_tsne:figures_tsne",
        inputs=("fig2-data", "fig5-data"), outputs=("fig2", "fig5"),
        kwargs={"fig2_npz": flag("fig2-data"), "fig5_npz": flag("fig5-data"), "fig2_png": flag("fig2"),
                "fig5_png": flag("fig5")}),
    Command(
        name="eval-editing", help="DiffuseGAE Figs 6-9 image grids: replacement, recombination, interpolation",
        target="diffae.eval.editing_grids:write_editing_grids",
        reads=("eval.figures", "diffusion.T_eval", "diffusion.clip_x0", "model.encoder.z_dim", "model.gae.partition",
               "preset", "device", "eval.compile"),
        inputs=("diffusegae", "diffae", "gzsnet", "aeds", "prepared", "split"),
        outputs=(Flag("outdir", help="folder of the grids' .npz files"),),
        kwargs={"codecs": derived("codecs"), "prepared": flag("prepared"), "split_csv": flag("split"),
                "outdir": flag("outdir"), "n_steps": param("diffusion.T_eval"),
                "n_examples": param("eval.figures.n_examples"), "n_interp": param("eval.figures.n_interp"),
                "seed": param("eval.figures.seed"), "preset": param("preset"), "device": derived("torch_device")}),
    Command(
        name="figures-editing", help="draw DiffuseGAE Figs 6-9 from their image grids",
        target="diffae.report.figures_editing:editing_figures",
        inputs=(Flag("grids", help="folder of the grids' .npz files (diffae eval-editing)"),), outputs=("outdir",),
        kwargs={"grids_dir": flag("grids"), "outdir": flag("outdir")}),
    Command(
        name="eval-ppl", help="DiffuseGAE Fig. 10 numbers: PPL vs DDIM steps for DiffuseGAE and Diff-AE",
        target="diffae.eval.tables.diffusegae_ppl:ppl_numbers",
        reads=("eval.ppl", "metrics", "diffusion.clip_x0", "model.encoder.z_dim", "model.gae.partition", "preset",
               "device", "eval.compile"),
        inputs=("diffusegae", "diffae", "prepared", "split"), outputs=(NUMBERS_OUT,),
        kwargs={"codecs": derived("codecs"), "prepared": flag("prepared"), "split_csv": flag("split"),
                "out_csv": flag("out"), "step_counts": param("eval.ppl.timesteps"), "n_pairs": param("eval.ppl.n_pairs"),
                "eps": param("eval.ppl.eps"), "batch_size": param("eval.ppl.batch_size"), "seed": param("eval.ppl.seed"),
                "weights_dir": param("metrics.weights_dir"), "allow_random": derived("allow_random_weights"),
                "device": derived("torch_device")}),
    Command(
        name="figure-ppl", help="draw DiffuseGAE Fig. 10 (PPL vs DDIM steps) and its CSV from our PPL numbers",
        target="diffae.report.figure_ppl:figure10_report",
        reads=("preset",), inputs=(NUMBERS_IN,), outputs=("out", "csv"),
        kwargs={"numbers_csv": flag("numbers"), "out_png": flag("out"), "out_csv": flag("csv"),
                "preset": param("preset")}),
    Command(
        name="claims", help="check the papers' qualitative claims against our tables",
        target="diffae.report.claims:build_claims",
        inputs=(*DIFFUSEGAE_TABLES_IN, DIFFAE_TABLE2_IN, *DIFFAE_ZOO_IN, *DIFFAE_ATTR_IN, *DIFFSIAM_TABLES_IN),
        outputs=("out", "md"),
        kwargs={"table1_csv": flag("table1"), "table2_csv": flag("table2"),
                "diffae_table2_csv": flag("diffae-table2"), "ppl_csv": flag("ppl"), "out_csv": flag("out"),
                "out_md": flag("md"), "diffae_table4_csv": flag("diffae-table4"),
                "diffae_ppl_csv": flag("diffae-ppl"), "diffae_table7_csv": flag("diffae-table7"),
                **{f"diffae_table{n}_csv": flag(f"diffae-table{n}") for n in (3, 8, 9, 10)},
                **{f"diffsiam_table4_{n}_csv": flag(f"diffsiam-table4-{n}") for n in (1, 2)}}),
    Command(
        name="metrics", help="the headline numbers of every table as one JSON (dvc metrics show/diff)",
        target="diffae.report.metrics_summary:metrics_summary",
        inputs=(*DIFFUSEGAE_TABLES_IN, DIFFAE_TABLE2_IN, *DIFFAE_ZOO_IN, *DIFFAE_ATTR_IN, *DIFFSIAM_TABLES_IN, "claims"),
        outputs=("out",),
        kwargs={"table1_csv": flag("table1"), "table2_csv": flag("table2"),
                "diffae_table2_csv": flag("diffae-table2"), "ppl_csv": flag("ppl"), "claims_csv": flag("claims"),
                "out_json": flag("out"), "diffae_table4_csv": flag("diffae-table4"),
                "diffae_ppl_csv": flag("diffae-ppl"), "diffae_table7_csv": flag("diffae-table7"),
                **{f"diffae_table{n}_csv": flag(f"diffae-table{n}") for n in (3, 8, 9, 10)},
                **{f"diffsiam_table4_{n}_csv": flag(f"diffsiam-table4-{n}") for n in (1, 2)}}),
    # ---------------------------------------------------------------- utilities
    Command(
        name="fetch-weights", help="download the FID/LPIPS metric weights (on a machine with internet access)",
        target="diffae.command_steps:fetch_metric_weights",
        reads=("metrics.weights_dir",),
        options=(Flag("dir", help="target folder (default: metrics.weights_dir)", required=False),),
        kwargs={"target_dir": flag("dir"), "weights_dir": param("metrics.weights_dir")}),
)

COMMANDS: dict[str, Command] = {c.name: c for c in TABLE}
