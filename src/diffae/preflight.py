"""Checks that fail a long run at once instead of after days of training: dataset roots readable, metric
weights present, output folders writable, a GPU when `device: cuda`, some free disk space.

The Snakefile runs them when the DAG is built for paper presets and for `device: cuda` (every problem in one
message); `python -m diffae.preflight PARAMS [OUT_DIR ...]` runs them by hand, e.g. on a cluster login node.
"""
from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from diffae.config import Params, load_params

MIN_FREE_GB = 5.0  # below this a paper-scale run will not hold its checkpoints


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _roots(params: Params) -> list[str]:
    out = []
    for name in ("ilab", "celeba", "ffhq", "celebahq", "lsun_horse", "lsun_bedroom", "cifar10", "transfer"):
        root = getattr(params.data, name).root
        if root is None:
            continue
        p = Path(root).expanduser()
        if not p.is_dir():
            out.append(f"data.{name}.root = {root!r} is not a folder")
        elif not os.access(p, os.R_OK | os.X_OK):
            out.append(f"data.{name}.root = {root!r} is not readable by this user")
    return out


def _weights(params: Params) -> list[str]:
    if params.metrics.allow_random_weights and not params.is_paper:
        return []
    from diffae.eval.weights import ARCFACE_FILE, METRIC_WEIGHTS, MetricWeightsError, resolve_weight

    faces = params.data.ffhq.root is not None and params.data.celebahq.root is not None   # Table 10 runs
    missing = []
    for filename in METRIC_WEIGHTS:
        if filename == ARCFACE_FILE and not faces:
            continue
        try:
            resolve_weight(filename, params.metrics.weights_dir, allow_random=False)
        except MetricWeightsError:
            missing.append(filename)
    if not missing:
        return []
    where = params.metrics.weights_dir or "the torch hub cache"
    out = [f"metric weights {missing} not found in {where}: run `diffae fetch-weights --dir DIR` on a machine "
           "with internet access and set metrics.weights_dir to DIR"]
    if ARCFACE_FILE in missing:
        out[0] += f"; {ARCFACE_FILE} is not downloadable by a command: get it from {METRIC_WEIGHTS[ARCFACE_FILE].source_note}"
    return out


def _outputs(out_dirs: Sequence[str | Path]) -> list[str]:
    problems = []
    for d in out_dirs:
        base = _nearest_existing(Path(d))
        if not os.access(base, os.W_OK | os.X_OK):
            problems.append(f"output folder {d} cannot be written ({base} is not writable by this user)")
            continue
        free_gb = shutil.disk_usage(base).free / 1e9
        if free_gb < MIN_FREE_GB:
            problems.append(f"output folder {d}: only {free_gb:.1f} GB free on its disk (want at least "
                            f"{MIN_FREE_GB:g} GB for checkpoints)")
    return problems


def _gpu(params: Params) -> list[str]:
    if params.device != "cuda":
        return []
    import torch

    if torch.cuda.is_available():
        return []
    return ["device: cuda, but torch sees no CUDA GPU (torch.cuda.is_available() is False; "
            f"torch {torch.__version__}, CUDA build {torch.version.cuda}): run on a GPU node or set device: auto"]


def preflight(params: Params, out_dirs: Sequence[str | Path] = ()) -> list[str]:
    """Every problem found, as one readable line each ([] when the run can start)."""
    return _roots(params) + _weights(params) + _outputs(out_dirs) + _gpu(params)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m diffae.preflight PARAMS [OUT_DIR ...]", file=sys.stderr)
        return 2
    problems = preflight(load_params(args[0]), args[1:] or ["."])
    for p in problems:
        print(f"preflight: {p}", file=sys.stderr)
    print("preflight: ok" if not problems else f"preflight: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
