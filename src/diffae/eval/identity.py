"""Identity similarity with ArcFace (Diff-AE App. G, Table 10, "following pSp").

The network is the IR-SE50 face recogniser that pSp's identity loss uses: a 50-layer improved residual network
with squeeze-and-excitation units on 112 x 112 faces, a 512-d embedding, L2-normalised. Module and parameter
names reproduce the released ``model_ir_se50.pth`` so that file loads strictly.

Preprocessing as pSp's identity loss: images in [-1, 1] at 256 px are cropped to rows 35:223 and columns
32:220, then average-pooled to 112 x 112. At other sizes the crop window is scaled proportionally and the crop
resized to 112 px (area pooling when larger, bilinear when smaller) [ours: the paper works at 256 px].
Similarity: the dot product of the two normalised embeddings.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from diffae.eval.weights import (ARCFACE_FILE, MetricWeightsError, feature_net_label, load_weight_state,
                                 resolve_weight, seeded_rng)

CROP_256 = (35, 223, 32, 220)   # rows, then columns, of pSp's crop of a 256 px image
FACE_SIZE = 112
STAGES = ((64, 3), (128, 4), (256, 14), (512, 3))   # (channels, units) of IR-SE50's four stages


class _Flatten(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(1)


class _SqueezeExcite(nn.Module):
    """Channel gates from the pooled features (reduction 16), 1x1 convolutions without bias."""

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1, bias=False)
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(x, 1)))))


class _IRSEUnit(nn.Module):
    """Improved residual unit: BN, 3x3 conv, PReLU, 3x3 conv (strided), BN, SE; shortcut by subsampling or a
    strided 1x1 conv + BN when the width changes."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        if c_in == c_out:
            self.shortcut_layer = nn.MaxPool2d(1, stride)
        else:
            self.shortcut_layer = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))
        self.res_layer = nn.Sequential(
            nn.BatchNorm2d(c_in), nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False), nn.PReLU(c_out),
            nn.Conv2d(c_out, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out), _SqueezeExcite(c_out))

    def forward(self, x: Tensor) -> Tensor:
        return self.shortcut_layer(x) + self.res_layer(x)


class IRSE50(nn.Module):
    """ArcFace IR-SE50 on 112 px faces in [-1, 1] -> (N, 512) unit-norm embeddings."""

    def __init__(self, drop_ratio: float = 0.4) -> None:
        super().__init__()
        self.input_layer = nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.PReLU(64))
        units, c_in = [], 64
        for c_out, n in STAGES:
            units += [_IRSEUnit(c_in, c_out, 2)] + [_IRSEUnit(c_out, c_out, 1) for _ in range(n - 1)]
            c_in = c_out
        self.body = nn.Sequential(*units)
        self.output_layer = nn.Sequential(nn.BatchNorm2d(512), nn.Dropout(drop_ratio), _Flatten(),
                                          nn.Linear(512 * 7 * 7, 512), nn.BatchNorm1d(512))

    def forward(self, x: Tensor) -> Tensor:
        return F.normalize(self.output_layer(self.body(self.input_layer(x))), dim=1)


def face_crop(images: Tensor) -> Tensor:
    """pSp's crop at 256 px, scaled to the images' size, resized to 112 x 112."""
    h, w = images.shape[-2:]
    r0, r1, c0, c1 = (round(v * s / 256) for v, s in zip(CROP_256, (h, h, w, w)))
    crop = images[..., r0:r1, c0:c1]
    if min(crop.shape[-2:]) >= FACE_SIZE:
        return F.adaptive_avg_pool2d(crop, FACE_SIZE)
    return F.interpolate(crop, size=(FACE_SIZE, FACE_SIZE), mode="bilinear", align_corners=False)


class ArcFaceIdentity:
    """The identity metric: ``model_ir_se50.pth`` from ``weights_dir`` or the torch hub cache; without it, seeded
    random initialisation where allowed (the embedded default), flagged in ``feature_net``."""

    def __init__(self, weights_dir: str | Path | None = None, allow_random: bool = False, seed: int = 0,
                 device: str | torch.device = "cpu") -> None:
        self.weights_path = resolve_weight(ARCFACE_FILE, weights_dir, allow_random)
        self.random_init = self.weights_path is None
        self.feature_net = feature_net_label("arcface-ir-se50", self.weights_path, seed)
        self.device = torch.device(device)
        with seeded_rng(seed):
            net = IRSE50()
        if self.weights_path is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    net.load_state_dict(load_weight_state(self.weights_path))
            except RuntimeError as err:
                raise MetricWeightsError(f"metric weight file {self.weights_path} does not fit ArcFace IR-SE50: "
                                         f"{err}") from err
        self.net = net.eval().to(self.device)

    @torch.no_grad()
    def embed(self, images: Tensor) -> Tensor:
        """(N, 512) unit-norm embeddings of images in [-1, 1], NCHW (one channel is repeated to three)."""
        x = images.to(self.device, torch.float32)
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        return self.net(face_crop(x)).cpu()

    def cosine_similarity(self, a: Tensor, b: Tensor) -> Tensor:
        """(N,) cosine between the identities of a[i] and b[i]."""
        if a.shape != b.shape:
            raise ValueError(f"identity similarity of image sets of shapes {tuple(a.shape)} and {tuple(b.shape)}")
        return (self.embed(a) * self.embed(b)).sum(dim=1)

    def __repr__(self) -> str:
        return f"ArcFaceIdentity(feature_net={self.feature_net!r}, device={str(self.device)!r})"
