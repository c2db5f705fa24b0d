# Shared helpers for the rules: the params each rule tracks, the raw-data switch (real root or stand-in)
# and paper-preset guards.
import shutil

from diffae.commands import COMMANDS
from diffae.config import load_params
from diffae.preflight import preflight

PAPER = config["preset"].startswith("paper-")

# GPUs each GPU job asks for. One where this machine has a GPU (the local profile offers one, so such jobs
# do not overlap on a workstation), none on a CPU-only machine (where they run side by side). The SLURM
# profile sets one GPU for them whatever the submitting node has.
GPU_PER_JOB = 1 if shutil.which("nvidia-smi") else 0


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


def uses_celeba():
    """CelebA is part of the default target unless a paper preset leaves its root unset."""
    return not PAPER or bool(config["data"]["celeba"]["root"])
