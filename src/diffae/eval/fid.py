"""Fréchet Inception Distance with pytorch-fid's InceptionV3 pool3 features (2048-d), offline.

Conventions (Diff-AE evaluation code, DESIGN §5): features are pytorch-fid's FID
Inception (TF-ported weights ``pt_inception-2015-12-05-6726825d.pth``), pool3 output,
fed images in [0, 1] that the network bilinearly resizes to 299x299. Diff-AE writes its
samples as PNG before scoring, so float images are quantised to 8 bits by default
(``quantize=True``). The reference set is held out and unflipped (the caller's choice of
images). The Fréchet distance is computed here in float64 in the symmetric eigenvalue
form, without ``scipy.linalg.sqrtm``:

    d^2 = |mu1 - mu2|^2 + Tr(S1) + Tr(S2) - 2 sum_i sqrt(lambda_i(S1 S2)),

with the eigenvalues of S1 S2 taken from the symmetric F^T S2 F, S1 = F F^T.

The network is built without any download: pytorch-fid's own FID block classes are
assembled with random weights, then the resolved weight file is loaded
(:mod:`diffae.eval.weights`). When the file is absent and random weights are allowed,
the convolutions get a seeded He-normal initialisation (PyTorch's default init makes
the 2048-d features vanish, ~1e-8, which would make every FID ~0), and ``feature_net``
says ``"inception-v3-fid(random-init, seed S)"``.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any, Iterable, Iterator
from unittest import mock

import numpy as np
import torch
from scipy.linalg import lapack

from diffae.eval.weights import (
    FID_INCEPTION_FILE,
    MetricWeightsError,
    feature_net_label,
    load_weight_state,
    resolve_weight,
    seeded_rng,
)
from diffae.utils.atomic import atomic_path

FID_DIMS = 2048

Images = torch.Tensor | np.ndarray


def _fid_inception_backbone() -> torch.nn.Module:
    """pytorch-fid's FID Inception structure (its ``fid_inception_v3`` minus the download)."""
    from pytorch_fid import inception as pfi

    net = pfi._inception_v3(num_classes=1008, aux_logits=False, weights=None)
    net.Mixed_5b = pfi.FIDInceptionA(192, pool_features=32)
    net.Mixed_5c = pfi.FIDInceptionA(256, pool_features=64)
    net.Mixed_5d = pfi.FIDInceptionA(288, pool_features=64)
    net.Mixed_6b = pfi.FIDInceptionC(768, channels_7x7=128)
    net.Mixed_6c = pfi.FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6d = pfi.FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6e = pfi.FIDInceptionC(768, channels_7x7=192)
    net.Mixed_7b = pfi.FIDInceptionE_1(1280)
    net.Mixed_7c = pfi.FIDInceptionE_2(2048)
    return net


def _he_init(net: torch.nn.Module) -> None:
    for m in net.modules():
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")


class FIDInception:
    """pytorch-fid ``InceptionV3([3])`` (pool3, 2048-d) built offline; call it on images -> (N, 2048).

    Attributes: ``feature_net`` (provenance string for reports), ``random_init``,
    ``weights_path``, ``device``, ``model`` (the pytorch-fid module, eval mode).
    """

    def __init__(
        self,
        weights_dir: str | Path | None = None,
        allow_random: bool = False,
        seed: int = 0,
        device: str | torch.device = "cpu",
    ) -> None:
        from pytorch_fid import inception as pfi

        self.weights_path = resolve_weight(FID_INCEPTION_FILE, weights_dir, allow_random)
        self.random_init = self.weights_path is None
        self.feature_net = feature_net_label("inception-v3-fid", self.weights_path, seed)
        self.device = torch.device(device)
        with seeded_rng(seed), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            backbone = _fid_inception_backbone()
            if self.weights_path is None:
                _he_init(backbone)
        if self.weights_path is not None:
            try:
                backbone.load_state_dict(load_weight_state(self.weights_path))
            except RuntimeError as err:
                raise MetricWeightsError(f"metric weight file {self.weights_path} does not fit the FID Inception: {err}") from err
        with mock.patch.object(pfi, "fid_inception_v3", lambda: backbone):
            model = pfi.InceptionV3([pfi.InceptionV3.BLOCK_INDEX_BY_DIM[FID_DIMS]], use_fid_inception=True)
        self.model = model.eval().to(self.device)

    @torch.no_grad()
    def __call__(self, images01: torch.Tensor) -> torch.Tensor:
        """Pool3 features of float images in [0, 1], NCHW, any size (resized to 299 inside) -> (N, 2048)."""
        return self.model(images01.to(self.device, torch.float32))[0].flatten(1)

    def __repr__(self) -> str:
        return f"FIDInception(feature_net={self.feature_net!r}, device={str(self.device)!r})"


def to_fid_input(images: Images, quantize: bool = True) -> torch.Tensor:
    """Images -> float32 NCHW in [0, 1], what pytorch-fid's InceptionV3 expects.

    Accepts model images (float torch NCHW in [-1, 1]), stored images (uint8 numpy NHWC
    RGB) or uint8 torch NCHW. Float inputs are quantised to 8 bits when ``quantize``
    (Diff-AE scores PNG files).
    """
    if isinstance(images, np.ndarray):
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
            raise ValueError(
                f"to_fid_input: numpy images must be uint8 NHWC RGB, got {images.dtype} shape {images.shape}"
            )
        return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255.0
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"to_fid_input: expected a torch tensor or numpy array, got {type(images).__name__}")
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"to_fid_input: torch images must be NCHW with 3 channels, got shape {tuple(images.shape)}")
    if images.dtype == torch.uint8:
        return images.float() / 255.0
    if not images.is_floating_point():
        raise TypeError(f"to_fid_input: torch images must be uint8 or float in [-1, 1], got {images.dtype}")
    lo, hi = images.min().item(), images.max().item()
    if lo < -1.001 or hi > 1.001:
        raise ValueError(f"to_fid_input: float images must lie in [-1, 1], got values in [{lo:.4g}, {hi:.4g}]")
    x = ((images.float() + 1) / 2).clamp(0, 1)
    return torch.round(x * 255) / 255 if quantize else x


def _batches(images: Images | Iterable[Images], batch_size: int) -> Iterator[Images]:
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    sources = [images] if isinstance(images, (torch.Tensor, np.ndarray)) else images
    for block in sources:
        for start in range(0, len(block), batch_size):
            yield block[start : start + batch_size]


def fid_statistics(
    images: Images | Iterable[Images], model: FIDInception, batch_size: int = 50, quantize: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Mean (2048,) and covariance (2048, 2048) of pool3 features, float64 (Heusel et al. 2017).

    ``images`` is one array/tensor of images or an iterable of batches (see
    :func:`to_fid_input` for accepted formats). Streams: only the running sums are kept.
    The covariance is the unbiased sample covariance, as numpy's ``np.cov`` in pytorch-fid.
    """
    n, shift, s, ss = 0, None, None, None
    for batch in _batches(images, batch_size):
        f = model(to_fid_input(batch, quantize)).double().cpu().numpy()
        if shift is None:
            shift = f.mean(0)  # shifted sums keep the covariance accurate when |mean| >> std
            s, ss = np.zeros_like(shift), np.zeros((f.shape[1], f.shape[1]))
        d = f - shift
        n += len(f)
        s += d.sum(0)
        ss += d.T @ d
    if n < 2:
        raise ValueError(f"fid_statistics: need at least 2 images, got {n}")
    m = s / n
    sigma = (ss - n * np.outer(m, m)) / (n - 1)
    return shift + m, (sigma + sigma.T) / 2


def fid_features(images: Images | Iterable[Images], model: FIDInception, batch_size: int = 50,
                 quantize: bool = True) -> np.ndarray:
    """Pool3 features (N, 2048), float64, for statistics of several subsets of one image set."""
    return np.concatenate([model(to_fid_input(b, quantize)).double().cpu().numpy()
                           for b in _batches(images, batch_size)])


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unbiased covariance of features (N, D), as :func:`fid_statistics` computes them."""
    f = np.asarray(features, np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"feature_statistics: need (N >= 2, D) features, got shape {f.shape}")
    return f.mean(0), np.cov(f, rowvar=False)


def fid_from_features(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """FID between two feature sets; NaN when either holds fewer than 2 images (undefined covariance)."""
    if len(features_a) < 2 or len(features_b) < 2:
        return float("nan")
    return frechet_distance(*feature_statistics(features_a), *feature_statistics(features_b))


def _psd_factor(s: np.ndarray) -> np.ndarray:
    """F (d, r) with F F^T = s for a symmetric PSD s, by pivoted Cholesky (LAPACK ?pstrf).

    Rank-revealing: pivots below d * machine-eps * max(diag) end the factorisation, so a
    covariance of n < d images costs O(d^2 n) instead of O(d^3).
    """
    d = s.shape[0]
    if d == 0 or not np.any(np.diag(s) > 0):
        return np.zeros((d, 0))
    c, piv, rank, info = lapack.dpstrf(s, lower=0)
    if info < 0:  # pragma: no cover - argument error inside LAPACK
        raise ValueError(f"frechet_distance: LAPACK dpstrf failed (info={info})")
    f = np.zeros((d, rank))
    f[piv - 1] = np.triu(c)[:rank].T
    return f


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2) (FID, Heusel et al. 2017).

    Tr((S1 S2)^1/2) is the sum of square roots of the eigenvalues of S1 S2. With any
    factor S1 = F F^T (F: d x r, pivoted Cholesky), those eigenvalues are the eigenvalues
    of the r x r symmetric PSD matrix F^T S2 F (plus zeros), computed with ``eigvalsh``.
    All in float64; no ``scipy.linalg.sqrtm`` (whose ``disp`` argument SciPy 1.18 removes).
    Rank-deficient covariances (fewer images than dimensions) are handled exactly and fast.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    s1, s2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(
            f"frechet_distance: shapes mu1 {mu1.shape}, sigma1 {s1.shape}, mu2 {mu2.shape}, sigma2 {s2.shape} "
            f"do not describe two {d}-d Gaussians"
        )
    if not (np.isfinite(s1).all() and np.isfinite(s2).all() and np.isfinite(mu1).all() and np.isfinite(mu2).all()):
        raise ValueError("frechet_distance: statistics contain NaN or inf")
    s1, s2 = (s1 + s1.T) / 2, (s2 + s2.T) / 2
    f = _psd_factor(s1)
    k = f.T @ s2 @ f
    ev = np.linalg.eigvalsh((k + k.T) / 2) if k.size else np.zeros(0)
    tr_covmean = np.sqrt(np.clip(ev, 0.0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * tr_covmean)


def save_stats(path: str | Path, mu: np.ndarray, sigma: np.ndarray, meta: dict[str, Any] | None = None) -> None:
    """Write FID statistics atomically as .npz with keys mu, sigma (pytorch-fid's layout) and meta_json."""
    mu, sigma = np.asarray(mu, np.float64), np.asarray(sigma, np.float64)
    if mu.ndim != 1 or sigma.shape != (mu.shape[0], mu.shape[0]):
        raise ValueError(f"save_stats: expected mu (D,) and sigma (D, D), got {mu.shape} and {sigma.shape}")
    meta_json = json.dumps(meta or {}, sort_keys=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, mu=mu, sigma=sigma, meta_json=np.array(meta_json))


def load_stats(path: str | Path) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Read (mu, sigma, meta) written by :func:`save_stats` (or a pytorch-fid .npz: meta is then {})."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"FID statistics file {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in ("mu", "sigma") if k not in f.files]
            if missing:
                raise ValueError(f"FID statistics file {path} lacks keys {missing} (has {f.files})")
            mu, sigma = f["mu"].astype(np.float64), f["sigma"].astype(np.float64)
            meta = json.loads(str(f["meta_json"])) if "meta_json" in f.files else {}
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"FID statistics file {path} is unreadable: {err}") from err
    if mu.ndim != 1 or sigma.shape != (mu.shape[0], mu.shape[0]):
        raise ValueError(f"FID statistics file {path}: mu {mu.shape} and sigma {sigma.shape} do not match")
    return mu, sigma, meta


def fid_from_images(
    a: Images | Iterable[Images], b: Images | Iterable[Images], model: FIDInception, batch_size: int = 50,
    quantize: bool = True,
) -> float:
    """FID between two image sets (formats as :func:`to_fid_input`), e.g. samples vs held-out reference."""
    mu1, s1 = fid_statistics(a, model, batch_size, quantize)
    mu2, s2 = fid_statistics(b, model, batch_size, quantize)
    return frechet_distance(mu1, s1, mu2, s2)
