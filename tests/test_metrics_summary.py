"""reports/metrics.json: the headline numbers of the tables, as DVC metrics."""
import json

import pandas as pd

from diffae.report.metrics_summary import metrics_summary


def test_summary_holds_each_tables_headline_numbers(tmp_path):
    p = {k: tmp_path / f"{k}.csv" for k in ("t1", "t2", "d2", "ppl", "claims")}
    pd.DataFrame({"method": ["A", "A", "A", "B"], "part": ["x", "x", "y", "x"], "attribute": ["x", "y", "y", "x"],
                  "accuracy": [0.9, 0.2, 0.7, 0.5], "is_diagonal": [True, False, True, True]}).to_csv(p["t1"])
    pd.DataFrame({"model": ["GZS-Net", "DDIM (T=100)"], "fid": [3.0, 1.5], "ssim": [0.5, 0.9], "lpips": [0.2, 0.1],
                  "mse": [0.05, 0.01]}).to_csv(p["t2"])
    pd.DataFrame({"model": ["Diff-AE (inferred x_T)"] * 2, "T": [10, 100], "ssim": [0.8, 0.99],
                  "lpips": [0.1, 0.01], "mse": [0.02, 0.001]}).to_csv(p["d2"])
    pd.DataFrame({"method": ["Diff-AE", "Diff-AE"], "T": [10, 20], "ppl": [1.25, 1.0]}).to_csv(p["ppl"])
    pd.DataFrame({"claim": ["a", "b", "c"], "supported": [True, False, True]}).to_csv(p["claims"])
    out = tmp_path / "metrics.json"
    summary = metrics_summary(p["t1"], p["t2"], p["d2"], p["ppl"], p["claims"], out)
    assert json.loads(out.read_text()) == summary
    assert summary["diffusegae"]["table1"]["A"] == {"diagonal_accuracy": 0.8, "off_diagonal_accuracy": 0.2}
    assert summary["diffusegae"]["table2"]["DDIM (T=100)"]["fid"] == 1.5
    assert summary["diffae"]["table2"]["Diff-AE (inferred x_T)"]["100"]["ssim"] == 0.99
    assert summary["diffusegae"]["ppl"]["Diff-AE"]["20"] == {"ppl": 1.0}
    assert summary["claims"] == {"supported": 2, "total": 3}
    assert summary["diffusegae"]["table1"]["B"]["off_diagonal_accuracy"] is None  # no off-diagonal cells
    without = metrics_summary(p["t1"], p["t2"], None, p["ppl"], p["claims"], tmp_path / "m2.json")
    assert without["diffae"] == {} and without["diffusegae"] == summary["diffusegae"]  # paper preset, no face roots
    faces_only = metrics_summary(None, None, p["d2"], None, p["claims"], tmp_path / "m3.json")
    assert faces_only["diffusegae"] == {} and faces_only["diffae"] == summary["diffae"]


def test_generation_tables_join_and_claims_reading_na_do_not_count(tmp_path):
    p = {k: tmp_path / f"{k}.csv" for k in ("t4", "dppl", "t7", "claims")}
    pd.DataFrame({"dataset": ["FFHQ 128"] * 2, "model": ["DDIM", "Ours"], "T": [10, 10], "fid": [30.0, 20.5]}
                 ).to_csv(p["t4"], index=False)
    pd.DataFrame({"model": ["DDIM", "Diff-AE"], "ppl": [9.0, 3.0]}).to_csv(p["dppl"], index=False)
    pd.DataFrame({"dataset": ["ffhq"] * 2, "model": ["DDIM", "Diff-AE"], "img_per_s": [50.0, 40.0]}
                 ).to_csv(p["t7"], index=False)
    pd.DataFrame({"claim": ["a", "b", "c"], "supported": ["True", "NA", "False"]}).to_csv(p["claims"], index=False)
    s = metrics_summary(None, None, None, None, p["claims"], tmp_path / "m.json", diffae_table4_csv=p["t4"],
                        diffae_ppl_csv=p["dppl"], diffae_table7_csv=p["t7"])
    assert s["diffae"]["table4"]["FFHQ 128"]["Ours"]["10"] == {"fid": 20.5}
    assert s["diffae"]["ppl"]["Diff-AE"] == {"ppl": 3.0} and s["diffae"]["table7"]["ffhq"]["DDIM"] == {"img_per_s": 50.0}
    assert s["claims"] == {"supported": 1, "total": 3}


def test_attribute_tables_join_with_undefined_aurocs_as_null(tmp_path):
    p = {k: tmp_path / f"{k}.csv" for k in ("t3", "t8", "t9", "t10", "claims")}
    pd.DataFrame({"scenario": ["PU", "naive"], "class": ["Male", "Male"], "fid": [9.5, 23.8]}).to_csv(p["t3"],
                                                                                                   index=False)
    pd.DataFrame({"attribute": ["Male", "Bald", "Macro average"], "auroc": [0.9, float("nan"), 0.9]}
                 ).to_csv(p["t8"], index=False)
    pd.DataFrame({"mode": ["positive vs negative"], "attribute": ["Male"], "fid": [95.8]}).to_csv(p["t9"], index=False)
    pd.DataFrame({"attribute": ["Male"], "cosine": [0.62]}).to_csv(p["t10"], index=False)
    pd.DataFrame({"claim": ["k1"], "supported": ["True"]}).to_csv(p["claims"], index=False)
    s = metrics_summary(None, None, None, None, p["claims"], tmp_path / "m.json", diffae_table3_csv=p["t3"],
                        diffae_table8_csv=p["t8"], diffae_table9_csv=p["t9"], diffae_table10_csv=p["t10"])
    assert s["diffae"]["table3"]["PU"]["Male"] == {"fid": 9.5} and s["diffae"]["table8"]["Bald"] == {"auroc": None}
    assert s["diffae"]["table9"]["positive vs negative"]["Male"] == {"fid": 95.8}
    assert s["diffae"]["table10"]["Male"] == {"cosine": 0.62}
    assert json.loads((tmp_path / "m.json").read_text())["diffae"]["table8"]["Bald"] == {"auroc": None}
