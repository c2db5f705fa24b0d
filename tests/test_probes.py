"""Linear probes and DiffuseGAE Table 1 (attribute-prediction matrix)."""
import numpy as np
import pandas as pd
import pytest

from diffae.data.prepared import save_prepared
from diffae.data.latents import save_latents
from diffae.eval.probes import attribute_matrix, linear_probe_accuracy
from diffae.nets.partition import Partition
from diffae.report.paper_numbers import DIFFUSEGAE_TABLE1
from diffae.eval.tables.diffusegae_table1 import probe_table
from diffae.report.table1 import build_table1

ATTRS = ("identity", "background", "pose")
COUNTS = {"identity": 3, "background": 5, "pose": 4}


def _labels(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"identity": np.array(["car", "boat", "tank"])[rng.integers(0, 3, n)],
                         "background": [f"b{v:04d}" for v in rng.integers(0, 5, n)],
                         "pose": rng.integers(0, 4, n)})


def _disentangled(labels: pd.DataFrame, sizes=(4, 3, 3), entangled: bool = False, seed: int = 0) -> np.ndarray:
    """Part k holds a noisy class-mean code of attribute k (or, if `entangled`, of all attributes mixed)."""
    rng = np.random.default_rng(seed)
    parts = []
    for attr, size in zip(ATTRS, sizes):
        codes = pd.factorize(labels[attr], sort=True)[0]
        means = rng.normal(scale=4.0, size=(codes.max() + 1, size))
        parts.append(means[codes] + rng.normal(scale=0.5, size=(len(labels), size)))
    if entangled:
        z = np.concatenate(parts, axis=1)
        return z @ rng.normal(size=(z.shape[1], z.shape[1]))
    return np.concatenate(parts, axis=1)


def _split(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.where(rng.random(n) < 0.8, "train", "test")


def test_probe_separable_and_noise():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 400)
    z = np.eye(3)[y] * 6 + rng.normal(size=(400, 3))
    z = np.concatenate([z, rng.normal(size=(400, 2))], axis=1)
    assert linear_probe_accuracy(z[:300], y[:300], z[300:], y[300:]) > 0.97
    # pure noise, 4 string classes: accuracy ~ chance 0.25
    y = np.array(list("abcd"))[rng.integers(0, 4, 4000)]
    z = rng.normal(size=(4000, 5))
    acc = linear_probe_accuracy(z[:3000], y[:3000], z[3000:], y[3000:], seed=1)
    assert abs(acc - 0.25) < 0.06


def test_probe_unseen_test_class_counts_as_error_and_single_class():
    rng = np.random.default_rng(1)
    y_tr = np.array(["a", "b"] * 50)
    z_tr = np.where(y_tr == "a", 5.0, -5.0)[:, None] + rng.normal(size=(100, 1))
    y_te = np.array(["a", "b", "c", "c"])
    z_te = np.array([[5.0], [-5.0], [5.0], [0.0]])
    assert linear_probe_accuracy(z_tr, y_tr, z_te, y_te) == pytest.approx(0.5)
    # a single training class: always predicted
    assert linear_probe_accuracy(z_tr[:3], np.array(["a"] * 3), z_te, y_te) == pytest.approx(0.25)


def test_probe_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="labels"):
        linear_probe_accuracy(np.zeros((5, 2)), np.zeros(4), np.zeros((2, 2)), np.zeros(2))


def test_attribute_matrix_diagonal_high_off_diagonal_near_chance():
    labels = _labels(900)
    z = _disentangled(labels)
    part = Partition(ATTRS, (4, 3, 3))
    mat = attribute_matrix(z, labels, _split(900), part, C=1.0, max_iter=500, seed=0)
    assert len(mat) == 9 and list(mat.columns[:6]) == ["part", "attribute", "accuracy", "chance", "n_classes",
                                                       "n_train"]
    assert list(mat.part) == [p for p in ATTRS for _ in ATTRS]
    for _, r in mat.iterrows():
        assert r.chance == pytest.approx(1 / COUNTS[r.attribute])
        if r.part == r.attribute:
            assert r.accuracy > 0.95
        else:
            assert abs(r.accuracy - r.chance) < 0.12, (r.part, r.attribute, r.accuracy)
    assert mat.n_train.iloc[0] + mat.n_test.iloc[0] == 900
    with pytest.raises(ValueError, match="expected"):
        attribute_matrix(z[:, :5], labels, _split(900), part)
    with pytest.raises(KeyError, match="colour"):
        attribute_matrix(z, labels, _split(900), part, attributes=["colour"])


def _write_inputs(tmp_path, n=300):
    labels = _labels(n)
    save_prepared(tmp_path / "prepared", np.zeros((n, 4, 4, 3), np.uint8), labels,
                  {"dataset": "ilab", "source": "standin", "attributes": list(ATTRS)})
    split = _split(n)
    paths = {}
    specs = {"DiffuseGAE": ((4, 3, 3), False), "Diff-AE": ((6, 3, 3), True)}
    for method, (sizes, entangled) in specs.items():
        z = _disentangled(labels, sizes, entangled=entangled, seed=1)
        meta = {"method": method, "partition": {"names": list(ATTRS), "sizes": list(sizes)}}
        paths[method] = tmp_path / f"{method}.npz"
        save_latents(paths[method], z, np.arange(n), split, meta)
    return paths


def test_build_table1(tmp_path):
    paths = _write_inputs(tmp_path)
    out = tmp_path / "reports" / "table1.csv"
    numbers = tmp_path / "eval" / "table1.csv"
    probe_table(paths, tmp_path / "prepared", numbers, C=1.0, max_iter=500, seed=0)
    df = build_table1(numbers, out, preset="smoke")
    assert out.is_file() and out.with_suffix(".md").is_file()
    assert len(df) == 18 and set(df.method) == {"DiffuseGAE", "Diff-AE"}
    back = pd.read_csv(out)
    assert {"accuracy", "chance", "accuracy_paper", "is_diagonal", "preset", "n_samples", "seed",
            "feature_net"} <= set(back.columns)
    raw = pd.read_csv(out, keep_default_na=False)
    assert (raw.feature_net == "none (linear probe on latents)").all() and (raw.preset == "smoke").all()
    for r in back.itertuples():
        assert r.accuracy_paper == pytest.approx(DIFFUSEGAE_TABLE1[r.method][r.part][r.attribute])
        assert r.is_diagonal == (r.part == r.attribute)
    gae = back[(back.method == "DiffuseGAE") & back.is_diagonal]
    assert (gae.accuracy > 0.9).all()
    assert back[back.method == "Diff-AE"].dim_part.tolist()[::3] == [6, 3, 3]
    md = out.with_suffix(".md").read_text()
    assert "## DiffuseGAE" in md and "## Diff-AE" in md and "stand-in" in md


def test_build_table1_bad_meta(tmp_path):
    paths = _write_inputs(tmp_path, n=40)
    with pytest.raises(ValueError, match="meta\\['method'\\]"):
        probe_table({"GZS-Net": paths["DiffuseGAE"]}, tmp_path / "prepared", tmp_path / "t1.csv")
    z = np.zeros((40, 10))
    save_latents(tmp_path / "nopart.npz", z, np.arange(40), _split(40), {"method": "AE + DS"})
    with pytest.raises(ValueError, match="partition"):
        probe_table({"AE + DS": tmp_path / "nopart.npz"}, tmp_path / "prepared", tmp_path / "t1.csv")
