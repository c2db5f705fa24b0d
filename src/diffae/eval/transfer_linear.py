"""Many-shot linear transfer evaluation on frozen features: DiffSiam Table 4.1 (spec §2.8, §2.9).

Protocol of Ericsson et al. ("How well do self-supervised models transfer?", thesis ref. [89]) as the spec
describes it: a multinomial L-BFGS logistic regression on frozen-encoder features, its inverse regularisation
C = 1/wd swept over wd ∈ logspace(−6, 5, 45), the best C chosen on a validation split (the dataset's own, or a
seeded random fraction of train), a refit on train+val with that C, and the test score as top-1 or mean
per-class accuracy. The thesis could also mean an SGD-trained head (ambiguity A11); this module implements the
L-BFGS reading.

Ours beyond [89]: features are standardised with the statistics of the split the classifier is fitted on
(train for the sweep, train+val for the refit; `standardize=False` gives [89]'s raw features); the refit starts
cold; `max_iter` defaults to 1000 (sklearn's default of 100 stops many large-C fits early).
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

log = logging.getLogger(__name__)

__all__ = ["METRICS", "LinearEvalResult", "wd_grid", "random_val_split", "score_predictions",
           "many_shot_linear_eval"]

METRICS = ("top1", "mean_per_class")


@dataclass(frozen=True)
class LinearEvalResult:
    """One Table 4.1 cell: test score (%) with the validation sweep that chose C."""

    accuracy: float
    metric: str
    best_C: float
    best_wd: float
    Cs: tuple[float, ...]
    val_scores: tuple[float, ...]
    n_train: int
    n_val: int
    n_test: int
    val_source: str
    n_not_converged: int

    def to_dict(self) -> dict:
        out = asdict(self)
        out["Cs"], out["val_scores"] = list(self.Cs), list(self.val_scores)
        return out


def wd_grid(start: float = -6.0, stop: float = 5.0, num: int = 45) -> np.ndarray:
    """Weight decays logspace(start, stop, num) of the C = 1/wd sweep (spec §2.8: −6, 5, 45)."""
    if int(num) < 1 or not (np.isfinite(start) and np.isfinite(stop)):
        raise ValueError(f"wd grid: need finite bounds and num >= 1, got ({start}, {stop}, {num})")
    return np.logspace(float(start), float(stop), int(num))


def random_val_split(n: int, val_fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train, val) indices: a seeded permutation, the first floor(val_fraction·n) entries held out.

    Same RNG kind as [89] (legacy `RandomState(seed)` permutation, seed 0), spec §2.8.
    """
    n_val = int(np.floor(val_fraction * n))
    if not 0.0 < val_fraction < 1.0 or n_val < 1 or n_val >= n:
        raise ValueError(f"validation split: val_fraction={val_fraction} of {n} training examples leaves "
                         f"{n_val} for validation and {n - n_val} for training; both must be non-empty")
    perm = np.random.RandomState(seed).permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def score_predictions(y_true: np.ndarray, y_pred: np.ndarray, metric: str = "top1") -> float:
    """Accuracy in %: "top1" or "mean_per_class" (mean recall over the classes present in `y_true`)."""
    _check_metric(metric)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or len(y_true) == 0:
        raise ValueError(f"score: labels {y_true.shape} and predictions {y_pred.shape} must be equal non-empty 1-D")
    hit = y_true == y_pred
    if metric == "top1":
        return 100.0 * float(hit.mean())
    classes, inverse = np.unique(y_true, return_inverse=True)
    per_class = np.bincount(inverse, weights=hit, minlength=len(classes)) / np.bincount(inverse)
    return 100.0 * float(per_class.mean())


def many_shot_linear_eval(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, *,
                          x_val: np.ndarray | None = None, y_val: np.ndarray | None = None,
                          val_fraction: float = 0.2, seed: int = 0, metric: str = "top1",
                          wd: Sequence[float] | None = None, standardize: bool = True, max_iter: int = 1000,
                          warm_start: bool = True, n_jobs: int = 1) -> LinearEvalResult:
    """Table 4.1 protocol (spec §2.8) on feature arrays (N, d) and labels (N,).

    Without (x_val, y_val) a random `val_fraction` of train (seeded) is the validation split. `wd` defaults to
    `wd_grid()` (45 values); C = 1/wd. The C sweep is sequential with warm starts (increasing C), or with
    `n_jobs != 1` parallel cold fits. Ties go to the first wd in grid order. Returns accuracy in %.
    """
    _check_metric(metric)
    x_train, y_train = _check_xy(x_train, y_train, "train")
    x_test, y_test = _check_xy(x_test, y_test, "test", dim=x_train.shape[1])
    if (x_val is None) != (y_val is None):
        raise ValueError("many-shot eval: give both x_val and y_val, or neither")
    if x_val is None:
        tr, va = random_val_split(len(x_train), val_fraction, seed)
        x_fit, y_fit, x_val, y_val = x_train[tr], y_train[tr], x_train[va], y_train[va]
        val_source = "random"
    else:
        x_val, y_val = _check_xy(x_val, y_val, "val", dim=x_train.shape[1])
        x_fit, y_fit = x_train, y_train
        val_source = "given"
    if len(np.unique(y_fit)) < 2:
        raise ValueError("many-shot eval: the training split needs at least 2 classes")
    wds = wd_grid() if wd is None else np.asarray(wd, dtype=np.float64).ravel()
    if len(wds) == 0 or not np.all(np.isfinite(wds) & (wds > 0)):
        raise ValueError(f"many-shot eval: weight decays must be positive and finite, got {wds}")
    Cs = 1.0 / wds

    a, b = _standardise(x_fit, x_val, standardize)
    val_scores, n_bad = _sweep(a, y_fit, b, y_val, Cs, metric, max_iter, warm_start, n_jobs)
    best = int(np.argmax(val_scores))

    x_all, y_all = np.concatenate([x_fit, x_val]), np.concatenate([y_fit, y_val])
    a, b = _standardise(x_all, x_test, standardize)
    pred, bad = _fit_predict(a, y_all, b, float(Cs[best]), max_iter)
    n_bad += int(bad)
    if n_bad:
        log.info("many-shot eval: %d of %d logistic-regression fits hit max_iter=%d (ConvergenceWarning silenced)",
                 n_bad, len(Cs) + 1, max_iter)
    return LinearEvalResult(accuracy=score_predictions(y_test, pred, metric), metric=metric, best_C=float(Cs[best]),
                            best_wd=float(wds[best]), Cs=tuple(float(c) for c in Cs),
                            val_scores=tuple(float(s) for s in val_scores), n_train=len(x_fit), n_val=len(x_val),
                            n_test=len(x_test), val_source=val_source, n_not_converged=n_bad)


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")


def _check_xy(x: np.ndarray, y: np.ndarray, name: str, dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or (dim is not None and x.shape[1] != dim):
        want = "(N, d)" if dim is None else f"(N, {dim}) like train"
        raise ValueError(f"many-shot eval: {name} features of shape {x.shape}; expected {want}")
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"many-shot eval: {name} labels of shape {y.shape} for {len(x)} feature rows")
    if len(x) == 0:
        raise ValueError(f"many-shot eval: empty {name} split")
    if not np.issubdtype(x.dtype, np.number) or not np.all(np.isfinite(x)):
        raise ValueError(f"many-shot eval: {name} features must be finite numbers")
    if y.dtype.kind == "f":
        raise ValueError(f"many-shot eval: {name} labels are floats; expected class ids (ints or strings)")
    return x.astype(np.float64, copy=False), y


def _standardise(fit: np.ndarray, other: np.ndarray, on: bool) -> tuple[np.ndarray, np.ndarray]:
    if not on:
        return fit, other
    scaler = StandardScaler().fit(fit)
    return scaler.transform(fit), scaler.transform(other)


def _quiet_fit(clf: LogisticRegression, x: np.ndarray, y: np.ndarray) -> bool:
    """Fit; True when sklearn raised a ConvergenceWarning (which is swallowed)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        clf.fit(x, y)
    return any(issubclass(w.category, ConvergenceWarning) for w in caught)


def _fit_predict(x: np.ndarray, y: np.ndarray, x_eval: np.ndarray, C: float, max_iter: int) -> tuple[np.ndarray, bool]:
    clf = LogisticRegression(C=C, solver="lbfgs", max_iter=max_iter)
    bad = _quiet_fit(clf, x, y)
    return clf.predict(x_eval), bad


def _sweep(x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, Cs: np.ndarray, metric: str,
           max_iter: int, warm_start: bool, n_jobs: int) -> tuple[np.ndarray, int]:
    """Validation score (%) for every C (in the given order) and the number of non-converged fits."""
    scores = np.empty(len(Cs))
    if n_jobs != 1:
        from joblib import Parallel, delayed

        out = Parallel(n_jobs=n_jobs)(delayed(_fit_predict)(x, y, x_val, float(C), max_iter) for C in Cs)
        for i, (pred, _) in enumerate(out):
            scores[i] = score_predictions(y_val, pred, metric)
        return scores, sum(int(bad) for _, bad in out)
    clf = LogisticRegression(solver="lbfgs", max_iter=max_iter, warm_start=warm_start)
    n_bad = 0
    for i in np.argsort(Cs, kind="stable"):
        clf.set_params(C=float(Cs[i]))
        n_bad += int(_quiet_fit(clf, x, y))
        scores[i] = score_predictions(y_val, clf.predict(x_val), metric)
    return scores, n_bad
