"""5-way C-shot episodes with a linear head per episode on frozen features: DiffSiam Table 4.2 (spec §2.8).

Per episode `ways` classes are drawn from all classes of the (test) split having at least shots+queries
examples; per class `shots` support and `queries` disjoint query examples. A linear head (nn.Linear-style,
softmax cross-entropy) is trained on the support features with SGD — paper: 100 epochs, batch 4, lr 0.01,
weight decay 0.001; momentum and schedule unspecified (ours: momentum 0.9, constant lr; ambiguity A11) — and
scored on the queries. The printed "±" of Table 4.2 is the 95% confidence interval 1.96·σ/√E (σ over episodes,
ddof 0 as in [89]'s few-shot code), see spec §2.8.

Training is vectorised across episodes (weights E×d×ways, `torch.baddbmm`/`bmm`, gradients in closed form) and
reproduces a per-episode loop with `torch.optim.SGD` exactly: each episode has its own seeded initialisation and
per-epoch shuffle (`episode_plan`), the last partial batch of an epoch is a smaller batch with its own mean loss
(a DataLoader with drop_last=False), and weight decay applies to weight and bias as SGD over
`nn.Linear.parameters()` does. Feature L2-normalisation is optional and off by default (ours).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["Episodes", "EpisodePlan", "FewShotResult", "sample_episodes", "episode_plan", "train_episode_heads",
           "accuracy_summary", "fewshot_accuracy"]

INITS = ("uniform", "zeros")


@dataclass(frozen=True)
class Episodes:
    """Index tensors into the feature rows; support/query are class-major, local label j ↔ classes[:, j]."""

    support: torch.Tensor         # (E, ways*shots) long
    query: torch.Tensor           # (E, ways*queries) long
    support_labels: torch.Tensor  # (E, ways*shots) long in [0, ways)
    query_labels: torch.Tensor    # (E, ways*queries) long in [0, ways)
    classes: torch.Tensor         # (E, ways) original class ids

    @property
    def n_episodes(self) -> int:
        return int(self.classes.shape[0])

    @property
    def ways(self) -> int:
        return int(self.classes.shape[1])

    @property
    def shots(self) -> int:
        return int(self.support.shape[1]) // self.ways

    @property
    def queries(self) -> int:
        return int(self.query.shape[1]) // self.ways


@dataclass(frozen=True)
class EpisodePlan:
    """Seeded randomness of one episode: per-epoch support order and the head's initial weight/bias."""

    perms: torch.Tensor   # (epochs, n_support) long
    weight: torch.Tensor  # (d, ways), i.e. nn.Linear.weight transposed
    bias: torch.Tensor    # (ways,)


@dataclass(frozen=True)
class FewShotResult:
    """One Table 4.2 cell: per-episode query accuracies (%) and their mean, σ and 95% CI half-width."""

    accuracies: np.ndarray
    mean: float
    std: float
    ci95: float
    ways: int
    shots: int
    queries: int

    @property
    def n_episodes(self) -> int:
        return len(self.accuracies)

    def to_dict(self) -> dict:
        return {"mean": self.mean, "std": self.std, "ci95": self.ci95, "n_episodes": self.n_episodes,
                "ways": self.ways, "shots": self.shots, "queries": self.queries}


def sample_episodes(labels: Sequence[int] | np.ndarray | torch.Tensor, n_episodes: int, ways: int = 5,
                    shots: int = 1, queries: int = 15, seed: int = 0) -> Episodes:
    """Draw `n_episodes` ways-way shots-shot episodes with `queries` queries per class (spec §2.8, Table 4.2).

    Classes come from all classes with ≥ shots+queries examples (ValueError if fewer than `ways` qualify);
    within a class, support and query examples are drawn without replacement, hence disjoint.
    """
    y = _int_labels(labels)
    for name, v, lo in (("n_episodes", n_episodes, 1), ("ways", ways, 2), ("shots", shots, 1), ("queries", queries, 1)):
        if int(v) != v or v < lo:
            raise ValueError(f"sample_episodes: {name}={v}; expected an integer >= {lo}")
    per_class = shots + queries
    order = np.argsort(y, kind="stable")
    classes, starts, counts = np.unique(y[order], return_index=True, return_counts=True)
    ok = np.flatnonzero(counts >= per_class)
    if len(ok) < ways:
        raise ValueError(f"sample_episodes: {len(ok)} of {len(classes)} classes have >= {per_class} examples "
                         f"(shots {shots} + queries {queries}); {ways}-way episodes need {ways}")
    rng = np.random.default_rng(seed)
    picked = np.empty((n_episodes, ways, per_class), dtype=np.int64)
    chosen = np.empty((n_episodes, ways), dtype=np.int64)
    for e in range(n_episodes):
        chosen[e] = ok[rng.choice(len(ok), size=ways, replace=False)]
        for j, c in enumerate(chosen[e]):
            members = order[starts[c]:starts[c] + counts[c]]
            picked[e, j] = members[rng.choice(counts[c], size=per_class, replace=False)]
    local = np.arange(ways)
    return Episodes(support=torch.from_numpy(picked[:, :, :shots].reshape(n_episodes, -1).copy()),
                    query=torch.from_numpy(picked[:, :, shots:].reshape(n_episodes, -1).copy()),
                    support_labels=torch.from_numpy(np.tile(np.repeat(local, shots), (n_episodes, 1))),
                    query_labels=torch.from_numpy(np.tile(np.repeat(local, queries), (n_episodes, 1))),
                    classes=torch.from_numpy(classes[chosen]))


def episode_plan(seed: int, episode: int, epochs: int, n_support: int, dim: int, ways: int,
                 init: str = "uniform", dtype: torch.dtype = torch.float32) -> EpisodePlan:
    """The randomness of episode `episode`, from its own stream `default_rng([seed, episode])`.

    `init="uniform"`: U(−1/√d, 1/√d) for weight and bias (nn.Linear's default range); `"zeros"`: all zero.
    Independent of chunking, so vectorised and per-episode training see the same draws.
    """
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; expected one of {INITS}")
    rng = np.random.default_rng([int(seed), int(episode)])
    perms = np.argsort(rng.random((epochs, n_support)), axis=1, kind="stable")
    bound = 1.0 / math.sqrt(dim)
    if init == "uniform":
        w, b = rng.uniform(-bound, bound, (dim, ways)), rng.uniform(-bound, bound, ways)
    else:
        w, b = np.zeros((dim, ways)), np.zeros(ways)
    return EpisodePlan(perms=torch.from_numpy(perms), weight=torch.from_numpy(w).to(dtype),
                       bias=torch.from_numpy(b).to(dtype))


def train_episode_heads(support_x: torch.Tensor, support_y: torch.Tensor, ways: int, *, epochs: int = 100,
                        batch_size: int = 4, lr: float = 0.01, momentum: float = 0.9, weight_decay: float = 1e-3,
                        seed: int = 0, episode_ids: Sequence[int] | None = None,
                        init: str = "uniform") -> tuple[torch.Tensor, torch.Tensor]:
    """Train one linear head per episode, all episodes at once; returns weight (E, d, ways) and bias (E, ways).

    `support_x` (E, n, d) float, `support_y` (E, n) long in [0, ways). Episode i uses `episode_plan(seed,
    episode_ids[i], ...)` (default ids 0..E−1) for its init and shuffles. Plain SGD with momentum (dampening 0,
    no Nesterov) on the batch-mean cross-entropy, constant lr, weight decay on weight and bias (Table 4.2).
    """
    x, y = _check_support(support_x, support_y, ways)
    for name, v in (("epochs", epochs), ("batch_size", batch_size)):
        if int(v) != v or v < 1:
            raise ValueError(f"train_episode_heads: {name}={v}; expected an integer >= 1")
    E, n, d = x.shape
    ids = range(E) if episode_ids is None else [int(i) for i in episode_ids]
    if len(ids) != E:
        raise ValueError(f"train_episode_heads: {len(ids)} episode ids for {E} episodes")
    plans = [episode_plan(seed, i, epochs, n, d, ways, init, x.dtype) for i in ids]
    perms = torch.stack([p.perms for p in plans]).to(x.device)         # (E, epochs, n)
    W = torch.stack([p.weight for p in plans]).to(x.device)            # (E, d, ways)
    b = torch.stack([p.bias for p in plans]).to(x.device)              # (E, ways)
    onehot = F.one_hot(y, ways).to(x.dtype)                            # (E, n, ways)
    vW, vb = torch.zeros_like(W), torch.zeros_like(b)
    rows = torch.arange(E, device=x.device)[:, None]
    for t in range(epochs):
        xs, ys = x[rows, perms[:, t]], onehot[rows, perms[:, t]]
        for s in range(0, n, batch_size):
            xb, yb = xs[:, s:s + batch_size], ys[:, s:s + batch_size]
            g = (torch.softmax(torch.baddbmm(b[:, None, :], xb, W), dim=-1) - yb) / xb.shape[1]
            gW = torch.bmm(xb.transpose(1, 2), g).add_(W, alpha=weight_decay)
            gb = g.sum(dim=1).add_(b, alpha=weight_decay)
            vW.mul_(momentum).add_(gW)
            vb.mul_(momentum).add_(gb)
            W.sub_(vW, alpha=lr)
            b.sub_(vb, alpha=lr)
    return W, b


def accuracy_summary(accuracies: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    """(mean, σ, 95% CI half-width 1.96·σ/√E) of per-episode accuracies; σ with ddof 0 (spec §2.8)."""
    acc = np.asarray(accuracies, dtype=np.float64).ravel()
    if len(acc) == 0:
        raise ValueError("accuracy_summary: no episodes")
    std = float(acc.std())
    return float(acc.mean()), std, 1.96 * std / math.sqrt(len(acc))


def fewshot_accuracy(features: torch.Tensor | np.ndarray, episodes: Episodes, *, epochs: int = 100,
                     batch_size: int = 4, lr: float = 0.01, momentum: float = 0.9, weight_decay: float = 1e-3,
                     seed: int = 0, normalize: bool = False, init: str = "uniform", chunk_size: int = 256,
                     device: torch.device | str | None = None) -> FewShotResult:
    """Table 4.2 cell: train every episode's head on its support features, score it on its queries (%).

    `features` (N, d) are the frozen-encoder features of the split the episodes index. `normalize=True`
    L2-normalises each feature row first (default off). Episodes are processed `chunk_size` at a time on
    `device` (default: the features' device); results do not depend on the chunk size.
    """
    feats = _check_features(features, episodes)
    if normalize:
        feats = F.normalize(feats, dim=1)
    if int(chunk_size) != chunk_size or chunk_size < 1:
        raise ValueError(f"fewshot_accuracy: chunk_size={chunk_size}; expected an integer >= 1")
    dev = feats.device if device is None else torch.device(device)
    accs = []
    for lo in range(0, episodes.n_episodes, chunk_size):
        sl = slice(lo, lo + chunk_size)
        W, b = train_episode_heads(feats[episodes.support[sl]].to(dev), episodes.support_labels[sl].to(dev),
                                   episodes.ways, epochs=epochs, batch_size=batch_size, lr=lr, momentum=momentum,
                                   weight_decay=weight_decay, seed=seed,
                                   episode_ids=range(lo, min(lo + chunk_size, episodes.n_episodes)), init=init)
        logits = torch.baddbmm(b[:, None, :], feats[episodes.query[sl]].to(dev), W)
        hit = logits.argmax(dim=-1).cpu() == episodes.query_labels[sl]
        accs.append(100.0 * hit.double().mean(dim=1).numpy())
    acc = np.concatenate(accs)
    mean, std, ci = accuracy_summary(acc)
    return FewShotResult(accuracies=acc, mean=mean, std=std, ci95=ci, ways=episodes.ways, shots=episodes.shots,
                         queries=episodes.queries)


def _int_labels(labels: Sequence[int] | np.ndarray | torch.Tensor) -> np.ndarray:
    y = labels.cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if y.ndim != 1 or len(y) == 0 or y.dtype.kind not in "iu":
        raise ValueError(f"sample_episodes: labels must be a non-empty 1-D integer array, got shape {y.shape} "
                         f"dtype {y.dtype}")
    return y.astype(np.int64, copy=False)


def _check_support(x: torch.Tensor, y: torch.Tensor, ways: int) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(x, torch.Tensor) or x.ndim != 3 or not x.is_floating_point():
        raise ValueError(f"train_episode_heads: support features must be a float tensor (E, n, d), got "
                         f"{getattr(x, 'shape', type(x))}")
    if not isinstance(y, torch.Tensor) or tuple(y.shape) != tuple(x.shape[:2]):
        raise ValueError(f"train_episode_heads: support labels of shape {getattr(y, 'shape', type(y))}; "
                         f"expected {tuple(x.shape[:2])}")
    if int(ways) != ways or ways < 2:
        raise ValueError(f"train_episode_heads: ways={ways}; expected an integer >= 2")
    y = y.long()
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= ways):
        raise ValueError(f"train_episode_heads: support labels must lie in [0, {ways})")
    return x, y.to(x.device)


def _check_features(features: torch.Tensor | np.ndarray, episodes: Episodes) -> torch.Tensor:
    feats = torch.as_tensor(features)
    if feats.ndim != 2:
        raise ValueError(f"fewshot_accuracy: features of shape {tuple(feats.shape)}; expected (N, d)")
    if not feats.is_floating_point():
        feats = feats.float()
    if not torch.isfinite(feats).all():
        raise ValueError("fewshot_accuracy: features contain NaN or inf")
    top = max(int(episodes.support.max()), int(episodes.query.max()))
    if top >= len(feats) or min(int(episodes.support.min()), int(episodes.query.min())) < 0:
        raise ValueError(f"fewshot_accuracy: episodes index row {top} but there are {len(feats)} feature rows")
    return feats
