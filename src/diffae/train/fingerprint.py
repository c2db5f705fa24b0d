"""What a checkpoint belongs to: the data a run trains on, the shape of its modules and the settings that
shape its trajectory, so that a result is never silently reused.

``checkpoints/last.pt`` records :func:`run_fingerprint`; a run resumes from it only when the fingerprint
of the new run is the same (diffae.train.loop). ``steps`` is not part of it: raising ``steps`` continues a
finished run.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn
from torch.utils.data import Dataset, TensorDataset

from diffae.utils.digest import arrays_digest, json_digest

# Recorded settings whose change between a checkpoint and a new run alters the trajectory.
TRAJECTORY_FIELDS = ("batch_size", "lr", "optimizer", "weight_decay", "betas", "ema_decay", "ema_warmup",
                     "grad_clip", "seed", "warmup_steps", "micro_batch")
# meta keys that say where an input came from, not what it holds (moving a project must not restart runs)
PROVENANCE_META_KEYS = ("latents", "source", "init")


def data_digest(data: Dataset) -> str:
    """Digest of a training dataset's content: a ``TensorDataset``'s tensors, or what the dataset's own
    ``fingerprint_arrays()`` returns (e.g. images and the group rows drawn from them)."""
    if isinstance(data, TensorDataset):
        arrays = data.tensors
    elif hasattr(data, "fingerprint_arrays"):
        arrays = data.fingerprint_arrays()
    else:
        raise TypeError(f"{type(data).__name__}: cannot fingerprint this dataset; use a TensorDataset or give it "
                        "a fingerprint_arrays() method returning the arrays that define its samples")
    return arrays_digest(arrays, label=f"{type(data).__name__}:{len(arrays)}")


def module_shapes(modules: Mapping[str, nn.Module]) -> dict[str, dict[str, list[int]]]:
    """Every parameter's and buffer's shape per module: an architecture change changes it."""
    return {name: {k: list(v.shape) for k, v in m.state_dict().items()} for name, m in sorted(modules.items())}


def _meta_digest(meta: Mapping[str, Any]) -> str:
    return json_digest({k: v for k, v in meta.items() if k not in PROVENANCE_META_KEYS})


def run_fingerprint(data: Dataset, modules: Mapping[str, nn.Module], meta: Mapping[str, Any],
                    config: Mapping[str, Any]) -> dict[str, Any]:
    """The fingerprint ``last.pt`` records: data digest, module shapes, the meta's digest (net specs,
    diffusion, partition, latent statistics) and the trajectory settings."""
    return {"data": data_digest(data), "modules": module_shapes(modules), "meta": _meta_digest(meta),
            "settings": {k: _plain(config[k]) for k in TRAJECTORY_FIELDS if k in config}}


def _plain(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def differences(recorded: Mapping[str, Any] | None, current: Mapping[str, Any]) -> list[str]:
    """Human-readable differences between a checkpoint's fingerprint and this run's ([] when it belongs)."""
    if not recorded:
        return ["the checkpoint records no fingerprint (written by an older version)"]
    out = []
    if recorded.get("data") != current["data"]:
        out.append("the training data differ (other images, split, groups or latents)")
    if recorded.get("modules") != current["modules"]:
        out.append("the network architecture differs (parameter shapes)")
    if recorded.get("meta") != current["meta"]:
        out.append("the artifact description differs (net specs, diffusion, partition or latent statistics)")
    old, new = recorded.get("settings", {}), current["settings"]
    out += [f"{k}: {old.get(k)!r} -> {new[k]!r}" for k in new if old.get(k) != new[k]]
    return out
