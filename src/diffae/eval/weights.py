"""Offline resolution of the pretrained metric networks' weight files (DESIGN §5).

The metric networks (FID InceptionV3, LPIPS AlexNet / VGG16 backbones) are never
downloaded here. A weight file is looked up, in order, in

1. ``weights_dir`` (``params.metrics.weights_dir``), then
2. the torch hub cache, ``torch.hub.get_dir()/checkpoints``.

If it is absent, a paper preset fails at once (:class:`MetricWeightsError` naming the
file, the places searched, where to put it and a command that fetches it on a connected
machine); the embedded default may allow seeded random initialisation instead, and the
metric object then carries ``random_init = True`` and a ``feature_net`` string such as
``"alexnet(random-init, seed 0)"`` that every table cell / caption / log line reports.

The official download addresses are not written in this repository: they are read at
run time from the packages that define them (torchvision's weight enums and
``pytorch_fid.inception.FID_WEIGHTS_URL``).
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch

log = logging.getLogger(__name__)

ALEXNET_FILE = "alexnet-owt-7be5be79.pth"
VGG16_FILE = "vgg16-397923af.pth"
FID_INCEPTION_FILE = "pt_inception-2015-12-05-6726825d.pth"
ARCFACE_FILE = "model_ir_se50.pth"


class MetricWeightsError(FileNotFoundError):
    """A metric network's weight file is missing or unreadable; the message says what to do."""


@dataclass(frozen=True)
class MetricWeight:
    """One pretrained metric-network file.

    ``sha256_prefix`` is the torch-hub naming convention (first 8 hex digits of the
    file's SHA-256, the suffix of the file name). ``url_source`` is ``"module:attr.path"``
    of the package constant holding the official download address. A file no package
    points to (ArcFace's) has neither, and ``source_note`` says where it is released.
    """

    filename: str
    network: str
    used_by: str
    sha256_prefix: str | None
    url_source: str | None
    source_note: str = ""

    def url(self) -> str | None:
        """The official download address, read from the package that defines it (None: no package has it)."""
        if self.url_source is None:
            return None
        module_name, attr_path = self.url_source.split(":")
        obj = importlib.import_module(module_name)
        for part in attr_path.split("."):
            obj = getattr(obj, part)
        return str(obj)


METRIC_WEIGHTS: dict[str, MetricWeight] = {
    ALEXNET_FILE: MetricWeight(
        ALEXNET_FILE, "alexnet", "LPIPS-AlexNet (reconstruction metrics)", "7be5be79",
        "torchvision.models:AlexNet_Weights.IMAGENET1K_V1.url",
    ),
    VGG16_FILE: MetricWeight(
        VGG16_FILE, "vgg16", "LPIPS-VGG (perceptual path length)", "397923af",
        "torchvision.models:VGG16_Weights.IMAGENET1K_V1.url",
    ),
    FID_INCEPTION_FILE: MetricWeight(
        FID_INCEPTION_FILE, "inception-v3-fid", "FID (pytorch-fid pool3, 2048-d)", "6726825d",
        "pytorch_fid.inception:FID_WEIGHTS_URL",
    ),
    ARCFACE_FILE: MetricWeight(
        ARCFACE_FILE, "arcface-ir-se50", "identity similarity (Diff-AE Table 10)", None, None,
        "the pSp release (pixel2style2pixel README, pretrained models: 'IR-SE50 Model', ArcFace for the ID loss)",
    ),
}


def _search_dirs(weights_dir: str | Path | None) -> list[Path]:
    dirs = [] if weights_dir is None else [Path(weights_dir).expanduser()]
    dirs.append(Path(torch.hub.get_dir()).expanduser() / "checkpoints")
    return dirs


def _missing_message(filename: str, searched: list[Path], has_weights_dir: bool) -> str:
    where = "\n".join(f"  - {d / filename}" + ("" if d.is_dir() else "  (folder does not exist)") for d in searched)
    target = searched[0]
    info = METRIC_WEIGHTS.get(filename)
    what = f" ({info.used_by})" if info is not None else ""
    if has_weights_dir:
        put = f"Put it in params.metrics.weights_dir ({target}) or in the torch hub cache ({searched[-1]})."
    else:
        put = f"Put it in the torch hub cache ({target}), or set params.metrics.weights_dir to a folder holding it."
    lines = [f"metric weight file {filename!r}{what} not found. Searched:", where, put]
    if info is not None and info.url_source is None:
        lines.append(f"It is not downloadable by a command: get it from {info.source_note}.")
    elif info is not None:
        try:
            lines.append(
                f"On a machine with internet access:\n  mkdir -p {target} && curl -L -o {target / filename} {info.url()}"
            )
        except (ImportError, AttributeError):  # pragma: no cover - package layout changed
            lines.append(f"Its download address is {info.url_source} in the installed packages.")
    lines.append(
        "Only the embedded default may run without it (params.metrics.allow_random_weights: true), "
        "and then the feature net is seeded random and flagged in every report."
    )
    return "\n".join(lines)


def resolve_weight(filename: str, weights_dir: str | Path | None = None, allow_random: bool = False) -> Path | None:
    """Path of a metric weight file from ``weights_dir`` or the torch hub cache (DESIGN §5).

    Returns None when the file is absent and ``allow_random`` is True (the caller then
    uses seeded random initialisation and says so); raises :class:`MetricWeightsError`
    naming the file, the places searched and the fetch command otherwise.
    """
    searched = _search_dirs(weights_dir)
    for d in searched:
        candidate = d / filename
        if candidate.is_file():
            return candidate
    if allow_random:
        log.warning("metric weight %s not found in %s; using seeded random initialisation",
                    filename, ", ".join(str(d) for d in searched))
        return None
    raise MetricWeightsError(_missing_message(filename, searched, weights_dir is not None))


def sha256_matches(path: str | Path) -> bool:
    """True if the file's SHA-256 starts with the prefix in its name (torch-hub convention)."""
    path = Path(path)
    info = METRIC_WEIGHTS.get(path.name)
    if info is None:
        raise KeyError(f"{path.name!r} is not one of the metric weight files {sorted(METRIC_WEIGHTS)}")
    if info.sha256_prefix is None:
        raise ValueError(f"{path.name} has no published SHA-256 prefix to check against")
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest().startswith(info.sha256_prefix)


def load_weight_state(path: str | Path) -> dict[str, torch.Tensor]:
    """Load a weight file as a CPU state dict (tensors only); errors name the file."""
    try:
        state = torch.load(Path(path), map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises several types for corrupt/partial files
        raise MetricWeightsError(f"metric weight file {path} is unreadable ({err}); download it again") from err
    if not isinstance(state, dict):
        raise MetricWeightsError(f"metric weight file {path} holds a {type(state).__name__}, expected a state dict")
    return state


@contextlib.contextmanager
def seeded_rng(seed: int) -> Iterator[None]:
    """Run a block with torch's CPU RNG forked and seeded, leaving the global RNG untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def feature_net_label(network: str, path: Path | None, seed: int) -> str:
    """Provenance string for reports: ``"alexnet(imagenet)"`` or ``"alexnet(random-init, seed 0)"``."""
    if path is None:
        return f"{network}(random-init, seed {seed})"
    return f"{network}(imagenet)"


def fetch_weights(target_dir: str | Path, progress: bool = True) -> list[Path]:
    """Download the metric weight files that a package points to into `target_dir` (on a machine with internet
    access); a file without a download address (ArcFace's) is skipped with a warning saying where it comes from.

    Files already present with a matching SHA-256 prefix are kept. Copy the folder to offline machines
    and point `metrics.weights_dir` at it.
    """
    target = Path(target_dir).expanduser()
    target.mkdir(parents=True, exist_ok=True)
    done = []
    for info in METRIC_WEIGHTS.values():
        path = target / info.filename
        if info.url_source is None:
            log.warning("%s (%s) has no download address: put it in %s yourself, from %s", info.filename,
                        info.used_by, target, info.source_note)
            continue
        if not (path.is_file() and sha256_matches(path)):
            torch.hub.download_url_to_file(info.url(), str(path), progress=progress)
            if not sha256_matches(path):
                raise MetricWeightsError(f"downloaded {path} does not match its expected SHA-256 prefix "
                                         f"{info.sha256_prefix}; delete it and retry")
        done.append(path)
    return done
