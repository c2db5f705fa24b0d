"""``torch.compile`` as training and evaluation both use it: in place, shapes specialised, a persistent cache."""
from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

GRAPHS = 64  # compiled graphs kept per code object: units or codecs x shapes (batch, last batch, condition width)


def compile_in_place(module: nn.Module, mode: str = "default") -> nn.Module:
    """Compile ``module``'s forward in place (weights and state-dict keys unchanged), in torch.compile's ``mode``
    ("reduce-overhead" replays CUDA graphs on CUDA and is "default" elsewhere). Shapes are specialised
    (``dynamic=False``): a run sees few of them, and symbolic shapes across UNets of two resolutions in one process
    have failed to compile (inductor). The recompile limit is raised to ``GRAPHS`` so that several modules of one
    class stay compiled, and inductor's caches persist across runs and stages in ``~/.cache/diffae/inductor``
    unless ``TORCHINDUCTOR_CACHE_DIR`` says otherwise."""
    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(Path.home() / ".cache" / "diffae" / "inductor"))
    torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, GRAPHS)
    module.compile(dynamic=False, mode=mode)
    return module
