"""Linear attribute classifiers on z-normalised z_sem and what Diff-AE does with them (App. A.2, E, G; §5.3, §5.6).

- ``train_linear_classifier``: logistic regression (one logit per attribute, BCE on {0, 1} labels), Adam.
  Recipe ``minibatch`` is the official one (batch 32, 300,000 samples seen, lr 1e-3, a random horizontal flip per
  image): the encoder is frozen and deterministic, so re-inferring z_sem of a flipped image every step, as the
  official code does, equals drawing from the z_sem of the two views computed once, which is what is done here.
  ``full_batch`` runs Adam on all views at once for a number of steps (the paper: "until convergence"), for small
  data. ``ema_decay`` > 0 returns an EMA copy of the weights (the official code keeps one at 0.9999; the paper does
  not mention it, so the default is 0). ``balanced`` makes every batch half positives, half the rest, each class
  cycled in its own shuffled order (the positive-unlabelled classifiers of §5.6: positives oversampled).
- ``auroc_table`` / ``auroc_averages``: Table 8's per-attribute AUROC, NaN where the split holds one class only,
  with the average weighted by test positives and the macro average over the defined ones.
- ``eq11_shift``: Eq. 11, s = (target - b - zᵀw) / wᵀw, so that z + s·w has the target logit exactly.
- ``manipulate``: z + s·w at the official demo's scale (strength · sqrt(D) · w / |w|).
- ``rejection_sample``: §5.6 / App. A.2 class-conditional sampling: p < threshold is rejected, else accepted
  with probability p.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

RECIPES = ("minibatch", "full_batch")


@dataclass(frozen=True)
class ClassifierRecipe:
    """How a linear classifier is fitted (params ``eval.attributes.classifier``)."""
    recipe: str = "minibatch"
    lr: float = 1e-3
    batch_size: int = 32
    samples_seen: int = 300_000
    full_batch_steps: int = 2000
    ema_decay: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.recipe not in RECIPES:
            raise ValueError(f"classifier recipe {self.recipe!r}; expected one of {RECIPES}")
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"classifier ema_decay {self.ema_decay}; expected 0 <= decay < 1")

    @classmethod
    def of(cls, cfg) -> "ClassifierRecipe":
        """From a params section (``diffae.config.ClassifierConfig``) or a mapping of the same fields."""
        return cls(**(cfg if isinstance(cfg, dict) else asdict(cfg)))

    @property
    def steps(self) -> int:
        return self.full_batch_steps if self.recipe == "full_batch" else max(1, self.samples_seen // self.batch_size)


@dataclass
class LinearClassifier:
    """Logits = z_norm @ weight.T + bias, one row of ``weight`` per attribute (z-normalised space)."""
    weight: np.ndarray
    bias: np.ndarray
    names: tuple[str, ...]

    def logits(self, z_norm: np.ndarray) -> np.ndarray:
        return np.asarray(z_norm, dtype=np.float64) @ self.weight.T.astype(np.float64) + self.bias

    def row(self, name: str) -> tuple[np.ndarray, float]:
        """(w, b) of one attribute."""
        if name not in self.names:
            raise KeyError(f"classifier has no attribute {name!r}; it has {list(self.names)}")
        i = self.names.index(name)
        return self.weight[i].astype(np.float64), float(self.bias[i])

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"weight": self.weight.astype(np.float32), "bias": self.bias.astype(np.float32),
                "names": np.array(self.names)}

    @classmethod
    def from_arrays(cls, arrays) -> "LinearClassifier":
        return cls(np.asarray(arrays["weight"]), np.asarray(arrays["bias"]), tuple(str(n) for n in arrays["names"]))


def _cycled(n: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """The first ``count`` indices of 0..n-1 in successive shuffled orders (a shuffling loader repeated)."""
    return np.concatenate([rng.permutation(n) for _ in range(-(-count // n))])[:count]


def balanced_batches(positive: np.ndarray, negative: np.ndarray, batch_size: int, n_batches: int,
                     rng: np.random.Generator) -> np.ndarray:
    """(n_batches, 2 * batch_size) rows: ``batch_size`` positives, then ``batch_size`` of the rest, each class
    cycled in its own shuffled order, so the smaller class is oversampled (official: two loaders repeated to
    equal length, zipped)."""
    if len(positive) == 0 or len(negative) == 0:
        raise ValueError(f"balanced batches need both classes: {len(positive)} positives, {len(negative)} others")
    count = batch_size * n_batches
    pos = positive[_cycled(len(positive), count, rng)].reshape(n_batches, batch_size)
    neg = negative[_cycled(len(negative), count, rng)].reshape(n_batches, batch_size)
    return np.concatenate([pos, neg], axis=1)


class _Adam:
    """Adam (Kingma & Ba; torch.optim.Adam's defaults) on numpy arrays: a linear model needs no autograd."""

    def __init__(self, params: list[np.ndarray], lr: float, betas=(0.9, 0.999), eps: float = 1e-8) -> None:
        self.params, self.lr, self.betas, self.eps, self.t = params, lr, betas, eps, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2 = self.betas
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= self.lr * (m / (1 - b1 ** self.t)) / (np.sqrt(v / (1 - b2 ** self.t)) + self.eps)


def _bce_grads(w: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Gradients of the mean BCE-with-logits of x @ w.T + b against y over all (row, attribute) entries."""
    err = (1.0 / (1.0 + np.exp(-(x @ w.T + b))) - y) / y.size
    return [err.T @ x, err.sum(axis=0)]


def train_linear_classifier(z_views: np.ndarray, labels: np.ndarray, names: Sequence[str],
                            recipe: ClassifierRecipe, *, balanced: bool = False) -> LinearClassifier:
    """Fit one logistic regression per label column on z-normalised latents (BCE with logits, Adam).

    ``z_views`` (V, N, D): V views of each of N images (e.g. un-flipped and flipped); each sampled image takes a
    uniformly random view. ``labels`` (N, C) in {0, 1}. ``balanced`` (one column only): half/half batches.
    Initialisation as torch.nn.Linear's (uniform within 1/sqrt(D)), seeded.
    """
    z_views = np.asarray(z_views, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    if z_views.ndim == 2:
        z_views = z_views[None]
    if labels.ndim == 1:
        labels = labels[:, None]
    n_views, n, dim = z_views.shape
    if labels.shape != (n, len(names)):
        raise ValueError(f"classifier: labels of shape {labels.shape}; expected ({n}, {len(names)}) for {list(names)}")
    if not np.isin(labels, (0.0, 1.0)).all():
        raise ValueError("classifier: labels must be 0/1")
    if balanced and labels.shape[1] != 1:
        raise ValueError("classifier: balanced batches need a single label column")
    rng = np.random.default_rng(recipe.seed)
    bound = 1.0 / np.sqrt(dim)
    w = rng.uniform(-bound, bound, (labels.shape[1], dim))
    b = rng.uniform(-bound, bound, labels.shape[1])
    opt = _Adam([w, b], recipe.lr)
    ema = [w.copy(), b.copy()] if recipe.ema_decay > 0 else None
    if recipe.recipe == "full_batch":
        batches = None
        x_all, y_all = z_views.reshape(n_views * n, dim), np.tile(labels, (n_views, 1))
    elif balanced:
        batches = balanced_batches(np.flatnonzero(labels[:, 0] == 1), np.flatnonzero(labels[:, 0] == 0),
                                   recipe.batch_size, recipe.steps, rng)
    else:
        batches = _cycled(n, recipe.batch_size * recipe.steps, rng).reshape(recipe.steps, recipe.batch_size)
    if batches is not None:
        views = rng.integers(n_views, size=batches.shape)
    for step in range(recipe.steps):
        if batches is None:
            x, y = x_all, y_all
        else:
            x, y = z_views[views[step], batches[step]], labels[batches[step]]
        opt.step(_bce_grads(w, b, x, y))
        if ema is not None:
            for e, p in zip(ema, (w, b)):
                e *= recipe.ema_decay
                e += (1.0 - recipe.ema_decay) * p
    weight, bias = ema if ema is not None else (w, b)
    return LinearClassifier(weight.copy(), bias.copy(), tuple(names))


def auroc_table(scores: np.ndarray, labels: np.ndarray, names: Sequence[str]) -> pd.DataFrame:
    """Per-attribute ROC-AUC (sklearn) of ``scores`` (N, C) against 0/1 ``labels`` (N, C); NaN where the labels
    hold one class only (Table 8: AUROC undefined, excluded from the averages)."""
    from sklearn.metrics import roc_auc_score

    scores, labels = np.asarray(scores), np.asarray(labels)
    if scores.shape != labels.shape or scores.shape[1] != len(names):
        raise ValueError(f"AUROC: scores {scores.shape} and labels {labels.shape} for {len(names)} attributes")
    rows = []
    for j, name in enumerate(names):
        y = labels[:, j]
        n_pos = int((y == 1).sum())
        defined = 0 < n_pos < len(y)
        rows.append({"attribute": name, "n_positive": n_pos, "n_negative": int(len(y) - n_pos),
                     "auroc": float(roc_auc_score(y, scores[:, j])) if defined else float("nan")})
    return pd.DataFrame(rows)


def auroc_averages(table: pd.DataFrame) -> dict[str, float | int]:
    """Table 8's averages over the defined attributes: weighted by test positives, and macro (plain mean);
    ``n_undefined`` counts the NaN ones."""
    ok = table[table["auroc"].notna()]
    weights = ok["n_positive"].to_numpy(dtype=np.float64)
    return {"weighted": float(np.average(ok["auroc"], weights=weights)) if len(ok) else float("nan"),
            "macro": float(ok["auroc"].mean()) if len(ok) else float("nan"),
            "n_defined": int(len(ok)), "n_undefined": int(len(table) - len(ok))}


def eq11_shift(z_norm: np.ndarray, w: np.ndarray, b: float, target_logit: float) -> np.ndarray:
    """Diff-AE Eq. 11: z' = z + s·w with s = (target - b - zᵀw) / wᵀw, so every z' has logit ``target_logit``."""
    z_norm, w = np.asarray(z_norm, dtype=np.float64), np.asarray(w, dtype=np.float64)
    s = (target_logit - b - z_norm @ w) / (w @ w)
    return z_norm + s[:, None] * w


def manipulate(z_norm: np.ndarray, w: np.ndarray, strength: float) -> np.ndarray:
    """z + strength · sqrt(D) · w / |w| (the official demo uses strength 0.3 in z-normalised space)."""
    w = np.asarray(w, dtype=np.float64)
    return np.asarray(z_norm, dtype=np.float64) + strength * np.sqrt(len(w)) * w / np.linalg.norm(w)


def rejection_sample(propose: Callable[[int], np.ndarray], prob: Callable[[np.ndarray], np.ndarray], n: int,
                     rng: np.random.Generator, *, threshold: float = 0.5, batch: int = 256,
                     max_proposals: int = 1_000_000) -> tuple[np.ndarray, float]:
    """n accepted proposals and the acceptance rate. Each proposal z has p = prob(z); p < ``threshold`` is
    rejected, otherwise it is accepted with probability p (Diff-AE §5.6, App. A.2)."""
    accepted, proposed = [], 0
    while sum(len(a) for a in accepted) < n:
        if proposed >= max_proposals:
            raise RuntimeError(f"rejection sampling accepted {sum(len(a) for a in accepted)} of {n} samples in "
                               f"{proposed} proposals: the classifier almost never says yes")
        z = propose(batch)
        p = np.asarray(prob(z), dtype=np.float64)
        keep = (p >= threshold) & (rng.random(len(p)) < p)
        accepted.append(z[keep])
        proposed += len(z)
    z = np.concatenate(accepted)[:n]
    return z, float(sum(len(a) for a in accepted) / proposed)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))  # no overflow for large |x|
