"""Load the official Diff-AE release's weights into our modules (facts only, no I/O).

The release publishes Lightning checkpoints (``last.ckpt``) whose ``state_dict``
holds the trained model under ``model.`` and its EMA copy under ``ema_model.``
(plus bookkeeping buffers such as ``x_T``). Our modules mirror the release's
module names, so the mapping is a prefix change:

===========================  =================================================
official key (after prefix)  our key (in :class:`DiffusionAutoencoder`)
===========================  =================================================
``encoder.*``                ``encoder.*``   (:class:`HalfUNetEncoder`)
``time_embed.time_embed.*``  ``decoder.time_embed.*``
any other ``*``              ``decoder.*``   (:class:`UNet`)
``latent_net.*``             ``latent_net.*`` (:class:`LatentMLP`; the release's
                             duplicate alias ``layers.i.linear_emb.*`` of
                             ``layers.i.cond_layers.1.*`` is dropped)
===========================  =================================================

An unconditional release model (``BeatGANsUNetModel``, the DDIM baselines) has
the decoder's names with ``time_embed.*`` directly, so its state dict loads into
``UNet(cond_dim=None)`` unchanged.

The shipped manifest ``resources/diffae_official_ffhq128_autoenc_keys.json`` lists the
release's key names and shapes for ``ffhq128_autoenc_130M``; tests check it
against our model built from :func:`official_config`.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Mapping
from typing import Any

import torch

from diffae.nets.encoders import HalfUNetEncoder
from diffae.nets.unet import DiffusionAutoencoder, UNet

__all__ = [
    "OFFICIAL_CONFIGS",
    "build_official_autoencoder",
    "map_official_state_dict",
    "official_config",
]

# Release settings of the architecture flags that differ from our paper-following defaults.
_OFFICIAL_FLAGS_DEC = dict(cond_act=True, resblock_updown=True, scale_bias=1.0, z_shift=False)
_OFFICIAL_FLAGS_ENC = dict(resblock_updown=True, resblock_convs=1)

# Diff-AE Table 5 columns as configured by the release (templates: autoenc_base,
# ffhq128_autoenc_base; TrainConfig defaults dropout 0.1, 1 attention head).
OFFICIAL_CONFIGS: dict[str, dict[str, dict[str, Any]]] = {
    "ffhq128_autoenc_130M": {
        "decoder": dict(
            in_channels=3,
            base_channels=128,
            channel_mult=(1, 1, 2, 3, 4),
            num_res_blocks=2,
            attn_resolutions=(16,),
            image_size=128,
            dropout=0.1,
            num_heads=1,
            num_head_channels=-1,
            cond_dim=512,
            embed_channels=512,
            time_embed_channels=128,
            **_OFFICIAL_FLAGS_DEC,
        ),
        "encoder": dict(
            in_channels=3,
            base_channels=128,
            channel_mult=(1, 1, 2, 3, 4, 4),
            num_res_blocks=2,
            attn_resolutions=(16,),
            image_size=128,
            z_dim=512,
            dropout=0.1,
            num_heads=1,
            num_head_channels=-1,
            **_OFFICIAL_FLAGS_ENC,
        ),
    },
}
# The release's other 128 px models share these architectures (templates.py: horse128_autoenc and bedroom128_autoenc
# are ffhq128_autoenc_base; the *_ddpm models are ffhq128_ddpm, the autoencoder's decoder without z).
for _name in ("horse128_autoenc", "bedroom128_autoenc"):
    OFFICIAL_CONFIGS[_name] = OFFICIAL_CONFIGS["ffhq128_autoenc_130M"]
for _name in ("ffhq128_ddpm_130M", "horse128_ddpm", "bedroom128_ddpm"):
    OFFICIAL_CONFIGS[_name] = {"decoder": {**OFFICIAL_CONFIGS["ffhq128_autoenc_130M"]["decoder"], "cond_dim": None}}
# Latent DDIMs (templates_latent.py: MLP skip net, 2048 hidden, norm, condition bias 1, 64-channel psi(t);
# 10 layers for FFHQ, 20 for Horse and Bedroom). Their checkpoints also hold the autoencoder they were trained on.
for _name, _layers in (("ffhq128_autoenc_latent", 10), ("horse128_autoenc_latent", 20),
                       ("bedroom128_autoenc_latent", 20)):
    OFFICIAL_CONFIGS[_name] = {"latent": dict(z_dim=512, hidden=2048, num_layers=_layers, time_embed_channels=64,
                                              use_norm=True, condition_bias=1.0, dropout=0.0, skip=True)}


def official_config(name: str = "ffhq128_autoenc_130M") -> dict[str, dict[str, Any]]:
    """Our constructor kwargs for an official config: ``{"decoder": UNet kwargs, "encoder": HalfUNetEncoder kwargs}``
    for an autoencoder, ``{"decoder": ...}`` for a DDIM (``*_ddpm``), ``{"latent": LatentMLP kwargs}`` for a latent
    DDIM (``*_autoenc_latent``)."""
    if name not in OFFICIAL_CONFIGS:
        raise ValueError(f"official_config: unknown config {name!r}; known: {sorted(OFFICIAL_CONFIGS)}")
    return copy.deepcopy(OFFICIAL_CONFIGS[name])


def build_official_autoencoder(
    name: str = "ffhq128_autoenc_130M", device: torch.device | str | None = None
) -> DiffusionAutoencoder:
    """Our :class:`DiffusionAutoencoder` with an official config's architecture (``device="meta"`` allocates nothing)."""
    cfg = official_config(name)
    with torch.device(device) if device is not None else contextlib.nullcontext():
        return DiffusionAutoencoder(HalfUNetEncoder(**cfg["encoder"]), UNet(**cfg["decoder"]))


def map_official_key(key: str) -> str | None:
    """Our key for one official model key (prefix already stripped); ``None`` = drop (an alias)."""
    if key.startswith("encoder."):
        return key
    if key.startswith("latent_net."):
        return None if ".linear_emb." in key else key
    if key.startswith("time_embed.time_embed."):
        return "decoder.time_embed." + key[len("time_embed.time_embed."):]
    return "decoder." + key


def map_official_state_dict(
    state_dict: Mapping[str, torch.Tensor], prefix: str = "ema_model."
) -> dict[str, torch.Tensor]:
    """Select the keys under ``prefix`` of an official checkpoint ``state_dict`` and rename them for
    :class:`DiffusionAutoencoder` (table in the module docstring). Tensors are not copied.

    ``prefix=""`` maps a bare model state dict. ``latent_net.*`` keys (latent-DDIM
    checkpoints) are kept under that prefix: load them into a :class:`LatentMLP`
    after stripping it, and the rest into the autoencoder. Raises ``KeyError`` if no key has ``prefix``.
    """
    out: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        if not key.startswith(prefix):
            continue
        new = map_official_key(key[len(prefix):])
        if new is not None:
            out[new] = value
    if not out:
        sample = sorted(state_dict)[:5]
        raise KeyError(
            f"map_official_state_dict: no key starts with prefix {prefix!r} "
            f"(expected 'ema_model.' or 'model.' of a Diff-AE last.ckpt); first keys: {sample}"
        )
    return out
