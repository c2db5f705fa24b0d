"""Named values the command table derives from params and flags (`derived("name")` in diffae.commands).

Each derivation declares the params keys and flags it reads; a command that uses it declares those
keys too (tests/test_cli.py checks). Derivations receive the command's restricted params view and
its parsed flags (by argparse dest) and return one keyword argument of the command's call.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from diffae.params_view import ParamsView

Flags = Mapping[str, Any]

# CLI slug of a method -> its name in the tables, codecs and latents meta.
METHODS = {"diffusegae": "DiffuseGAE", "gzsnet": "GZS-Net", "aeds": "AE + DS"}


@dataclass(frozen=True)
class Derivation:
    fn: Callable[[ParamsView, Flags], Any]
    reads: tuple[str, ...]
    flags: tuple[str, ...]


DERIVATIONS: dict[str, Derivation] = {}


def derivation(*, reads: tuple[str, ...] = (), flags: tuple[str, ...] = ()):
    """Register `fn(params, flags)` under its name, with the params keys and (required) flags it reads."""
    def register(fn: Callable[[ParamsView, Flags], Any]):
        DERIVATIONS[fn.__name__] = Derivation(fn, reads, flags)
        return fn
    return register


@derivation(reads=("device",))
def torch_device(params: ParamsView, flags: Flags) -> str:
    """`device: auto` -> cuda when available, else cpu."""
    return params.torch_device()


@derivation(reads=("metrics.allow_random_weights", "preset"))
def allow_random_weights(params: ParamsView, flags: Flags) -> bool:
    """Randomly initialised metric networks are allowed on request, never for a paper preset."""
    return params.metrics.allow_random_weights and not params.is_paper


def _raw_root(params: ParamsView, dataset: str) -> str | None:
    """data.<dataset>.root; paper presets refuse a null root (no stand-ins there)."""
    return params.require_root(dataset) if params.is_paper else getattr(params.data, dataset).root


@derivation(reads=("preset", "data.ilab.root"))
def ilab_root(params: ParamsView, flags: Flags) -> str | None:
    return _raw_root(params, "ilab")


@derivation(reads=("preset", "data.celeba.root"))
def celeba_root(params: ParamsView, flags: Flags) -> str | None:
    return _raw_root(params, "celeba")


def _register_root(dataset: str) -> None:
    """`<dataset>_root`: data.<dataset>.root, refused when null for a paper preset."""
    def root(params: ParamsView, flags: Flags) -> str | None:
        return _raw_root(params, dataset)

    root.__name__ = f"{dataset}_root"
    derivation(reads=("preset", f"data.{dataset}.root"))(root)


for _dataset in ("ffhq", "celebahq", "lsun_horse", "lsun_bedroom", "cifar10", "transfer"):
    _register_root(_dataset)


def _comma_list(value: str) -> list[str]:
    return [p for p in value.split(",") if p]


@derivation(flags=("presets",))
def preset_files(params: ParamsView, flags: Flags) -> list[str]:
    """The --presets flag: comma-separated files."""
    return _comma_list(flags["presets"])


@derivation(flags=("numbers",))
def numbers_files(params: ParamsView, flags: Flags) -> list[str]:
    """The --numbers flag: comma-separated numbers CSVs."""
    return _comma_list(flags["numbers"])


@derivation(flags=("grids",))
def grids_dirs(params: ParamsView, flags: Flags) -> list[str]:
    """The --grids flag: comma-separated folders."""
    return _comma_list(flags["grids"])


@derivation(flags=("datasets",))
def dataset_list(params: ParamsView, flags: Flags) -> list[str]:
    """The --datasets flag: comma-separated dataset keys."""
    return _comma_list(flags["datasets"])


def _zoo_training(section: str) -> None:
    """`zoo_<section>`: train.<section> with its steps scaled by diffae_zoo.steps_fraction of the --dataset."""
    def train_cfg(params: ParamsView, flags: Flags):
        cfg = getattr(params.train, section)
        fraction = params.diffae_zoo.steps_fraction.get(flags["dataset"], 1.0)
        return dataclasses.replace(cfg, steps=max(1, round(cfg.steps * fraction)))

    train_cfg.__name__ = f"zoo_{section}"
    derivation(reads=(f"train.{section}", "diffae_zoo.steps_fraction"), flags=("dataset",))(train_cfg)


for _section in ("diffae_zoo", "ddim_zoo"):
    _zoo_training(_section)


@derivation(flags=("method",))
def method_name(params: ParamsView, flags: Flags) -> str:
    return METHODS[flags["method"]]


@derivation(flags=("diffusegae", "diffae", "gzsnet", "aeds"))
def method_latents(params: ParamsView, flags: Flags) -> dict[str, str]:
    """Table 1's latents file per method, from the method flags."""
    return {"DiffuseGAE": flags["diffusegae"], "Diff-AE": flags["diffae"], "GZS-Net": flags["gzsnet"],
            "AE + DS": flags["aeds"]}


@derivation(reads=("device", "diffusion.clip_x0", "model.encoder.z_dim", "model.gae.partition", "eval.compile"),
            flags=("prepared", "diffae", "diffusegae"))
def codecs(params: ParamsView, flags: Flags) -> dict:
    """The methods' codecs from the model flags (--gzsnet, --aeds, --ddim where the command has them); Diff-AE's
    z_sem is split in the GAE partition's proportions."""
    from diffae.data.prepared import load_prepared
    from diffae.eval.codecs import load_codecs

    models = {"Diff-AE": flags["diffae"], "DiffuseGAE": flags["diffusegae"], "GZS-Net": flags.get("gzsnet"),
              "AE + DS": flags.get("aeds"), "DDIM": flags.get("ddim")}
    return load_codecs(models, tuple(load_prepared(flags["prepared"]).attributes), params.torch_device(),
                       clip_x0=params.diffusion.clip_x0, z_dim=params.model.encoder.z_dim,
                       partition_sizes=params.model.gae.partition, compile=params.eval.compile)
