# Shared helpers for the rules: the raw-data switch (real root or stand-in) and paper-preset guards.

PAPER = config["preset"].startswith("paper-")


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
        return f"data/raw/{dataset}_standin"

    return _input


def uses_celeba():
    """CelebA is part of the default target unless a paper preset leaves its root unset."""
    return not PAPER or bool(config["data"]["celeba"]["root"])
