"""Diff-AE Tables 1 and 2 reports from one numbers file: columns, the T=100 column, paper numbers, provenance."""
import numpy as np
import pandas as pd

from diffae.eval.tables.numbers import write_numbers
from diffae.report.diffae_table2 import diffae_table1_report, diffae_table2_report
from diffae.report.paper_numbers import DIFFAE_TABLE1_REFERENCE

SIZES = {"DDIM (inferred x_T)": 3072, "Diff-AE (inferred x_T)": 3136, "Diff-AE a) random x_T": 64}


def _numbers(path, steps):
    rows = [{"model": m, "T": t, "ssim": 0.5 + i / 10 + t / 1000, "lpips": 0.3 - i / 20, "mse": 0.01 * (3 - i),
             "latent_dim": SIZES[m], "test_set": "celebahq (standin)", "n_samples": 32, "seed": 0,
             "feature_net": "lpips-alex (random init)"}
            for i, m in enumerate(SIZES) for t in steps]
    write_numbers(rows, path)


def test_table1_takes_the_T100_column_with_latent_sizes_and_reference_rows(tmp_path):
    _numbers(tmp_path / "n.csv", [10, 100])
    t1 = diffae_table1_report(tmp_path / "n.csv", tmp_path / "t1.csv", "embedded")
    ref, ours = t1[t1["reference_only"]], t1[~t1["reference_only"]].set_index("model")
    assert list(ref["model"]) == list(DIFFAE_TABLE1_REFERENCE) and ref[["ssim", "lpips", "mse"]].isna().all().all()
    assert (ours["T"] == 100).all() and ours["latent_dim"].to_dict() == SIZES
    assert ours.loc["Diff-AE (inferred x_T)", "latent_dim_paper"] == 49664
    assert ours.loc["Diff-AE (inferred x_T)", "mse_paper"] == 6.07e-5
    assert np.isclose(ours.loc["DDIM (inferred x_T)", "ssim"], 0.6)
    assert (ours["test_set"] == "celebahq (standin)").all() and ours["note"].str.len().gt(0).all()
    assert pd.read_csv(tmp_path / "t1.csv").shape == t1.shape


def test_table1_without_T100_uses_the_largest_step_count(tmp_path):
    _numbers(tmp_path / "n.csv", [5, 10])
    t1 = diffae_table1_report(tmp_path / "n.csv", tmp_path / "t1.csv", "smoke")
    assert set(t1.loc[~t1["reference_only"], "T"]) == {10}


def test_table2_keeps_every_cell_and_names_the_test_set(tmp_path):
    _numbers(tmp_path / "n.csv", [10, 20, 50, 100])
    t2 = diffae_table2_report(tmp_path / "n.csv", tmp_path / "t2.csv", "paper-x")
    assert len(t2) == 12 and "latent_dim" not in t2.columns and list(t2.columns)[-1] == "test_set"
    row = t2[(t2["model"] == "Diff-AE a) random x_T") & (t2["T"] == 20)].iloc[0]
    assert row["lpips_paper"] == 0.078 and row["note"] == ""


def test_table2_adds_rows_b_to_e_with_their_letters_and_paper_numbers(tmp_path):
    _numbers(tmp_path / "n.csv", [10, 100])
    rows = [{"model": f"Diff-AE random x_T, {d}-d z_sem, 48/130 steps", "T": t, "ssim": 0.4, "lpips": 0.2, "mse": 0.01,
             "latent_dim": d, "test_set": "celebahq (standin)", "z_dim": d, "n_samples": 32, "seed": 0,
             "feature_net": "x"} for d in (512, 64, 32) for t in (10, 100)]
    write_numbers(rows, tmp_path / "z.csv")
    t2 = diffae_table2_report(tmp_path / "n.csv", tmp_path / "t2.csv", "embedded", zsem_csv=tmp_path / "z.csv")
    ab = t2[t2["z_dim"].notna()].set_index(["z_dim", "T"])
    assert ab.loc[(512, 10), "model"].startswith("b) ") and ab.loc[(64, 100), "model"].startswith("e) ")
    assert ab.loc[(512, 100), "ssim_paper"] == 0.631 and ab.loc[(64, 10), "lpips_paper"] == 0.168
    assert ab.loc[(32, 10), "model"].startswith("Diff-AE")  # no paper row for a 32-d z_sem
    assert np.isnan(ab.loc[(32, 10), "ssim_paper"]) and t2["z_dim"].isna().sum() == 6
