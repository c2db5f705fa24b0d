"""t-SNE embeddings of latent codes (DiffuseGAE Figs 2 and 5) and a separability score for them."""
from __future__ import annotations

import logging

import numpy as np
from sklearn.neighbors import NearestNeighbors

log = logging.getLogger(__name__)

__all__ = ["tsne_embed", "knn_label_accuracy", "subsample_rows"]


def subsample_rows(n: int, max_points: int | None, seed: int = 0) -> np.ndarray:
    """Sorted row indices: all `n` rows, or a seeded uniform subset of `max_points` rows."""
    if max_points is None or n <= max_points:
        return np.arange(n)
    if max_points < 1:
        raise ValueError(f"max_points must be >= 1, got {max_points}")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=max_points, replace=False))


def tsne_embed(z: np.ndarray, perplexity: float = 30.0, seed: int = 0,
               max_points: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """2-D openTSNE embedding of `z` (N, D); returns (Y (n, 2), chosen row indices (n,)).

    Seeded and single-threaded (n_jobs=1), so a seed gives the same embedding on every run. When
    N > `max_points` a seeded subset is embedded; for tiny n the perplexity is clipped to (n - 1) / 3
    (openTSNE needs 3 * perplexity neighbours) and a note is logged.
    """
    from openTSNE import TSNE

    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2:
        raise ValueError(f"t-SNE: latents must be (N, D), got shape {z.shape}")
    chosen = subsample_rows(len(z), max_points, seed)
    x = z[chosen]
    n = len(x)
    if n < 4:
        raise ValueError(f"t-SNE: need at least 4 points, got {n}")
    limit = (n - 1) / 3.0
    if perplexity > limit:
        log.info("t-SNE: perplexity %g clipped to %.3g for %d points ((n - 1) / 3)", perplexity, limit, n)
        perplexity = limit
    y = TSNE(n_components=2, perplexity=perplexity, random_state=seed, n_jobs=1).fit(x)
    return np.asarray(y, dtype=np.float64), chosen


def knn_label_accuracy(y: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    """Leave-one-out k-NN accuracy of `labels` in embedding `y`: how well the colours separate (1 = fully).

    Each point is predicted by the majority label of its k nearest other points (ties: the label
    of the nearest tied neighbour).
    """
    y = np.asarray(y, dtype=np.float64)
    labels = np.asarray(labels)
    if len(y) != len(labels):
        raise ValueError(f"k-NN score: {len(y)} points but {len(labels)} labels")
    if len(y) < 2:
        raise ValueError("k-NN score: need at least 2 points")
    k = min(k, len(y) - 1)
    _, codes = np.unique(labels, return_inverse=True)
    nn = NearestNeighbors(n_neighbors=k + 1).fit(y)
    _, idx = nn.kneighbors(y)
    correct = 0
    for i, row in enumerate(idx):
        neigh = [j for j in row if j != i][:k]
        votes = codes[neigh]
        counts = np.bincount(votes)
        best = np.flatnonzero(counts == counts.max())
        pred = next(v for v in votes if v in best)  # nearest among the tied majority labels
        correct += int(pred == codes[i])
    return correct / len(y)
