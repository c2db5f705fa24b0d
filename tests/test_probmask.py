"""ProbMask classifiers (DiffSiam Algorithm 3's directions) and the manipulation grids of Figs 4.5-4.7."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from diffae.config import DiffSiamManipulationEval, ParamsError, load_params, parse
from diffae.eval import diffsiam_manipulation as dm
from diffae.eval.encode import encode_images
from diffae.eval.probmask import keep_ratio, project_scores, temperature, train_probmask


def test_projection_meets_the_kept_total_and_leaves_smaller_rows_alone():
    torch.manual_seed(0)
    s = torch.rand(3, 50, dtype=torch.float64) * 1.4 - 0.2
    total = torch.tensor([5.0, 17.5, 1000.0], dtype=torch.float64)
    p = project_scores(s, total)
    assert ((p >= 0) & (p <= 1)).all()
    torch.testing.assert_close(p[:2].sum(dim=1), total[:2], rtol=0, atol=1e-3)
    torch.testing.assert_close(p[2], s[2].clamp(0, 1))
    order = torch.argsort(s[0])   # a common shift keeps the order of the scores
    assert (p[0][order].diff() >= -1e-12).all()


def test_schedules():
    assert temperature(0.0) == pytest.approx(1.0) and temperature(1.0) == pytest.approx(1 / 0.03)
    r = np.array([0.25])
    ratios = [float(keep_ratio(p, r)[0]) for p in np.linspace(0, 1, 21)]
    assert ratios[0] == 1.0 and ratios[2] == 1.0 and ratios[-1] == 0.25 and ratios[8] == 0.25
    assert all(a >= b for a, b in zip(ratios, ratios[1:]))


def _toy(n=300, d=24, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, d))
    y = np.stack([z[:, 3] + z[:, 7] > 0, z[:, 10] > 0.3, z[:, 5] - z[:, 6] > 0], axis=1).astype(float)
    return z, y


def test_probmask_keeps_the_informative_dimensions():
    z, y = _toy()
    clf = train_probmask(z, y, ["a", "b", "c"], [2, 1, 24], epochs=150, batch_size=100, lr=1e-2, ema_decay=0.9,
                         seed=0)
    assert set(np.argsort(clf.scores[0])[-2:]) == {3, 7} and np.argmax(clf.scores[1]) == 10
    np.testing.assert_allclose(clf.scores[:2].sum(axis=1), [2, 1], atol=1e-3)
    assert clf.mask[2].all() and (clf.scores[2] == 1).all()          # d' = d: no mask, plain logistic regression
    assert set(np.flatnonzero(clf.direction("b"))) <= set(np.flatnonzero(clf.mask[1]))
    assert (clf.accuracy(z, y) > 0.9).all()
    with pytest.raises(ValueError, match="1..d"):
        train_probmask(z, y, ["a", "b", "c"], [0, 1, 2], epochs=1, batch_size=10, lr=1e-2, ema_decay=0, seed=0)
    with pytest.raises(KeyError, match="no attribute"):
        clf.direction("d")


class _Codec:
    """A codec stand-in that records the codes it decodes; decode returns x_T shifted by the code's mean."""
    name = "toy"
    invert_with_guidance = False

    def __init__(self):
        self.decoded = []

    def encode(self, x):
        return x.flatten(1)[:, :6] * 2 + 1

    def invert(self, x, z, n):
        return x

    def decode(self, z, n, x_T):
        self.decoded.append(z.clone())
        return (x_T + 0.01 * z.mean(dim=1).view(-1, 1, 1, 1)).clamp(-1, 1)


def _cfg(**over):
    base = {"attributes": {"celeba": ["Smiling"]}, "keep": {"celeba": 2}, "keep_attribute": {}, "full_dim": ["celeba"],
            "scales": [1.0, 0.5], "n_images": 2, "T": 3, "epochs": 5, "batch_size": 16, "lr": 1e-2,
            "ema_decay": 0.0, "seed": 0}
    return parse(DiffSiamManipulationEval, {**base, **over})


def test_manipulation_moves_z_along_sigma_w_over_its_norm():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (40, 4, 4, 3), dtype=np.uint8)
    labels = pd.DataFrame({"index": range(40), "file": [f"{i}.jpg" for i in range(40)],
                           "partition": ["train"] * 30 + ["test"] * 10,
                           "Smiling": (images[:, 0, 0, 0] > 127).astype(int)})
    codec = _Codec()
    grids = dm.manipulation_grids([codec], images, labels, "celeba", _cfg(), "toy", "cpu")
    assert set(grids) == {"manipulation", "manipulation_full_dim"}
    grid = grids["manipulation"]
    assert [t for t, _ in grid.columns] == ["-1", "-0.5", "original", "+0.5", "+1"]
    assert grid.row_labels == ["Smiling: toy"] * 2 and "d'=" in grid.caption
    # the centre column is the input image; the decoded codes move by scale * sqrt(d) * sigma * w / |w|
    from diffae.data.images import to_model_range, to_tiles
    test_rows = np.flatnonzero(labels["partition"] == "test")
    z_train = encode_images(codec.encode, images[:30], progress=False).astype(np.float64)
    fitted = dm.fit_directions(z_train, labels.iloc[:30], ["Smiling"], [2], _cfg())
    w = fitted.classifier.direction("Smiling")
    assert np.count_nonzero(w) <= 6
    chosen = [r for r in test_rows if any((to_tiles(to_model_range(images[r:r + 1]))[0] == t).all()
                                          for t in grid.columns[2][1])]
    assert len(chosen) == 2
    z0 = codec.encode(to_model_range(images[chosen])).double().numpy()
    step = codec.decoded[-1].double().numpy() - z0     # the last decode: +1 of the full-dim grid
    full = dm.fit_directions(z_train, labels.iloc[:30], ["Smiling"], [6], _cfg())
    want = 1.0 * np.sqrt(6) * full.std * full.classifier.direction("Smiling") / np.linalg.norm(
        full.classifier.direction("Smiling"))
    np.testing.assert_allclose(step, np.broadcast_to(want, step.shape), rtol=1e-4, atol=1e-5)
    assert dm.manipulation_grids([codec], images, labels, "ffhq", _cfg(), "toy", "cpu") == {}
    with pytest.raises(KeyError, match="not label columns"):
        dm.manipulation_grids([codec], images, labels, "celeba", _cfg(attributes={"celeba": ["Bald"]}), "toy", "cpu")
    with pytest.raises(ValueError, match="exceeds"):
        dm.manipulation_grids([codec], images, labels, "celeba", _cfg(keep={"celeba": 7}), "toy", "cpu")


def test_split_without_a_partition_uses_every_image():
    train, test = dm.split_indices(pd.DataFrame({"file": list("abc")}))
    assert list(train) == list(test) == [0, 1, 2]


def test_params_need_a_kept_count_per_manipulated_dataset(repo, tmp_path):
    raw = yaml.safe_load((repo / "params.yaml").read_text())
    raw["eval"]["diffsiam_manipulation"]["keep"] = {"celeba": 2}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(ParamsError, match="lsun_bedroom"):
        load_params(tmp_path / "p.yaml")
