"""Diff-AE zoo artifacts from the official release's checkpoints, in place of training (params
``diffae_zoo.init_from``).

The release publishes Lightning checkpoints (``last.ckpt``) holding the EMA model under ``ema_model.``; its keys map
onto our modules (``diffae.nets.official_keys``), built with the release's architecture (``official_config``: its
flags differ from our paper-following defaults), which each artifact records, so every later stage rebuilds that
architecture from ``final.pt``. Three kinds per dataset, for the datasets the release covers (``RELEASES``):

- ``diffae``: the autoencoder (``*_autoenc``): encoder and conditional UNet;
- ``ddim``: the DDIM baseline (``*_ddpm``): the UNet without z;
- ``latent_ddim``: the latent DDIM (``*_autoenc_latent``): its ``latent_net`` and the z_sem statistics it was
  trained on (``conds_mean``/``conds_std``), which our latent artifact keeps as ``latent_mean``/``latent_std``. It
  samples the z_sem of the release's own autoencoder, so ``diffae`` must be imported too (``config.OfficialModels``).

Every load is strict: a missing or unexpected key is an error naming it.
"""
from __future__ import annotations

import logging
from pathlib import Path

import torch

from diffae.config import DiffusionConfig
from diffae.nets import registry
from diffae.nets.official_keys import map_official_state_dict, official_config
from diffae.train.checkpoint import save_final

log = logging.getLogger(__name__)

# zoo dataset -> the release's model of each kind (phizaz/diffae templates.py and templates_latent.py names)
RELEASES: dict[str, dict[str, str]] = {
    "ffhq": {"diffae": "ffhq128_autoenc_130M", "ddim": "ffhq128_ddpm_130M", "latent_ddim": "ffhq128_autoenc_latent"},
    "lsun_horse": {"diffae": "horse128_autoenc", "ddim": "horse128_ddpm", "latent_ddim": "horse128_autoenc_latent"},
    "lsun_bedroom": {"diffae": "bedroom128_autoenc", "ddim": "bedroom128_ddpm",
                     "latent_ddim": "bedroom128_autoenc_latent"},
}
RELEASE_DIFFUSION = {"T": 1000, "beta_schedule": "linear"}          # every release model's image diffusion
RELEASE_LATENT_DIFFUSION = {"T": 1000, "beta_schedule": "const0.008"}  # latent_beta_scheduler of *_autoenc_latent


def release_name(dataset: str, kind: str) -> str:
    """The release's model of ``kind`` for a zoo dataset; an error for datasets the release does not cover."""
    if dataset not in RELEASES:
        raise ValueError(f"diffae_zoo.init_from.{dataset}: the official release has no {dataset} checkpoints "
                         f"(it covers {sorted(RELEASES)}); remove the entry and train instead")
    return RELEASES[dataset][kind]


def _read_state_dict(path: Path, what: str) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise FileNotFoundError(f"diffae_zoo.init_from: official checkpoint {path} not found (the release's "
                                f"{what}/last.ckpt)")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # Lightning checkpoints may pickle their hyper-parameters: a full load of a trusted file
        log.warning("%s is not a weights-only file; loading it as a full pickle (use only files you trust)", path)
        obj = torch.load(path, map_location="cpu", weights_only=False)
    state = obj.get("state_dict", obj) if isinstance(obj, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f"{path}: expected a Lightning checkpoint with a 'state_dict', got {type(obj).__name__}")
    return state


def _load_strict(spec: dict, state: dict[str, torch.Tensor], ckpt_path: Path, what: str) -> dict[str, torch.Tensor]:
    net = registry.build(spec)
    result = net.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(f"{ckpt_path}: does not fit {what}: missing {result.missing_keys[:5]}, "
                         f"unexpected {result.unexpected_keys[:5]}")
    return net.state_dict()


def _check_size(name: str, cfg: dict, image_size: int) -> None:
    if image_size != cfg["decoder"]["image_size"]:
        raise ValueError(f"diffae_zoo.init_from: {name} is a {cfg['decoder']['image_size']} px model but the prepared "
                         f"data is {image_size} px; set the dataset's image_size to match")


def _check_diffusion(diff_cfg: DiffusionConfig, name: str) -> None:
    ours = {"T": diff_cfg.T, "beta_schedule": diff_cfg.beta_schedule}
    if ours != RELEASE_DIFFUSION:
        raise ValueError(f"diffae_zoo.init_from: {name} was trained with diffusion {RELEASE_DIFFUSION}, but params "
                         f"set diffusion.T/beta_schedule = {ours}; set them to the release's")


def _save(out_dir: str | Path, weights: dict, meta: dict, ckpt_path: Path, name: str) -> Path:
    final = Path(out_dir) / "final.pt"
    save_final(final, weights, {**meta, "init_from": str(ckpt_path)}, step=0, ema=True,
               config={"init_from": str(ckpt_path), "official": name})
    log.info("wrote %s from the official checkpoint %s (%s; no training)", final, ckpt_path, name)
    return final


def import_official_diffae(ckpt_path: str | Path, out_dir: str | Path, *, image_size: int, diff_cfg: DiffusionConfig,
                           name: str = "ffhq128_autoenc_130M") -> Path:
    """``<out_dir>/final.pt`` holding the release's EMA encoder and decoder. ``image_size`` (the prepared data's)
    must be the release's. A ``*_autoenc_latent`` checkpoint holds the same autoencoder and may be given here."""
    cfg, ckpt_path = official_config(name), Path(ckpt_path)
    _check_size(name, cfg, image_size)
    _check_diffusion(diff_cfg, name)
    mapped = map_official_state_dict(_read_state_dict(ckpt_path, name), prefix="ema_model.")
    specs = {"encoder": registry.net_spec("encoder", kind="halfunet", **cfg["encoder"]),
             "unet": registry.net_spec("UNet", **cfg["decoder"])}
    weights = {}
    for module, prefix in (("encoder", "encoder."), ("unet", "decoder.")):
        state = {k[len(prefix):]: v for k, v in mapped.items() if k.startswith(prefix)}
        weights[module] = _load_strict(specs[module], state, ckpt_path, f"{name}'s {module}")
    meta = {"kind": "diffae", "nets": specs, "image_size": image_size, "diffusion": dict(RELEASE_DIFFUSION)}
    return _save(out_dir, weights, meta, ckpt_path, name)


def import_official_ddim(ckpt_path: str | Path, out_dir: str | Path, *, image_size: int, diff_cfg: DiffusionConfig,
                         name: str = "ffhq128_ddpm_130M") -> Path:
    """``<out_dir>/final.pt`` holding the release's EMA DDIM baseline (a ``*_ddpm`` checkpoint: the UNet without z;
    any encoder key is unexpected)."""
    cfg, ckpt_path = official_config(name), Path(ckpt_path)
    _check_size(name, cfg, image_size)
    _check_diffusion(diff_cfg, name)
    mapped = map_official_state_dict(_read_state_dict(ckpt_path, name), prefix="ema_model.")
    spec = registry.net_spec("UNet", **cfg["decoder"])
    state = {k[len("decoder."):] if k.startswith("decoder.") else k: v for k, v in mapped.items()}
    weights = {"unet": _load_strict(spec, state, ckpt_path, f"{name}'s UNet")}
    meta = {"kind": "ddim", "nets": {"unet": spec}, "image_size": image_size, "diffusion": dict(RELEASE_DIFFUSION)}
    return _save(out_dir, weights, meta, ckpt_path, name)


def import_official_latent_ddim(ckpt_path: str | Path, out_dir: str | Path, *,
                                name: str = "ffhq128_autoenc_latent") -> Path:
    """``<out_dir>/final.pt`` holding the release's EMA latent DDIM and its z_sem statistics (``conds_mean``,
    ``conds_std``: the normalisation it samples in), with the release's latent diffusion (T=1000, const0.008)."""
    cfg, ckpt_path = official_config(name), Path(ckpt_path)
    raw = _read_state_dict(ckpt_path, name)
    missing = [k for k in ("conds_mean", "conds_std") if k not in raw]
    if missing:
        raise ValueError(f"{ckpt_path}: has no {missing} (z_sem statistics): not a latent DDIM checkpoint "
                         f"({name}/last.ckpt)")
    mapped = map_official_state_dict(raw, prefix="ema_model.")
    state = {k[len("latent_net."):]: v for k, v in mapped.items() if k.startswith("latent_net.")}
    if not state:
        raise ValueError(f"{ckpt_path}: has no ema_model.latent_net.* keys: not a latent DDIM checkpoint ({name})")
    spec = registry.net_spec("LatentMLP", **cfg["latent"])
    weights = {"latent": _load_strict(spec, state, ckpt_path, f"{name}'s latent net")}
    meta = {"kind": "latent_ddim", "nets": {"latent": spec}, "diffusion": dict(RELEASE_LATENT_DIFFUSION),
            "latent_mean": raw["conds_mean"].float().flatten().tolist(),
            "latent_std": raw["conds_std"].float().flatten().tolist(), "source": str(ckpt_path)}
    return _save(out_dir, weights, meta, ckpt_path, name)
