"""Diff-AE attributes: linear classifiers on z_sem (App. A.2, E), Table 8 AUROC, Eq. 11 manipulation (Tables 9-10),
rejection sampling and few-shot subsets (Table 3), their stages on tiny models, reports and claims."""
import numpy as np
import pandas as pd
import pytest
import torch
from _tiny_artifacts import tiny_artifacts

from diffae.data.celeba import CELEBA_ATTRIBUTES
from diffae.data.latents import save_latents
from diffae.data.prepared import save_prepared
from diffae.eval.attributes import (ClassifierRecipe, _Adam, auroc_averages, auroc_table, balanced_batches,
                                    eq11_shift, manipulate, rejection_sample, sigmoid, train_linear_classifier)
from diffae.eval.figure_data import load_grid
from diffae.eval.tables.diffae_table3 import class_labels, diffae_table3, labelled_subset
from diffae.eval.tables.diffae_table8 import (attribute_classifier_stage, load_attribute_classifier,
                                              seeded_split)
from diffae.report.claims import Tables, evaluate_claims, paper_tables
from diffae.eval.tables.diffae_manipulation import FID_MODES, diffae_manipulation
from diffae.report.diffae_attributes import diffae_manipulation_reports, diffae_table3_report, diffae_table8_report

Z = 6


def _mann_whitney_auc(scores, y):
    """AUROC as the probability that a random positive outscores a random negative (ties count half)."""
    pos, neg = scores[y == 1], scores[y == 0]
    return (np.sum(pos[:, None] > neg[None]) + 0.5 * np.sum(pos[:, None] == neg[None])) / (len(pos) * len(neg))


def test_auroc_agrees_with_its_definition_and_constant_attributes_are_nan():
    rng = np.random.default_rng(0)
    y = np.stack([rng.integers(0, 2, 50), np.zeros(50, int), rng.integers(0, 2, 50)], axis=1)
    scores = y + rng.normal(size=y.shape)
    scores[:, 2] = np.round(scores[:, 2])                     # ties
    t = auroc_table(scores, y, ["a", "constant", "c"])
    assert np.isnan(t.loc[1, "auroc"]) and t.loc[1, "n_positive"] == 0
    for j in (0, 2):
        assert t.loc[j, "auroc"] == pytest.approx(_mann_whitney_auc(scores[:, j], y[:, j]))
    avg = auroc_averages(t)
    w = t.loc[[0, 2], "n_positive"].to_numpy()
    assert avg["weighted"] == pytest.approx(np.average(t.loc[[0, 2], "auroc"], weights=w))
    assert avg["macro"] == pytest.approx(t.loc[[0, 2], "auroc"].mean())
    assert (avg["n_defined"], avg["n_undefined"]) == (2, 1)


def test_numpy_adam_matches_torch_adam():
    rng = np.random.default_rng(1)
    p0, grads = rng.normal(size=(3, 4)), [rng.normal(size=(3, 4)) for _ in range(5)]
    ours = p0.copy()
    opt = _Adam([ours], lr=1e-2)
    ref = torch.tensor(p0, requires_grad=True)
    topt = torch.optim.Adam([ref], lr=1e-2)
    for g in grads:
        opt.step([g])
        ref.grad = torch.tensor(g)
        topt.step()
    np.testing.assert_allclose(ours, ref.detach().numpy(), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("recipe", ["minibatch", "full_batch"])
def test_linear_classifier_separates_linearly_separable_labels(recipe):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(2, 200, 8))
    z[1] = z[0] + 0.01 * rng.normal(size=(200, 8))                 # a second, nearly identical view
    w_true = rng.normal(size=(8, 2))
    y = (z[0] @ w_true > 0).astype(float)
    rec = ClassifierRecipe(recipe=recipe, lr=0.05, samples_seen=20_000, full_batch_steps=500)
    clf = train_linear_classifier(z, y, ["a", "b"], rec)
    assert auroc_table(clf.logits(z[0]), y, ["a", "b"])["auroc"].min() > 0.98
    again = train_linear_classifier(z, y, ["a", "b"], rec)
    np.testing.assert_array_equal(again.weight, clf.weight)         # seeded


def test_classifier_rejects_bad_labels():
    with pytest.raises(ValueError, match="0/1"):
        train_linear_classifier(np.zeros((4, 2)), np.array([0, 1, 2, 1]), ["a"], ClassifierRecipe())
    with pytest.raises(ValueError, match="recipe"):
        ClassifierRecipe(recipe="lbfgs")


def test_pu_batches_are_half_positives_half_the_rest_with_positives_oversampled():
    pos, neg = np.arange(3), np.arange(3, 103)
    batches = balanced_batches(pos, neg, batch_size=4, n_batches=50, rng=np.random.default_rng(0))
    assert batches.shape == (50, 8)
    assert np.isin(batches[:, :4], pos).all() and np.isin(batches[:, 4:], neg).all()
    counts = np.bincount(batches[:, :4].ravel(), minlength=3)
    assert counts.max() - counts.min() <= 1                          # cycled: every positive equally often
    assert len(np.unique(batches[:, 4:])) == 100                     # every unlabelled image is drawn


def test_eq11_moves_every_logit_exactly_to_the_target():
    rng = np.random.default_rng(2)
    z, w, b = rng.normal(size=(7, 5)), rng.normal(size=5), 0.3
    target = float(np.median(rng.normal(size=11)))
    moved = eq11_shift(z, w, b, target)
    np.testing.assert_allclose(moved @ w + b, target, atol=1e-12)
    s = (moved - z) @ w / (w @ w)
    np.testing.assert_allclose(moved - z, np.outer(s, w), atol=1e-12)                     # along w only
    step = manipulate(z, w, 0.3) - z
    np.testing.assert_allclose(np.linalg.norm(step, axis=1), 0.3 * np.sqrt(5))


def test_rejection_sampling_acceptance_rate_of_a_known_classifier():
    """Proposals z ~ N(0, 1), p = sigmoid(z): acceptance = E[p 1(p >= 0.5)] = E[sigmoid(z); z >= 0]."""
    rng = np.random.default_rng(0)
    grid = np.linspace(0, 10, 200_001)
    expected = np.trapezoid(sigmoid(grid) * np.exp(-grid ** 2 / 2) / np.sqrt(2 * np.pi), grid)
    z, rate = rejection_sample(lambda n: rng.normal(size=n), sigmoid, 20_000, rng, batch=4096)
    assert len(z) == 20_000 and (z >= 0).all()
    assert rate == pytest.approx(expected, abs=0.01)
    with pytest.raises(RuntimeError, match="never says yes"):
        rejection_sample(lambda n: rng.normal(size=n), lambda z: np.zeros(len(z)), 5, rng, max_proposals=1000)


def test_fewshot_subsets_and_classes():
    labels = pd.DataFrame({"Male": [1, 0, 1, 0, 0, 0, 1, 0], "Blond_Hair": [0, 0, 1, 1, 0, 0, 0, 0]})
    np.testing.assert_array_equal(class_labels(labels, "Female"), 1 - labels["Male"])
    y = class_labels(labels, "Male")
    idx, t = labelled_subset(y, "binary", np.random.default_rng(0), n_labelled=2, n_positive_pu=1, n_unlabelled=9)
    assert len(idx) == 4 and (y[idx] == t).all() and len(set(idx)) == 4
    idx, t = labelled_subset(y, "PU", np.random.default_rng(0), n_labelled=2, n_positive_pu=2, n_unlabelled=100)
    assert t.sum() == 2 and (y[idx[t == 1]] == 1).all() and len(idx) == 8 and len(set(idx)) == 8
    with pytest.raises(ValueError, match="positives"):
        labelled_subset(y, "binary", np.random.default_rng(0), n_labelled=4, n_positive_pu=1, n_unlabelled=1)


def test_seeded_split_has_the_test_fraction():
    s = seeded_split(100, 0.3, seed=4)
    assert (s == "test").sum() == 30 and set(s) == {"train", "test"}
    np.testing.assert_array_equal(s, seeded_split(100, 0.3, seed=4))
    with pytest.raises(ValueError, match="test_fraction"):
        seeded_split(10, 1.0, seed=0)


@pytest.fixture
def faces(tmp_path):
    rng = np.random.default_rng(0)
    n = 24
    labels = pd.DataFrame({a: np.zeros(n, int) for a in CELEBA_ATTRIBUTES})
    labels["Male"] = np.arange(n) % 2
    labels["Blond_Hair"] = (np.arange(n) % 3 == 0).astype(int)
    labels["Smiling"] = (np.arange(n) % 4 < 2).astype(int)
    images = rng.integers(0, 256, (n, 8, 8, 3), dtype=np.uint8)
    for name in ("celebahq", "ffhq"):
        save_prepared(tmp_path / name, images, labels, {"attributes": list(CELEBA_ATTRIBUTES), "source": "standin",
                                                       "image_size": 8, "dataset": name})
    save_latents(tmp_path / "z.npz", rng.normal(size=(n, Z)).astype(np.float32), np.arange(n), np.full(n, "train"),
                 {})
    return tmp_path


def test_table8_stage_writes_auroc_and_a_classifier_that_round_trips(faces):
    models = tiny_artifacts(faces, z_dim=Z)
    rec = dict(recipe="full_batch", lr=1e-2, batch_size=8, samples_seen=100, full_batch_steps=50, ema_decay=0.0,
               seed=0)
    df = attribute_classifier_stage(models["diffae"], faces / "z.npz", faces / "celebahq", faces / "cls.npz",
                                    faces / "t8.csv", test_fraction=0.5, split_seed=0, recipe=rec, batch_size=8,
                                    device="cpu")
    assert list(df["attribute"]) == list(CELEBA_ATTRIBUTES)
    assert df.loc[df["attribute"] == "Bald", "auroc"].isna().all()            # constant: undefined
    assert df.loc[df["attribute"] == "Male", "auroc"].between(0, 1).all()
    cls = load_attribute_classifier(faces / "cls.npz")
    assert cls.classifier.weight.shape == (40, Z) and (cls.split == "test").sum() == 12
    z = np.random.default_rng(0).normal(size=(3, Z))
    np.testing.assert_allclose(cls.unnormalise(cls.normalise(z)), z, rtol=1e-6)
    report = diffae_table8_report(faces / "t8.csv", faces / "table8.csv", "embedded")
    assert list(report["attribute"][-2:]) == ["Weighted average", "Macro average"]
    assert report.iloc[-1]["auroc_paper"] == 0.93 and "undefined" in report.iloc[-1]["note"]
    defined = df.dropna(subset=["auroc"])
    assert report.iloc[-1]["auroc"] == pytest.approx(defined["auroc"].mean())


def test_manipulation_stage_tables_9_10_figures_and_reports(faces):
    models = tiny_artifacts(faces, z_dim=Z)
    rec = dict(recipe="full_batch", lr=1e-2, batch_size=8, samples_seen=100, full_batch_steps=20, ema_decay=0.0,
               seed=0)
    attribute_classifier_stage(models["diffae"], faces / "z.npz", faces / "celebahq", faces / "cls.npz",
                               faces / "t8.csv", test_fraction=0.5, split_seed=0, recipe=rec, batch_size=8,
                               device="cpu")
    df = diffae_manipulation(models["diffae"], faces / "cls.npz", faces / "celebahq", faces / "ffhq", faces / "m.csv",
                             faces / "figs", attributes=["Male", "Smiling"], identity_attributes=["Male"],
                             n_images=4, n_steps_invert=2, n_steps=2, strengths=[-0.3, 0.3], n_examples=1,
                             batch_size=4, seed=0, clip_x0=True, weights_dir=None, allow_random=True, device="cpu")
    fid = df[df["metric"] == "fid"]
    assert list(zip(fid["attribute"], fid["mode"])) == [(a, m) for a in ("Male", "Smiling") for m in FID_MODES]
    assert (df["n_manipulated"] == 4).all() and np.isfinite(df["value"]).all()
    ident = df[df["metric"] == "identity"]
    assert list(ident["attribute"]) == ["Male"] and -1 <= ident["value"].iloc[0] <= 1
    grid = load_grid(faces / "figs" / "fig5_manipulation.npz")
    assert [t for t, _ in grid.columns] == ["input", "-0.3", "reconstruction", "+0.3"]
    assert len(grid.row_labels) == 4 * 2 and grid.row_labels[0] == "Male"     # 4 attributes x (FFHQ + CelebA-HQ)
    t9, t10 = diffae_manipulation_reports(faces / "m.csv", faces / "t9.csv", faces / "t10.csv", "embedded")
    assert list(t9["mode"][:2]) == ["positive vs negative"] * 2 and t9["fid_paper"].iloc[0] == 95.82
    assert t10.iloc[0]["cosine_paper"] == 0.6247 and "random-init" in t10.iloc[0]["feature_net"]


def test_table3_stage_rows_figures_report_and_resume(faces):
    models = tiny_artifacts(faces, z_dim=Z, latent=True)
    kw = dict(classes=["Male", "Blond", "Non-Blond"], n_labelled=3, n_positive_pu=3, n_unlabelled=10, n_repeats=2, n_samples=4,
              n_naive=6, n_reference=6, n_steps=2, n_shown=2,
              recipe=dict(recipe="full_batch", lr=1e-2, batch_size=4, samples_seen=10, full_batch_steps=20,
                          ema_decay=0.0, seed=0),
              batch_size=4, seed=0, clip_x0=True, weights_dir=None, allow_random=True, device="cpu")
    df = diffae_table3(models["diffae"], models["latent_ddim"], faces / "ffhq", faces / "t3.csv", faces / "figs", **kw)
    units = [(s, c) for s, c in zip(df["scenario"], df["class"])]
    assert units.count(("naive", "Male")) == 1 and units.count(("PU", "Blond")) == 2
    grid = load_grid(faces / "figs" / "fig18_conditional_blond.npz")
    assert [t for t, _ in grid.columns] == ["Blond", "Non-Blond"] and all(len(x) == 2 for _, x in grid.columns)
    assert not (faces / "figs" / "fig19_conditional_gender.npz").exists()     # Female was not asked for
    sampled = df[df["scenario"] != "naive"]
    assert (sampled["acceptance"].between(0, 1)).all() and np.isfinite(df["fid"]).all()
    report = diffae_table3_report(faces / "t3.csv", faces / "table3.csv", "embedded")
    pu_male = report[(report["scenario"] == "PU") & (report["class"] == "Male")].iloc[0]
    runs = df[(df["scenario"] == "PU") & (df["class"] == "Male")]["fid"]
    assert pu_male["fid"] == pytest.approx(runs.mean()) and pu_male["fid_std"] == pytest.approx(runs.std(ddof=1))
    assert pu_male["fid_paper"] == 9.54 and pu_male["fid_d2c"] == 16.39
    again = diffae_table3(models["diffae"], models["latent_ddim"], faces / "ffhq", faces / "t3b.csv",
                          faces / "figs", **kw)
    pd.testing.assert_frame_equal(again, df)


def test_attribute_claims_fail_on_constructed_tables():
    t = paper_tables()
    t9 = t.diffae_table9.copy()
    t9.loc[(t9["mode"] == "manipulated vs positive") & (t9["attribute"] == "Young"), "fid"] = 50.0
    t3 = t.diffae_table3.copy()
    t3.loc[(t3["scenario"] == "PU") & (t3["class"] == "Blond"), "fid"] = 30.0
    ours = Tables(diffae_table9=t9, diffae_table3=t3, diffae_table8=t.diffae_table8, diffae_table10=t.diffae_table10)
    df = evaluate_claims(ours).set_index("claim")
    assert df.loc["k1", "supported"] is False and df.loc["k2", "supported"] is True
    assert df.loc["n1", "supported"] is False and df.loc["n2", "supported"] is False
    assert df.loc["m1", "supported"] is True and df.loc["l", "supported"] is True
