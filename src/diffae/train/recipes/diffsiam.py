"""DiffSiam and its baselines on the one loop (DiffSiam thesis Algorithm 1, Eq. 3.9-3.12; spec §2.3-2.4).

* ``diffsiam``: ResNet-10 f_omega + PDAE shift decoder g_phi over a frozen DM + SimSiam predictor p_gamma;
  L = L_diffusion (Eq. 3.11 on the masked code z_bar_k) + w_ss L_SimSiam (Eq. 3.9; w_ss = 1, Eq. 3.12).
* ``simsiam``: the encoder and predictor with L_SimSiam only (the thesis's SimSiam baseline).
* ``pdae``: the shift decoder with the full z at every t and no SimSiam (PDAE, thesis §3.2).

Decisions recorded in the artifact's meta (spec §2.11): k_mode (A1), the network time tau (A2, follows k_mode),
the SimSiam head (A5) and weight (A6). The diffusion input gets a random horizontal flip (PDAE/DiTi; the thesis
does not say); the SimSiam views use :class:`~diffae.data.augment.SimSiamAugment`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import TensorDataset

from diffae.artifacts import load_final
from diffae.config import DiffusionConfig, TrainConfig
from diffae.data.augment import SimSiamAugment, random_hflip
from diffae.data.splits import split_images
from diffae.diffusion import GaussianDiffusion
from diffae.diffusion.pdae import K_MODES, PDAEWeights, draw_level_and_segments
from diffae.nets import registry
from diffae.nets.pdae_shift import PDAEShift
from diffae.nets.siamese import VARIANTS, SimSiamHead, masked_code
from diffae.train.recipes._loop import run_loop
from diffae.train.recipes.common import image_diffusion, images_from_batch
from diffae.train.siamese_losses import simsiam_loss

METHODS = ("diffsiam", "simsiam", "pdae")


@dataclass(frozen=True)
class DiffSiamSettings:
    """What Algorithm 1 leaves to choose (spec §2.4, §2.11)."""

    method: str = "diffsiam"
    variant: str = "hierarchical"      # hierarchical | sequential | hierarchical_detach (diffsiam only)
    n_segments: int = 64
    k_mode: str = "timestep_block"     # A1: timestep_block | extra_steps (literal Algorithm 1)
    simsiam_weight: float = 1.0        # A6: Eq. 3.12 (DiTi's code: 0.01)

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"diffsiam method {self.method!r} unknown; expected one of {list(METHODS)}")
        if self.variant not in VARIANTS[:3]:
            raise ValueError(f"diffsiam variant {self.variant!r} unknown; expected one of {list(VARIANTS[:3])}")
        if self.k_mode not in K_MODES:
            raise ValueError(f"diffsiam k_mode {self.k_mode!r} unknown; expected one of {list(K_MODES)}")

    @property
    def uses_diffusion(self) -> bool:
        return self.method != "simsiam"

    @property
    def uses_simsiam(self) -> bool:
        return self.method != "pdae"


class DiffSiamRecipe:
    """Losses of Algorithm 1 (steps 1-9) for one of :data:`METHODS`."""

    def __init__(self, encoder: nn.Module, shift: PDAEShift | None, head: SimSiamHead | None,
                 diffusion: GaussianDiffusion, settings: DiffSiamSettings, augment: SimSiamAugment | None = None):
        if settings.uses_diffusion and shift is None:
            raise ValueError(f"method {settings.method!r} needs the shift decoder")
        if settings.uses_simsiam and head is None:
            raise ValueError(f"method {settings.method!r} needs the SimSiam head")
        self.encoder, self.shift, self.head = encoder, shift, head
        self.diffusion, self.settings = diffusion, settings
        self.weights = PDAEWeights.of(diffusion)
        self.augment = augment or SimSiamAugment()

    def modules(self) -> dict[str, nn.Module]:
        mods = {"encoder": self.encoder}
        if self.settings.uses_diffusion:
            mods["shift"] = self.shift
        if self.settings.uses_simsiam:
            mods["head"] = self.head
        return mods

    def compile_units(self) -> list[nn.Module]:
        units = [self.encoder] + ([self.shift] if self.settings.uses_diffusion else [])
        return units + ([self.head.projector, self.head.predictor] if self.settings.uses_simsiam else [])

    def diffusion_loss(self, x0: torch.Tensor) -> torch.Tensor:
        """Eq. 3.11 per sample: lambda_tau ||x0 - (u_theta(x_s, tau) + w_tau g(x_s, tau, z_bar_k))||^2."""
        s = self.settings
        z = self.encoder(x0)
        level, tau, k = draw_level_and_segments(x0.shape[0], self.diffusion.T, s.n_segments, s.k_mode,
                                                device=x0.device)
        x_s = self.diffusion.q_sample(x0, level)
        code = masked_code(z, k, s.n_segments, "pdae" if s.method == "pdae" else s.variant)
        eps, shift = self.shift(x_s, tau, code)
        u = self.diffusion.pred_x0_from_eps(x_s, tau, eps)  # u_theta(x_s, tau), the frozen DM's x0
        return self.weights.x0_form_loss(x0, u, shift, tau)

    def simsiam_loss(self, x0: torch.Tensor) -> torch.Tensor:
        """Eq. 3.9 on two random views."""
        z1, z2 = (self.head.project(self.encoder(self.augment(x0))) for _ in range(2))
        return simsiam_loss(self.head.predict(z1), self.head.predict(z2), z1, z2)

    def loss(self, batch, step: int):
        x0 = images_from_batch(batch)
        terms: dict[str, torch.Tensor] = {}
        total = x0.new_zeros(())
        if self.settings.uses_diffusion:
            terms["l_diffusion"] = self.diffusion_loss(random_hflip(x0)).mean()
            total = total + terms["l_diffusion"]
        if self.settings.uses_simsiam:
            terms["l_simsiam"] = self.simsiam_loss(x0)
            total = total + self.settings.simsiam_weight * terms["l_simsiam"]
        return total, {k: v.detach() for k, v in terms.items()}


def frozen_dm_kwargs(ddim_final: str | Path) -> tuple[dict, dict, dict]:
    """(UNet kwargs, DM state dict, diffusion meta) of a DDIM artifact (the frozen DM, ambiguity A8)."""
    obj = load_final(ddim_final)
    spec = obj["meta"].get("nets", {}).get("unet")
    if spec is None or spec["kwargs"].get("cond_dim") is not None:
        raise ValueError(f"{ddim_final}: not an unconditional DDIM artifact (meta['nets']['unet'] with cond_dim "
                         f"None expected); DiffSiam freezes the DDIM baseline of its dataset")
    kwargs = {k: v for k, v in spec["kwargs"].items() if k not in ("cond_dim", "z_shift", "cond_act")}
    return kwargs, obj["modules"]["unet"], obj["meta"]["diffusion"]


def train_method(*, images: torch.Tensor, ddim_final: str | Path | None, out_dir: str | Path,
                 settings: DiffSiamSettings, encoder_width: int, z_dim: int | None, pred_hidden: int,
                 projector: bool, train_cfg: TrainConfig, diffusion_meta: dict | None = None, seed: int, device: str,
                 on_mismatch: str) -> Path:
    """Train one method on uint8 images (N, 3, H, W); writes `<out_dir>/final.pt` with modules encoder [, shift]
    [, head]. ``ddim_final`` (the frozen DM) is needed unless the method is ``simsiam``."""
    torch.manual_seed(seed)
    specs = {"encoder": registry.net_spec("ResNet10", width=encoder_width, z_dim=z_dim)}
    encoder = registry.build(specs["encoder"])
    width = encoder.z_dim
    shift = head = None
    if settings.uses_diffusion:
        if ddim_final is None:
            raise ValueError(f"method {settings.method!r} needs the frozen DM (a DDIM artifact)")
        unet_kwargs, dm_state, diffusion_meta = frozen_dm_kwargs(ddim_final)
        if width % settings.n_segments:
            raise ValueError(f"z dimension {width} is not divisible by diffsiam n_segments {settings.n_segments}")
        specs["shift"] = registry.net_spec("PDAEShift", z_dim=width, **unet_kwargs)
        shift = registry.build(specs["shift"])
        shift.dm.load_state_dict(dm_state)
    if settings.uses_simsiam:
        specs["head"] = registry.net_spec("SimSiamHead", z_dim=width, pred_hidden=pred_hidden, projector=projector)
        head = registry.build(specs["head"])
    if diffusion_meta is None:
        raise ValueError("the SimSiam baseline needs diffusion_meta (no DM to read it from)")
    diffusion = GaussianDiffusion.from_schedule(diffusion_meta["beta_schedule"], diffusion_meta["T"])
    recipe = DiffSiamRecipe(encoder, shift, head, diffusion, settings)
    specs = {k: v for k, v in specs.items() if k in recipe.modules()}
    meta = {"kind": settings.method, "nets": specs, "diffusion": diffusion_meta, "image_size": images.shape[-1],
            "diffsiam": {**settings.__dict__, "tau": "t" if settings.k_mode == "extra_steps" else "noise level",
                         "z_dim": width}}
    return run_loop(recipe, TensorDataset(images), train_cfg, out_dir, seed=seed, device=device, meta=meta,
                    on_mismatch=on_mismatch)


def run(*, run: str, runs: dict, simsiam_weight: float, nets: Any, prepared: str, dm: str | None, out_dir: str,
        train_cfg: TrainConfig, diff_cfg: DiffusionConfig, seed: int, device: str, on_mismatch: str) -> Path:
    """`diffae train-diffsiam --diffsiam-run NAME`: train params diffsiam.runs.<NAME> on the prepared CIFAR-10 images with
    model.diffsiam's networks and the frozen DM ``dm`` (the train-diffsiam-dm artifact)."""
    if run not in runs:
        raise ValueError(f"diffsiam.runs has no run {run!r}; it has {sorted(runs)}")
    spec = runs[run]
    settings = DiffSiamSettings(method=spec.method, variant=spec.variant, n_segments=nets.n_segments,
                                k_mode=spec.k_mode, simsiam_weight=simsiam_weight)
    images, _ = split_images(prepared, None, "train")
    return train_method(images=images, ddim_final=dm if settings.uses_diffusion else None, out_dir=out_dir,
                settings=settings, encoder_width=nets.encoder_width, z_dim=nets.z_dim, pred_hidden=nets.pred_hidden,
                projector=nets.projector, train_cfg=train_cfg, diffusion_meta=image_diffusion(diff_cfg)[1],
                seed=seed, device=device, on_mismatch=on_mismatch)
