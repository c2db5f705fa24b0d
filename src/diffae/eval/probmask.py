"""Sparse linear attribute classifiers by probabilistic masking (ProbMask, Zhou et al. CVPR 2021; DiffSiam thesis
§4.2.1, Algorithm 3, Figs 4.5-4.6; spec §2.5), vectorised over attributes.

One logistic regression per attribute on z-normalised codes, its input gated by a mask m in {0, 1}^d that keeps
d' of the d dimensions (thesis: d' = 16 on CelebA, 128 for Wearing_Hat, 32 on Bedroom, of d = 512). The mask is
learned as Bernoulli probabilities s in [0, 1]^d, the recipe of the thesis's code base (DiTi):

* training mask m = sigmoid((logit(s) + g) * tau) with g = -log(log u0 / log u1), u0, u1 ~ U(0, 1) (a relaxed
  Bernoulli draw, one per step and attribute), temperature tau = 1 / ((1 - 0.03)(1 - p) + 0.03) at progress p;
* kept ratio pr = 1 up to p = 0.1, then r + (1 - r)(1 - (p - 0.1) / 0.3)^3 down to r = d'/d at p = 0.4, then r;
  after every step s is projected so that sum(clamp(s - v, 0, 1)) = d * pr (bisection on v, 20 rounds);
* gradient norm of s clipped at 3 per attribute; Adam on weight, bias and s; an EMA of weight and bias;
* after training m ~ Bernoulli(s) (seeded), the manipulation direction is m * w (Algorithm 3).

d' = d is the thesis's "without ProbMask" (Fig. 4.7): the mask stays all ones and this is a plain logistic
regression with the same optimiser, so the two figures differ by the mask alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

TAU_MIN = 0.03                  # final 1/temperature offset
KEEP_START, KEEP_END = 0.1, 0.4  # progress at which the kept ratio starts and stops shrinking
SCORE_CLIP = 3.0                # gradient norm of s, per attribute
BISECTION_ROUNDS = 20
_EPS = 1e-20


@dataclass
class ProbMaskClassifier:
    """Logits = (mask * z_norm) @ weight.T + bias, one row per attribute; ``scores`` are the learned s."""
    weight: np.ndarray   # (A, d)
    bias: np.ndarray     # (A,)
    mask: np.ndarray     # (A, d) 0/1
    scores: np.ndarray   # (A, d)
    keep: np.ndarray     # (A,) d'
    names: tuple[str, ...]

    def logits(self, z_norm: np.ndarray) -> np.ndarray:
        z = np.asarray(z_norm, dtype=np.float64)
        return np.einsum("nd,ad->na", z, self.mask * self.weight) + self.bias

    def direction(self, name: str) -> np.ndarray:
        """m * w of one attribute (Algorithm 3's manipulation direction, z-normalised space)."""
        if name not in self.names:
            raise KeyError(f"ProbMask classifier has no attribute {name!r}; it has {list(self.names)}")
        i = self.names.index(name)
        return (self.mask[i] * self.weight[i]).astype(np.float64)

    def accuracy(self, z_norm: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Per-attribute accuracy of the masked classifier on 0/1 ``labels`` (N, A)."""
        return ((self.logits(z_norm) > 0) == (np.asarray(labels) > 0.5)).mean(axis=0)


def temperature(progress: float) -> float:
    """tau of the relaxed mask: 1 at the start, 1 / 0.03 at the end."""
    return 1.0 / ((1.0 - TAU_MIN) * (1.0 - progress) + TAU_MIN)


def keep_ratio(progress: float, final: np.ndarray) -> np.ndarray:
    """pr: 1 until KEEP_START, a cubic decay to ``final`` (= d'/d) at KEEP_END, then ``final``."""
    final = np.asarray(final, dtype=np.float64)
    if progress < KEEP_START:
        return np.ones_like(final)
    if progress >= KEEP_END:
        return final
    return final + (1.0 - final) * (1.0 - (progress - KEEP_START) / (KEEP_END - KEEP_START)) ** 3


@torch.no_grad()
def project_scores(scores: torch.Tensor, total: torch.Tensor) -> torch.Tensor:
    """clamp(s - v, 0, 1) per row with v >= 0 chosen by bisection so that the row sums to at most ``total``
    (rows already within ``total`` are only clamped)."""
    clamped = scores.clamp(0, 1)
    over = clamped.sum(dim=1) > total
    lo = torch.where(over, scores.min(dim=1).values - 1, torch.zeros_like(total))
    hi = torch.where(over, scores.max(dim=1).values, torch.zeros_like(total))
    for _ in range(BISECTION_ROUNDS):
        mid = (lo + hi) / 2
        too_many = (scores - mid[:, None]).clamp(0, 1).sum(dim=1) > total
        lo, hi = torch.where(too_many, mid, lo), torch.where(too_many, hi, mid)
    v = torch.where(over, hi, torch.zeros_like(total))
    return (scores - v[:, None]).clamp(0, 1)


def _relaxed_mask(scores: torch.Tensor, tau: float, generator: torch.Generator) -> torch.Tensor:
    u0, u1 = (torch.rand(scores.shape, generator=generator, dtype=scores.dtype).clamp_min(_EPS) for _ in range(2))
    g = -torch.log(torch.log(u0) / torch.log(u1))
    logit = torch.log(scores + _EPS) - torch.log(1 - scores + _EPS)
    return torch.sigmoid((logit + g) * tau)


def train_probmask(z_norm: np.ndarray, labels: np.ndarray, names: Sequence[str], keep: Sequence[int], *,
                   epochs: int, batch_size: int, lr: float, ema_decay: float, seed: int) -> ProbMaskClassifier:
    """Fit one ProbMask logistic regression per label column of ``labels`` (N, A, 0/1) on ``z_norm`` (N, d),
    attribute a keeping ``keep[a]`` dimensions (``keep[a] = d``: no mask). See the module doc."""
    z = torch.as_tensor(np.asarray(z_norm), dtype=torch.float64)
    y = torch.as_tensor(np.asarray(labels), dtype=torch.float64)
    n, dim = z.shape
    keep_arr = np.asarray(keep, dtype=np.int64)
    if y.shape != (n, len(names)) or keep_arr.shape != (len(names),):
        raise ValueError(f"ProbMask: labels {tuple(y.shape)} and keep {keep_arr.shape} for {len(names)} attributes "
                         f"of {n} codes")
    if ((keep_arr < 1) | (keep_arr > dim)).any():
        raise ValueError(f"ProbMask: kept dimensions {keep_arr.tolist()} must lie in 1..d = {dim}")
    if not torch.isin(y, torch.tensor([0.0, 1.0], dtype=y.dtype)).all():
        raise ValueError("ProbMask: labels must be 0/1")
    gen = torch.Generator().manual_seed(seed)
    bound = 1.0 / dim ** 0.5
    weight = ((torch.rand(len(names), dim, generator=gen, dtype=z.dtype) * 2 - 1) * bound).requires_grad_()
    bias = ((torch.rand(len(names), generator=gen, dtype=z.dtype) * 2 - 1) * bound).requires_grad_()
    scores = torch.ones(len(names), dim, dtype=z.dtype, requires_grad=True)
    free = torch.as_tensor(keep_arr < dim)           # attributes with a mask to learn
    opt = torch.optim.Adam([weight, bias, scores], lr=lr)
    ema = [weight.detach().clone(), bias.detach().clone()]
    per_epoch = max(1, -(-n // batch_size))
    total = epochs * per_epoch
    for it in range(total):
        if it % per_epoch == 0:
            order = torch.randperm(n, generator=gen)
        rows = order[(it % per_epoch) * batch_size:(it % per_epoch + 1) * batch_size]
        progress = it / total
        mask = torch.where(free[:, None], _relaxed_mask(scores, temperature(progress), gen), torch.ones_like(scores))
        logits = torch.einsum("nd,ad->na", z[rows], mask * weight) + bias
        # the sum of per-attribute means: each attribute's gradients as if it were trained alone
        loss = F.binary_cross_entropy_with_logits(logits, y[rows], reduction="none").mean(dim=0).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            norm = scores.grad.norm(dim=1, keepdim=True)
            scores.grad.mul_((SCORE_CLIP / (norm + 1e-6)).clamp(max=1.0))
        opt.step()
        with torch.no_grad():
            ratio = torch.as_tensor(keep_ratio(progress + 1 / total, keep_arr / dim), dtype=z.dtype)
            scores.copy_(torch.where(free[:, None], project_scores(scores, ratio * dim), torch.ones_like(scores)))
            for e, p in zip(ema, (weight, bias)):
                e.mul_(ema_decay).add_(p.detach(), alpha=1.0 - ema_decay)
    s = scores.detach()
    mask = torch.where(free[:, None], torch.bernoulli(s, generator=gen), torch.ones_like(s))
    w, b = ema if ema_decay > 0 else (weight.detach(), bias.detach())
    return ProbMaskClassifier(w.numpy().copy(), b.numpy().copy(), mask.numpy(), s.numpy(), keep_arr, tuple(names))
