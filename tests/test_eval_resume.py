"""Long evaluations resume: a killed Diff-AE Table 2 run restarts at the next cell and ends with the table of
an uninterrupted run; partial rows of other weights are discarded."""
import logging

import numpy as np
import pandas as pd
import pytest

from diffae.data.prepared import save_prepared
from diffae.data.splits import split_indices, write_split
from diffae.eval.partial import PartialRows
from diffae.eval.tables import diffae_table2 as table
from _tiny_artifacts import tiny_artifacts as _artifacts


@pytest.fixture
def inputs(tmp_path):
    rng = np.random.default_rng(0)
    save_prepared(tmp_path / "p", rng.integers(0, 256, (12, 8, 8, 3), dtype=np.uint8),
                  pd.DataFrame({"a": np.arange(12) % 2}), {"attributes": ["a"], "source": "standin", "image_size": 8})
    write_split(tmp_path / "split.csv", split_indices(12, 0.5, seed=0))
    return tmp_path


def _table(inputs, out, models):
    return table.diffae_table2(models["diffae"], models["ddim"], inputs / "p", inputs / "split.csv", out,
                               step_counts=[2, 3], n_images=4, batch_size=4, seed=0, clip_x0=True, weights_dir=None,
                               allow_random=True, device="cpu")


def test_a_killed_evaluation_resumes_at_the_next_cell(inputs, monkeypatch, caplog):
    models = _artifacts(inputs)
    whole = _table(inputs, inputs / "whole.csv", models)
    calls, real = [], table.mean_metrics

    def dies_at_the_fourth(*args, **kwargs):
        calls.append(kwargs["n_steps"])
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(table, "mean_metrics", dies_at_the_fourth)
    out = inputs / "t.csv"
    with pytest.raises(KeyboardInterrupt):
        _table(inputs, out, models)
    assert not out.exists() and (inputs / "t.csv.partial.json").is_file()
    calls.clear()
    caplog.set_level(logging.INFO, logger="diffae.eval.partial")
    resumed = _table(inputs, out, models)
    assert len(calls) == 6 - 3 and "3 unit(s) already computed" in caplog.text
    pd.testing.assert_frame_equal(resumed, whole)
    assert pd.read_csv(out).equals(pd.read_csv(inputs / "whole.csv"))
    assert not (inputs / "t.csv.partial.json").exists()


def test_partial_rows_of_other_weights_are_discarded(inputs, caplog):
    out = inputs / "t.csv"
    PartialRows(out, {"w": 1}).add("cell", [{"x": 1.0}])
    assert "cell" in PartialRows(out, {"w": 1})
    caplog.set_level(logging.WARNING, logger="diffae.eval.partial")
    assert "cell" not in PartialRows(out, {"w": 2})
    assert "other weights" in caplog.text
    (inputs / "t.csv.partial.json").write_text("{torn")
    assert "cell" not in PartialRows(out, {"w": 1})  # a torn file is ignored, not an error


def test_codec_digest_follows_the_weights(inputs):
    from diffae.eval.codecs import codec_digest, load_codec

    a, b = _artifacts(inputs, seed=0), _artifacts(inputs, seed=1)
    da = codec_digest(load_codec("Diff-AE", a["diffae"], clip_x0=True))
    assert da == codec_digest(load_codec("Diff-AE", a["diffae"], clip_x0=True))
    assert da != codec_digest(load_codec("Diff-AE", b["diffae"], clip_x0=True))
    assert da != codec_digest(load_codec("Diff-AE", a["diffae"], clip_x0=False))


def test_ppl_numbers_run_and_resume_per_method(inputs, monkeypatch):
    from diffae.eval.codecs import load_codec
    from diffae.eval.tables import diffusegae_ppl as ppl

    models = _artifacts(inputs)
    codec = load_codec("Diff-AE", models["diffae"], clip_x0=True)
    codecs = {"DiffuseGAE": codec, "Diff-AE": codec}  # any codec: the table only walks each method's paths
    kwargs = dict(step_counts=[2, 3], n_pairs=3, eps=1e-2, batch_size=3, seed=0, weights_dir=None,
                  allow_random=True, device="cpu")
    whole = ppl.ppl_numbers(codecs, inputs / "p", inputs / "split.csv", inputs / "whole.csv", **kwargs)
    assert list(whole["method"]) == ["DiffuseGAE"] * 2 + ["Diff-AE"] * 2 and (whole["ppl"] >= 0).all()
    pd.testing.assert_frame_equal(whole[whole.method == "DiffuseGAE"][["T", "ppl"]].reset_index(drop=True),
                                  whole[whole.method == "Diff-AE"][["T", "ppl"]].reset_index(drop=True))
    from diffae.eval import editing

    calls, real = [], editing.ppl_curve

    def dies_on_the_second(*args, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kw)

    monkeypatch.setattr(editing, "ppl_curve", dies_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        ppl.ppl_numbers(codecs, inputs / "p", inputs / "split.csv", inputs / "t.csv", **kwargs)
    calls.clear()
    monkeypatch.setattr(editing, "ppl_curve", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    resumed = ppl.ppl_numbers(codecs, inputs / "p", inputs / "split.csv", inputs / "t.csv", **kwargs)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(resumed, whole)


def test_table2_numbers_carry_latent_sizes_and_the_test_set(inputs):
    """Latent size = inferred x_T (3*8*8) + z_sem (6) for Diff-AE, x_T alone for DDIM, z_sem alone for row a;
    without a split every image of the prepared set is a test image."""
    models = _artifacts(inputs)
    whole = table.diffae_table2(models["diffae"], models["ddim"], inputs / "p", None, inputs / "w.csv",
                                step_counts=[2], n_images=12, batch_size=6, seed=0, clip_x0=True, weights_dir=None,
                                allow_random=True, device="cpu")
    sizes = dict(zip(whole["model"], whole["latent_dim"]))
    assert sizes == {"DDIM (inferred x_T)": 192, "Diff-AE (inferred x_T)": 198, "Diff-AE a) random x_T": 6}
    assert (whole["n_samples"] == 12).all() and (whole["test_set"] == "p (standin)").all()


def test_zsem_ablation_rows_reuse_row_a_protocol(inputs):
    """Rows b-e: each width's model, random x_T from the same seed as row a; a 6-d model at the same weights
    as the main Diff-AE gives exactly row a's numbers."""
    models = _artifacts(inputs)
    (inputs / "faces" / "diffae_z6").mkdir(parents=True)
    (inputs / "faces" / "diffae_z6" / "final.pt").write_bytes(models["diffae"].read_bytes())
    kw = dict(step_counts=[2, 3], n_images=4, batch_size=4, seed=0, clip_x0=True, weights_dir=None,
              allow_random=True, device="cpu")
    ab = table.zsem_ablation_table(inputs / "faces", inputs / "p", inputs / "split.csv", inputs / "z.csv", z_dims=[6],
                                   **kw)
    main = table.diffae_table2(models["diffae"], models["ddim"], inputs / "p", inputs / "split.csv",
                               inputs / "m.csv", **kw)
    row_a = main[main["model"] == "Diff-AE a) random x_T"].reset_index(drop=True)
    assert list(ab["model"]) == [table.zsem_row_name(6)] * 2 and (ab["z_dim"] == 6).all()
    pd.testing.assert_frame_equal(ab[["T", "ssim", "lpips", "mse", "latent_dim"]], row_a[["T", "ssim", "lpips", "mse",
                                                                                           "latent_dim"]])
    with pytest.raises(FileNotFoundError, match="diffae_z8"):
        table.zsem_ablation_table(inputs / "faces", inputs / "p", None, inputs / "z8.csv", z_dims=[6, 8], **kw)


def test_ablation_models_train_the_papers_fraction_of_steps():
    from diffae.train.recipes.diffae import ablation_steps

    assert ablation_steps(1_015_625, 48 / 130) == 375_000 and ablation_steps(300, 0.3692) == 111
    assert ablation_steps(2, 0.1) == 1
