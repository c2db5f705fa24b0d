# Shared helpers for the rules: the params each rule tracks, the raw-data switch (real root or stand-in)
# and paper-preset guards.
from diffae.commands import COMMANDS
from diffae.config import load_params
from diffae.preflight import preflight

PAPER = config["preset"].startswith("paper-")


def job(kind):
    """Snakemake resources of a `kind` job, from params `cluster.<kind>`: memory (MB), runtime (minutes) and, for
    training and GPU jobs, the GPUs (`gpu`) it holds. The SLURM profile passes them to sbatch; the local profile
    offers one GPU, so jobs that ask for one never overlap on a workstation."""
    size = config["cluster"][kind]
    resources = {"mem_mb": size["mem_mb"], "runtime": size["runtime"]}
    if "gpus" in size:
        resources["gpu"] = size["gpus"]
    return resources


TRAIN_JOB, GPU_JOB, CPU_JOB = job("train"), job("gpu"), job("cpu")

# How training rules start `diffae`: one process per GPU through torchrun when a job holds more than one
# (the loop averages gradients over ranks, diffae.train.distributed).
TRAIN_GPUS = config["cluster"]["train"]["gpus"]
TRAIN_LAUNCH = (
    f"torchrun --standalone --nproc_per_node {TRAIN_GPUS} -m diffae.cli"
    if TRAIN_GPUS > 1
    else "diffae"
)


def tracked(command):
    """The params values `diffae <command>` reads, by dotted key: its `reads` in the command table
    (src/diffae/commands.py). A rule's params are these, so it reruns exactly when one of them changes.
    """

    def value(key):
        node = config
        for part in key.split("."):
            node = node[part]
        return node

    return {key: value(key) for key in COMMANDS[command].reads}


def raw_input(dataset):
    """Input function of a prepare rule: nothing when a real root is set, else the generated stand-in.

    Paper presets never fall back to stand-ins: a null root stops the DAG at once, naming the key.
    """

    def _input(wildcards):
        if config["data"][dataset]["root"]:
            return []
        if PAPER:
            raise WorkflowError(
                f"preset {config['preset']!r} needs the real {dataset} data: set data.{dataset}.root "
                f"in {PARAMS} to the folder holding it (see README, 'Datasets')"
            )
        return f"{DATA}/raw/{dataset}_standin"

    return _input


def uses(dataset):
    """A dataset is part of the default target unless a paper preset leaves its root unset."""
    return not PAPER or bool(config["data"][dataset]["root"])


# What a run covers: always everything on stand-ins; for a paper preset, what its roots allow.
#  iLab: DiffuseGAE (Tables 1, 2, figures, claims, metrics) and the iLab Diff-AE it builds on.
#  faces: Diff-AE trained on FFHQ and tested on CelebA-HQ (Tables 1, 2); needs both roots.
#  zoo: Diff-AE, DDIM and latent DDIM on each diffae_zoo dataset with a root (Tables 4, 7, PPL, figures).
ILAB_CHAIN = uses("ilab")
FACES_CHAIN = uses("ffhq") and uses("celebahq")
ZOO = [d for d in config["diffae_zoo"]["datasets"] if uses(d)]
#  DiffSiam: the runs of diffsiam.runs on CIFAR-10, evaluated on the transfer sets (Tables 4.1, 4.2); needs both roots.
DIFFSIAM_CHAIN = uses("cifar10") and uses("transfer")
if not (ILAB_CHAIN or FACES_CHAIN or ZOO or DIFFSIAM_CHAIN):
    raise WorkflowError(
        f"preset {config['preset']!r} sets no dataset root to run: set data.ilab.root (DiffuseGAE), "
        f"data.ffhq.root with data.celebahq.root (Diff-AE on faces), the root of a diffae_zoo dataset "
        f"({', '.join(config['diffae_zoo']['datasets'])}) and/or data.cifar10.root with data.transfer.root "
        f"(DiffSiam) in {PARAMS} (see README, 'Datasets')"
    )
