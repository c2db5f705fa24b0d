"""Reconstruction metrics of Diff-AE Tables 1-2 (SSIM up, LPIPS down, MSE down), per image.

Conventions (Diff-AE evaluation code, DESIGN §5):

* MSE: mean over C, H, W of the squared difference of images in [0, 1] -> (N,).
* SSIM (Wang et al. 2004): Gaussian window 11, sigma 1.5, K1 0.01, K2 0.03, data
  range 1, on images in [0, 1]; the SSIM map is averaged over channels and pixels per
  image -> (N,). Border handling is an argument: ``padding="zeros"`` (default) is what
  Diff-AE's ``ssim.py`` does (conv2d with zero padding 5, "same"-size map, borders
  included in the mean) so our numbers are comparable with its tables; ``padding="valid"``
  keeps only windows fully inside the image, which equals skimage's
  ``structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False)``.
* LPIPS: the ``lpips`` package (v0.1 linear heads, shipped in the package) with an
  AlexNet backbone for reconstruction and VGG16 for PPL, on images in [-1, 1].
  Backbone weights are resolved offline (:mod:`diffae.eval.weights`), never downloaded.

Model images are float NCHW in [-1, 1]; :func:`reconstruction_metrics` takes that
convention and converts internally (x + 1) / 2 for SSIM and MSE, as Diff-AE does.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from diffae.eval.weights import (
    ALEXNET_FILE,
    VGG16_FILE,
    MetricWeightsError,
    feature_net_label,
    load_weight_state,
    resolve_weight,
    seeded_rng,
)

_RANGE_TOL = 1e-3


def _check_pair(x: torch.Tensor, y: torch.Tensor, lo: float, hi: float, name: str) -> None:
    if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)):
        raise TypeError(f"{name}: expected two torch tensors, got {type(x).__name__} and {type(y).__name__}")
    if x.shape != y.shape or x.dim() != 4:
        raise ValueError(f"{name}: expected two NCHW tensors of one shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    if not (x.is_floating_point() and y.is_floating_point()):
        raise TypeError(f"{name}: expected float images, got {x.dtype} and {y.dtype}")
    for t in (x, y):
        if t.numel() and (t.min().item() < lo - _RANGE_TOL or t.max().item() > hi + _RANGE_TOL):
            raise ValueError(
                f"{name}: images must lie in [{lo}, {hi}], got values in [{t.min().item():.4g}, {t.max().item():.4g}]"
            )


def mse(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-image MSE of images in [0, 1]: mean over C, H, W -> (N,) (Diff-AE Table 1-2 "MSE")."""
    _check_pair(x, y, 0.0, 1.0, "mse")
    return (x - y).pow(2).flatten(1).mean(1)


def gaussian_window(window_size: int = 11, sigma: float = 1.5, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Normalised 1-D Gaussian taps centred on window_size // 2 (the SSIM window of Wang et al.)."""
    r = torch.arange(window_size, dtype=torch.float64) - window_size // 2
    g = torch.exp(-(r**2) / (2 * sigma**2))
    return (g / g.sum()).to(dtype)


def ssim(
    x: torch.Tensor,
    y: torch.Tensor,
    window_size: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    data_range: float = 1.0,
    padding: Literal["zeros", "valid"] = "zeros",
) -> torch.Tensor:
    """Per-image SSIM of images in [0, 1] -> (N,) (Diff-AE Tables 1-2, SSIM of Wang et al. 2004).

    Local statistics use a separable Gaussian window (``window_size``, ``sigma``) and
    population (not sample) covariances; C1 = (k1 L)^2, C2 = (k2 L)^2 with L = data_range.
    The map is averaged over channels and pixels. ``padding="zeros"`` reproduces Diff-AE's
    ssim.py (zero padding, "same"-size map); ``"valid"`` drops border windows, which is
    skimage's convention.
    """
    _check_pair(x, y, 0.0, data_range, "ssim")
    if padding not in ("zeros", "valid"):
        raise ValueError(f"ssim: padding must be 'zeros' or 'valid', got {padding!r}")
    n, c, h, w = x.shape
    if padding == "valid" and (h < window_size or w < window_size):
        raise ValueError(f"ssim: images {h}x{w} are smaller than the {window_size}px window (padding='valid')")
    dtype = torch.promote_types(x.dtype, torch.float32)
    x, y = x.to(dtype), y.to(dtype)
    g = gaussian_window(window_size, sigma, dtype).to(x.device)
    gw = g.reshape(1, 1, 1, -1).expand(c, 1, 1, window_size)
    gh = g.reshape(1, 1, -1, 1).expand(c, 1, window_size, 1)
    pad = window_size // 2 if padding == "zeros" else 0

    def blur(t: torch.Tensor) -> torch.Tensor:
        t = F.conv2d(t, gw, padding=(0, pad), groups=c)
        return F.conv2d(t, gh, padding=(pad, 0), groups=c)

    stats = blur(torch.cat([x, y, x * x, y * y, x * y], dim=0))
    mu_x, mu_y, e_xx, e_yy, e_xy = stats.split(n, dim=0)
    var_x = e_xx - mu_x**2
    var_y = e_yy - mu_y**2
    cov_xy = e_xy - mu_x * mu_y
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return ssim_map.flatten(1).mean(1)


_LPIPS_NETS = {"alex": ("alexnet", ALEXNET_FILE), "vgg": ("vgg16", VGG16_FILE)}


def _backbone_state(net_module: torch.nn.Module, state: dict[str, torch.Tensor], path: Path) -> dict[str, torch.Tensor]:
    """Map torchvision ``features.<i>.<p>`` keys onto lpips' ``slice<k>.<i>.<p>`` keys."""
    mapped, missing = {}, []
    for key in net_module.state_dict():
        _, idx, param = key.split(".")
        src = f"features.{idx}.{param}"
        if src in state:
            mapped[key] = state[src]
        else:
            missing.append(src)
    if missing:
        raise MetricWeightsError(f"metric weight file {path} lacks backbone keys {missing[:4]} (not a torchvision checkpoint?)")
    return mapped


LPIPS_MIN_SIZE = 32  # smaller images are bilinearly upsampled to this size before LPIPS (documented deviation)


class LPIPSMetric:
    """LPIPS distance (Zhang et al. 2018, v0.1) per image pair on images in [-1, 1] -> (N,).

    ``net="alex"`` is Diff-AE's reconstruction metric (Tables 1-2); ``net="vgg"`` the PPL
    distance (Diff-AE App. F, DiffuseGAE Eq. 13). The lpips model is built without its
    ImageNet download (``pnet_rand=True``, seeded), then the backbone is loaded from the
    resolved torchvision checkpoint. If the file is absent and ``allow_random`` is True the
    seeded random backbone stays, ``random_init`` is True and ``feature_net`` says so.
    """

    def __init__(
        self,
        net: Literal["alex", "vgg"] = "alex",
        weights_dir: str | Path | None = None,
        allow_random: bool = False,
        seed: int = 0,
        device: str | torch.device = "cpu",
    ) -> None:
        if net not in _LPIPS_NETS:
            raise ValueError(f"LPIPSMetric: net must be one of {sorted(_LPIPS_NETS)}, got {net!r}")
        import lpips

        network, filename = _LPIPS_NETS[net]
        self.net = net
        self.weights_path = resolve_weight(filename, weights_dir, allow_random)
        self.random_init = self.weights_path is None
        self.feature_net = f"lpips-{feature_net_label(network, self.weights_path, seed)}"
        self.device = torch.device(device)
        with seeded_rng(seed), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torchvision's deprecated `pretrained=` notice
            model = lpips.LPIPS(net=net, pnet_rand=True, verbose=False)
        if self.weights_path is not None:
            state = load_weight_state(self.weights_path)
            model.net.load_state_dict(_backbone_state(model.net, state, self.weights_path))
        self.model = model.eval().requires_grad_(False).to(self.device)

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """LPIPS(x_i, y_i) for images in [-1, 1] -> float tensor (N,) on the metric's device."""
        _check_pair(x, y, -1.0, 1.0, "LPIPSMetric")
        x, y = x.to(self.device, torch.float32), y.to(self.device, torch.float32)
        if min(x.shape[-2:]) < LPIPS_MIN_SIZE:  # AlexNet's pooling stack needs >= 32 px (smoke preset: 16 px)
            size = (max(LPIPS_MIN_SIZE, x.shape[-2]), max(LPIPS_MIN_SIZE, x.shape[-1]))
            x = torch.nn.functional.interpolate(x, size=size, mode="bilinear", align_corners=False)
            y = torch.nn.functional.interpolate(y, size=size, mode="bilinear", align_corners=False)
        out = self.model(x, y)
        return out.reshape(-1)

    def __repr__(self) -> str:
        return f"LPIPSMetric(feature_net={self.feature_net!r}, device={str(self.device)!r})"


def reconstruction_metrics(
    x: torch.Tensor,
    y: torch.Tensor,
    lpips_metric: LPIPSMetric,
    ssim_padding: Literal["zeros", "valid"] = "zeros",
) -> dict[str, np.ndarray]:
    """Per-image SSIM, LPIPS and MSE between originals ``x`` and reconstructions ``y`` in [-1, 1].

    Follows Diff-AE's evaluation (Tables 1-2): LPIPS on [-1, 1]; SSIM and MSE on
    (x + 1) / 2. Returns float64 arrays of shape (N,) under keys "ssim", "lpips", "mse";
    averaging (and the ``feature_net`` provenance column) is left to the caller.
    """
    _check_pair(x, y, -1.0, 1.0, "reconstruction_metrics")
    x01 = ((x + 1) / 2).clamp(0, 1)
    y01 = ((y + 1) / 2).clamp(0, 1)
    out = {
        "ssim": ssim(x01, y01, padding=ssim_padding),
        "lpips": lpips_metric(x, y),
        "mse": mse(x01, y01),
    }
    return {k: v.detach().double().cpu().numpy() for k, v in out.items()}

