"""DiffSiam Tables 4.1 / 4.2 evaluation protocols (spec §2.8): many-shot linear eval and few-shot episodes."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.preprocessing import StandardScaler

from diffae.eval.fewshot import (accuracy_summary, episode_plan, fewshot_accuracy, sample_episodes,
                                 train_episode_heads)
from diffae.eval.transfer_linear import (many_shot_linear_eval, random_val_split, score_predictions, wd_grid)


# ---------------------------------------------------------------------------------------------------- few-shot

def _loop_heads(x, y, ways, *, epochs, batch_size, lr, momentum, weight_decay, seed, init="uniform"):
    """Reference: one nn.Linear + torch.optim.SGD per episode, mini-batches in the plan's order."""
    Ws, bs = [], []
    E, n, d = x.shape
    for e in range(E):
        plan = episode_plan(seed, e, epochs, n, d, ways, init, x.dtype)
        head = torch.nn.Linear(d, ways).to(x.dtype)
        with torch.no_grad():
            head.weight.copy_(plan.weight.T)
            head.bias.copy_(plan.bias)
        opt = torch.optim.SGD(head.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
        for t in range(epochs):
            order = plan.perms[t]
            for s in range(0, n, batch_size):
                idx = order[s:s + batch_size]
                opt.zero_grad()
                F.cross_entropy(head(x[e, idx]), y[e, idx]).backward()
                opt.step()
        Ws.append(head.weight.detach().T.clone())
        bs.append(head.bias.detach().clone())
    return torch.stack(Ws), torch.stack(bs)


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-10), (torch.float32, 1e-5)])
def test_vectorised_heads_match_per_episode_loop(dtype, tol):
    g = torch.Generator().manual_seed(0)
    E, ways, shots, d = 7, 5, 2, 16                      # n = 10: batches 4, 4, 2 (partial last batch)
    x = torch.randn(E, ways * shots, d, generator=g, dtype=dtype)
    y = torch.arange(ways).repeat_interleave(shots).expand(E, -1).clone()
    kw = dict(epochs=20, batch_size=4, lr=0.05, momentum=0.9, weight_decay=1e-3, seed=3)
    W, b = train_episode_heads(x, y, ways, **kw)
    W_ref, b_ref = _loop_heads(x, y, ways, **kw)
    assert W.shape == (E, d, ways) and b.shape == (E, ways)
    torch.testing.assert_close(W, W_ref, atol=tol, rtol=0)
    torch.testing.assert_close(b, b_ref, atol=tol, rtol=0)
    assert not torch.allclose(W[0], W[1])                 # episodes really are trained independently


def test_fewshot_accuracy_independent_of_chunking_and_learns():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(8), 30)
    feats = rng.normal(size=(8, 12))[labels] * 3 + rng.normal(size=(len(labels), 12))
    eps = sample_episodes(labels, n_episodes=9, ways=5, shots=3, queries=5, seed=1)
    kw = dict(epochs=10, batch_size=4, lr=0.01, weight_decay=1e-3, seed=0)
    whole = fewshot_accuracy(torch.as_tensor(feats), eps, chunk_size=100, **kw)
    chunked = fewshot_accuracy(feats, eps, chunk_size=4, **kw)
    np.testing.assert_allclose(whole.accuracies, chunked.accuracies)
    assert whole.accuracies.shape == (9,) and whole.mean > 90.0
    assert (whole.ways, whole.shots, whole.queries, whole.n_episodes) == (5, 3, 5, 9)
    normed = fewshot_accuracy(feats, eps, normalize=True, **kw)
    assert normed.mean > 80.0


def test_sample_episodes_structure_and_determinism():
    labels = np.repeat(np.arange(9), [30, 25, 40, 20, 26, 25, 50, 3, 19])   # 6 classes have >= 20 + 5 examples
    labels = np.random.default_rng(0).permutation(labels)
    ways, shots, queries, E = 5, 5, 20, 40
    eps = sample_episodes(labels, E, ways=ways, shots=shots, queries=queries, seed=7)
    assert eps.support.shape == (E, ways * shots) and eps.query.shape == (E, ways * queries)
    assert eps.support_labels.shape == eps.support.shape and eps.query_labels.shape == eps.query.shape
    assert eps.classes.shape == (E, ways) and (eps.ways, eps.shots, eps.queries, eps.n_episodes) == (5, 5, 20, E)
    eligible = {0, 1, 2, 4, 5, 6}
    for e in range(E):
        s, q = eps.support[e].numpy(), eps.query[e].numpy()
        assert not set(s) & set(q) and len(set(s)) == len(s) and len(set(q)) == len(q)
        assert set(eps.classes[e].tolist()) <= eligible and len(set(eps.classes[e].tolist())) == ways
        for idx, local, per in ((s, eps.support_labels[e], shots), (q, eps.query_labels[e], queries)):
            np.testing.assert_array_equal(labels[idx], eps.classes[e].numpy()[local.numpy()])
            np.testing.assert_array_equal(np.bincount(local.numpy(), minlength=ways), [per] * ways)
    again = sample_episodes(labels, E, ways=ways, shots=shots, queries=queries, seed=7)
    other = sample_episodes(labels, E, ways=ways, shots=shots, queries=queries, seed=8)
    assert torch.equal(eps.support, again.support) and torch.equal(eps.query, again.query)
    assert not torch.equal(eps.support, other.support)
    with pytest.raises(ValueError, match="6 of 9 classes"):
        sample_episodes(labels, 3, ways=7, shots=shots, queries=queries)
    with pytest.raises(ValueError, match=">= 26"):
        sample_episodes(labels, 3, ways=5, shots=6, queries=20)


def test_ci_formula():
    acc = np.array([20.0, 40.0, 60.0, 80.0])               # mean 50, population σ = √500
    mean, std, ci = accuracy_summary(acc)
    assert mean == pytest.approx(50.0) and std == pytest.approx(math.sqrt(500.0))
    assert ci == pytest.approx(1.96 * math.sqrt(500.0) / 2.0)
    # Table 4.2 scale: σ ≈ 7.8 over 2,000 episodes gives ±.34 (spec §2.8)
    assert 1.96 * 7.8 / math.sqrt(2000) == pytest.approx(0.34, abs=0.005)
    with pytest.raises(ValueError):
        accuracy_summary([])


def test_fewshot_bad_inputs():
    with pytest.raises(ValueError, match="integer"):
        sample_episodes(np.array([0.0, 1.0]), 1)
    with pytest.raises(ValueError, match="n_episodes"):
        sample_episodes(np.repeat(np.arange(5), 20), 0)
    x, y = torch.zeros(2, 4, 3), torch.zeros(2, 4, dtype=torch.long)
    with pytest.raises(ValueError, match=r"\(E, n, d\)"):
        train_episode_heads(torch.zeros(4, 3), y, 5)
    with pytest.raises(ValueError, match="support labels of shape"):
        train_episode_heads(x, y[:, :3], 5)
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        train_episode_heads(x, y + 5, 5)
    with pytest.raises(ValueError, match="batch_size"):
        train_episode_heads(x, y, 5, batch_size=0)
    with pytest.raises(ValueError, match="init"):
        train_episode_heads(x, y, 5, init="normal")
    eps = sample_episodes(np.repeat(np.arange(5), 20), 2, shots=1, queries=5)
    with pytest.raises(ValueError, match="feature rows"):
        fewshot_accuracy(torch.zeros(50, 3), eps, epochs=1)
    with pytest.raises(ValueError, match=r"\(N, d\)"):
        fewshot_accuracy(torch.zeros(100), eps, epochs=1)
    bad = torch.zeros(100, 3)
    bad[3, 1] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        fewshot_accuracy(bad, eps, epochs=1)


# ---------------------------------------------------------------------------------------------------- many-shot

def _blobs(n_per_class, k=4, d=8, scale=10.0, seed=0):
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=scale, size=(k, d))
    y = np.repeat(np.arange(k), n_per_class)
    return means[y] + rng.normal(size=(len(y), d)), y


def test_many_shot_separable_and_chance():
    x, y = _blobs(60)
    xt, yt = _blobs(30, seed=0)
    xt = xt + np.random.default_rng(1).normal(size=xt.shape)
    res = many_shot_linear_eval(x, y, xt, yt, wd=wd_grid(-4, 2, 7))
    assert res.accuracy == pytest.approx(100.0)
    assert (res.n_train, res.n_val, res.n_test, res.val_source) == (192, 48, 120, "random")
    assert len(res.Cs) == len(res.val_scores) == 7 and res.to_dict()["metric"] == "top1"
    rng = np.random.default_rng(2)
    noise, y_rand = rng.normal(size=(600, 8)), rng.integers(0, 4, 600)
    chance = many_shot_linear_eval(noise[:400], y_rand[:400], noise[400:], y_rand[400:], wd=wd_grid(-2, 3, 6))
    assert abs(chance.accuracy - 25.0) < 10.0


def test_many_shot_best_C_is_argmax_and_given_val():
    x, y = _blobs(40, scale=0.7, seed=3)
    xv, yv = _blobs(20, scale=0.7, seed=3)
    xv = xv + np.random.default_rng(4).normal(size=xv.shape)
    res = many_shot_linear_eval(x, y, x[:50], y[:50], x_val=xv, y_val=yv, wd=wd_grid(-3, 4, 8),
                                metric="mean_per_class")
    assert res.val_source == "given" and (res.n_train, res.n_val) == (160, 80)
    best = int(np.argmax(res.val_scores))
    assert res.best_C == pytest.approx(res.Cs[best]) and res.best_wd == pytest.approx(1.0 / res.Cs[best])
    assert len(set(res.val_scores)) > 1                                      # the sweep matters here
    cold = many_shot_linear_eval(x, y, x[:50], y[:50], x_val=xv, y_val=yv, wd=wd_grid(-3, 4, 8),
                                 metric="mean_per_class", warm_start=False)
    np.testing.assert_allclose(cold.val_scores, res.val_scores, atol=2.0)


def test_metrics_on_imbalanced_case_against_sklearn():
    rng = np.random.default_rng(5)
    y_true = np.repeat([0, 1, 2], [80, 15, 5])
    y_pred = np.where(rng.random(100) < 0.7, y_true, rng.integers(0, 3, 100))
    assert score_predictions(y_true, y_pred, "top1") == pytest.approx(100 * accuracy_score(y_true, y_pred))
    assert score_predictions(y_true, y_pred, "mean_per_class") == pytest.approx(
        100 * balanced_accuracy_score(y_true, y_pred))
    # imbalanced blobs end to end: the minority classes pull mean per-class accuracy away from top-1
    x, y = _blobs(1, k=3, d=4, scale=1.0, seed=6)
    counts = [150, 30, 12]
    xs = np.concatenate([x[i] + rng.normal(scale=1.2, size=(c, 4)) for i, c in enumerate(counts)])
    ys = np.repeat([0, 1, 2], counts)
    xt = np.concatenate([x[i] + rng.normal(scale=1.2, size=(c, 4)) for i, c in enumerate(counts)])
    top1 = many_shot_linear_eval(xs, ys, xt, ys, wd=[1e-2], metric="top1")
    mpc = many_shot_linear_eval(xs, ys, xt, ys, wd=[1e-2], metric="mean_per_class")
    assert top1.accuracy != pytest.approx(mpc.accuracy)
    scaler = StandardScaler().fit(xs)                                        # the refit, by hand
    pred = LogisticRegression(C=100.0, max_iter=1000).fit(scaler.transform(xs), ys).predict(scaler.transform(xt))
    assert top1.accuracy == pytest.approx(100 * accuracy_score(ys, pred))
    assert mpc.accuracy == pytest.approx(100 * balanced_accuracy_score(ys, pred))


def test_random_val_split_seeded():
    tr, va = random_val_split(50, 0.2, seed=0)
    assert len(va) == 10 and len(tr) == 40 and not set(tr) & set(va)
    np.testing.assert_array_equal(np.sort(np.random.RandomState(0).permutation(50)[:10]), va)
    assert not np.array_equal(va, random_val_split(50, 0.2, seed=1)[1])
    with pytest.raises(ValueError, match="non-empty"):
        random_val_split(3, 0.2)


def test_many_shot_bad_inputs():
    x, y = _blobs(10)
    with pytest.raises(ValueError, match="metric"):
        many_shot_linear_eval(x, y, x, y, metric="top5")
    with pytest.raises(ValueError, match=r"test features of shape \(40, 7\)"):
        many_shot_linear_eval(x, y, x[:, :7], y)
    with pytest.raises(ValueError, match="train labels of shape"):
        many_shot_linear_eval(x, y[:-1], x, y)
    with pytest.raises(ValueError, match="train features"):
        many_shot_linear_eval(x[:, 0], y, x, y)
    with pytest.raises(ValueError, match="both x_val and y_val"):
        many_shot_linear_eval(x, y, x, y, x_val=x)
    with pytest.raises(ValueError, match="floats"):
        many_shot_linear_eval(x, y.astype(float), x, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        many_shot_linear_eval(x, np.zeros(len(x), int), x, y)
    with pytest.raises(ValueError, match="positive"):
        many_shot_linear_eval(x, y, x, y, wd=[0.0])
    bad = x.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="finite"):
        many_shot_linear_eval(bad, y, x, y)
