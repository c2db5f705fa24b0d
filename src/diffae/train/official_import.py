"""A Diff-AE artifact from the official release's checkpoint, in place of training (params ``diffae_zoo.init_from``).

The release's ``last.ckpt`` (a Lightning checkpoint) holds the EMA model under ``ema_model.``; its keys map onto our
encoder and UNet (``diffae.nets.official_keys``), built with the release's architecture (``official_config``: its
flags differ from our paper-following defaults), which the artifact records, so every later stage rebuilds that
architecture from ``final.pt``. Only the FFHQ-128 autoencoder (``ffhq128_autoenc_130M``) is mapped.
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


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise FileNotFoundError(f"diffae_zoo.init_from: official checkpoint {path} not found (the release's "
                                "ffhq128_autoenc_130M/last.ckpt)")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # Lightning checkpoints may pickle their hyper-parameters: a full load of a trusted file
        log.warning("%s is not a weights-only file; loading it as a full pickle (use only files you trust)", path)
        obj = torch.load(path, map_location="cpu", weights_only=False)
    state = obj.get("state_dict", obj) if isinstance(obj, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f"{path}: expected a Lightning checkpoint with a 'state_dict', got {type(obj).__name__}")
    return state


def import_official_diffae(ckpt_path: str | Path, out_dir: str | Path, *, image_size: int, diff_cfg: DiffusionConfig,
                           name: str = "ffhq128_autoenc_130M") -> Path:
    """Write ``<out_dir>/final.pt`` holding the release's EMA encoder and decoder (strict load; any missing or
    unexpected key is an error naming it). ``image_size`` (the prepared data's) must be the release's."""
    cfg = official_config(name)
    if image_size != cfg["decoder"]["image_size"]:
        raise ValueError(f"diffae_zoo.init_from: {name} is a {cfg['decoder']['image_size']} px model but the prepared "
                         f"data is {image_size} px; set the dataset's image_size to match")
    mapped = map_official_state_dict(_read_state_dict(Path(ckpt_path)), prefix="ema_model.")
    specs = {"encoder": registry.net_spec("encoder", kind="halfunet", **cfg["encoder"]),
             "unet": registry.net_spec("UNet", **cfg["decoder"])}
    weights = {}
    for module, prefix in (("encoder", "encoder."), ("unet", "decoder.")):
        state = {k[len(prefix):]: v for k, v in mapped.items() if k.startswith(prefix)}
        net = registry.build(specs[module])
        result = net.load_state_dict(state, strict=False)
        if result.missing_keys or result.unexpected_keys:
            raise ValueError(f"{ckpt_path}: does not fit {name}'s {module}: missing {result.missing_keys[:5]}, "
                             f"unexpected {result.unexpected_keys[:5]}")
        weights[module] = net.state_dict()
    meta = {"kind": "diffae", "nets": specs, "image_size": image_size, "init_from": str(ckpt_path),
            "diffusion": {"T": diff_cfg.T, "beta_schedule": diff_cfg.beta_schedule}}
    final = Path(out_dir) / "final.pt"
    save_final(final, weights, meta, step=0, ema=True, config={"init_from": str(ckpt_path), "official": name})
    log.info("wrote %s from the official checkpoint %s (no training)", final, ckpt_path)
    return final
