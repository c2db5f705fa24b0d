"""DiffSiam Tables 4.1 / 4.2 reports from per-run transfer CSVs, the thesis's numbers beside ours, and claims o1-o5."""
import math

import numpy as np
import pandas as pd
import pytest

from diffae.report.claims import NA, Tables, build_claims, evaluate_claims, paper_tables
from diffae.report.claims_diffsiam import DIFFSIAM_CLAIMS
from diffae.report.diffsiam_tables import COLUMN, build_table4_1, build_table4_2, method_name
from diffae.report.paper_numbers import (DIFFSIAM_TABLE4_1, DIFFSIAM_TABLE4_1_COLUMNS, DIFFSIAM_TABLE4_2,
                                         DIFFSIAM_TABLE4_2_COLUMNS)
from diffae.report.metrics_summary import metrics_summary
from diffae.report.tables import NOT_COMPARABLE

DATASET = {v: k for k, v in COLUMN.items()}   # thesis column -> our dataset name
RUNS = {"simsiam": ("simsiam", "hierarchical", "timestep_block", "SimSiam"),
        "seq": ("diffsiam", "sequential", "timestep_block", "DiffSiam (Seq.)"),
        "hier": ("diffsiam", "hierarchical", "timestep_block", "DiffSiam (Hier.)"),
        "hier_literal": ("diffsiam", "hierarchical", "extra_steps", "DiffSiam (Hier., literal Alg. 1)"),
        "pdae": ("pdae", "hierarchical", "timestep_block", "PDAE")}
O_IDS = [c.id for c in DIFFSIAM_CLAIMS]


def _numbers(tmp_path, run: str, many: dict, few: dict, preset: str = "embedded", episodes: int = 100):
    """A per-run CSV as diffae.eval.transfer_eval writes it. many: column -> accuracy; few: (shots, column) -> mean."""
    method, variant, k_mode, _ = RUNS.get(run, ("diffsiam", "hierarchical_detach", "timestep_block", ""))
    base = {"run": run, "method": method, "variant": variant, "k_mode": k_mode, "preset": preset, "seed": 0,
            "encoder": "ResNet-10 width 8, z 64"}
    rows = []
    for col, acc in many.items():
        ds = DATASET[col]
        rows.append({**base, "protocol": "many_shot", "dataset": ds, "shots": None,
                     "metric": "mean_per_class" if ds in ("aircraft", "caltech101", "flowers", "pets") else "top1",
                     "accuracy": acc, "std": None, "ci95": None, "n_episodes": None, "best_C": 1.0, "n_train": 50,
                     "n_test": 20})
    for (shots, col), mean in few.items():
        std = 10.0
        rows.append({**base, "protocol": "few_shot", "dataset": DATASET[col], "shots": shots, "metric": "top1",
                     "accuracy": mean, "std": std, "ci95": 1.96 * std / math.sqrt(episodes), "n_episodes": episodes,
                     "best_C": None, "n_train": None, "n_test": 20})
    path = tmp_path / f"{run}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False, float_format="%.6g")
    return str(path)


def _thesis_runs(tmp_path, simsiam_bonus: float = 0.0, preset: str = "embedded") -> list[str]:
    """Our runs with the thesis's numbers (SimSiam + ``simsiam_bonus``), plus hier_literal and pdae."""
    paths = []
    for run, (*_, name) in RUNS.items():
        src = name if name in DIFFSIAM_TABLE4_1 else "DiffSiam (Hier.)"
        bonus = simsiam_bonus if run == "simsiam" else (-1.0 if src != name else 0.0)
        many = {c: v + bonus for c, v in DIFFSIAM_TABLE4_1[src].items() if c != "Avg"}
        few = {(s, c): v[0] + bonus for s, rows in DIFFSIAM_TABLE4_2.items() for c, v in rows[src].items()}
        paths.append(_numbers(tmp_path, run, many, few, preset))
    return paths[::-1]   # input order must not matter


def test_thesis_transcription_and_its_average():
    for name, row in DIFFSIAM_TABLE4_1.items():
        assert set(row) == {*DIFFSIAM_TABLE4_1_COLUMNS, "Avg"}
        assert abs(np.mean([row[c] for c in DIFFSIAM_TABLE4_1_COLUMNS]) - row["Avg"]) < 1e-3, name
    assert "Flowers" not in DIFFSIAM_TABLE4_2_COLUMNS and len(DIFFSIAM_TABLE4_2_COLUMNS) == 9
    assert sorted(DIFFSIAM_TABLE4_2) == [1, 5, 10]
    for shots in DIFFSIAM_TABLE4_2:
        assert all(set(r) == set(DIFFSIAM_TABLE4_2_COLUMNS) for r in DIFFSIAM_TABLE4_2[shots].values())


def test_method_names_come_from_method_variant_k_mode():
    for method, variant, k_mode, name in RUNS.values():
        assert method_name(method, variant, k_mode) == name
    assert method_name("simsiam", "sequential", "extra_steps") == "SimSiam"
    assert method_name("diffsiam", "sequential", "extra_steps") == "DiffSiam (Seq., literal Alg. 1)"
    assert method_name("diffsiam", "hierarchical_detach", "timestep_block") == "DiffSiam (Hier.-Detach)"
    assert method_name("byol", "flat", "none") == "byol (flat, none)"


def test_table4_1_layout_average_and_paper_columns(tmp_path):
    out = tmp_path / "reports" / "diffsiam" / "table4_1.csv"
    df = build_table4_1(_thesis_runs(tmp_path), str(out))
    cols = ["method", "run"] + [x for c in (*DIFFSIAM_TABLE4_1_COLUMNS, "Avg") for x in (c, f"{c}_paper")]
    assert list(df.columns) == cols + ["mean_per_class", "preset", "seed", "encoder", "k_mode", "variant", "note"]
    assert list(df.method) == [r[3] for r in RUNS.values()]          # thesis order, whatever the input order
    assert list(df.run) == list(RUNS)
    back = pd.read_csv(out).set_index("method")
    assert back.loc["SimSiam", "Caltech_paper"] == 54.626 and back.loc["DiffSiam (Seq.)", "DTD_paper"] == 33.670
    assert back.loc["DiffSiam (Hier.)", "SUN_paper"] == 24.146 and back.loc["DiffSiam (Hier.)", "Avg_paper"] == 43.759
    assert back.loc["DiffSiam (Seq.)", "Flowers_paper"] == 55.433 and back.loc["SimSiam", "CIFAR10_paper"] == 90.98
    for name in ("PDAE", "DiffSiam (Hier., literal Alg. 1)"):
        assert back.loc[name, [f"{c}_paper" for c in (*DIFFSIAM_TABLE4_1_COLUMNS, "Avg")]].isna().all()
        assert "no thesis row" in back.loc[name, "note"]
    for name, row in back.iterrows():                                   # Avg = mean of all 10 incl. CIFAR-10
        assert row["Avg"] == pytest.approx(np.mean([row[c] for c in DIFFSIAM_TABLE4_1_COLUMNS]), abs=1e-3)
    assert back.loc["DiffSiam (Hier.)", "Avg"] == pytest.approx(43.759, abs=1e-3)
    assert back.loc["SimSiam", "mean_per_class"] == "Aircraft, Caltech, Flowers, Pets"
    assert (back["preset"] == "embedded").all() and (back["seed"] == 0).all()
    assert back.loc["DiffSiam (Hier., literal Alg. 1)", "k_mode"] == "extra_steps"
    assert all(NOT_COMPARABLE in n for n in back["note"])
    md = out.with_suffix(".md").read_text()
    assert "Table 4.1" in md and "**90.98** (90.98)" in md and NOT_COMPARABLE in md


def test_missing_sets_are_nan_and_so_is_avg(tmp_path):
    paper = DIFFSIAM_TABLE4_1["DiffSiam (Hier.)"]
    few = {(5, "CIFAR10"): 50.0, (5, "DTD"): 40.0}
    p = _numbers(tmp_path, "hier", {c: paper[c] for c in ("CIFAR10", "Aircraft", "DTD")}, few, preset="paper-x")
    df = build_table4_1([p], str(tmp_path / "t41.csv")).set_index("method")
    row = df.loc["DiffSiam (Hier.)"]
    assert row["DTD"] == pytest.approx(35.479) and math.isnan(row["Cars"]) and math.isnan(row["Avg"])
    assert row["Avg_paper"] == 43.759 and row["mean_per_class"] == "Aircraft"
    assert "not evaluated: Caltech, Cars" in row["note"] and "Avg is NaN" in row["note"]
    assert NOT_COMPARABLE not in row["note"]                            # a paper preset
    t42 = build_table4_2([p], str(tmp_path / "t42.csv")).set_index("method")
    r = t42.loc["DiffSiam (Hier.)"]
    assert r["shots"] == 5 and r["CIFAR10"] == 50.0 and math.isnan(r["Cars"]) and math.isnan(r["Cars_ci95"])
    assert r["Cars_paper"] == 39.25 and "not evaluated: Aircraft, Caltech, Cars" in r["note"]


def test_table4_2_layout_and_paper_columns(tmp_path):
    paths = _thesis_runs(tmp_path)
    extra = _numbers(tmp_path, "detach", {"CIFAR10": 1.0},
                     {(2, "CIFAR10"): 30.0, (1, "DTD"): 31.0})
    flowers = _numbers(tmp_path, "hier", {}, {(1, "Flowers"): 99.0, (1, "CIFAR10"): 20.0})
    out = tmp_path / "t42.csv"
    df = build_table4_2([*paths, extra, flowers], str(out))
    per = [x for c in DIFFSIAM_TABLE4_2_COLUMNS for x in (c, f"{c}_ci95", f"{c}_std", f"{c}_paper", f"{c}_ci95_paper")]
    assert list(df.columns) == ["shots", "method", "run", *per, "n_episodes", "preset", "seed", "encoder", "k_mode",
                                "variant", "note"]
    assert list(df.shots) == [1] * 7 + [2] * 7 + [5] * 7 + [10] * 7     # every shot count any run evaluated
    assert "Flowers" not in " ".join(df.columns)
    assert df[df.shots == 1].method.tolist() == ["SimSiam", "DiffSiam (Seq.)", "DiffSiam (Hier.)",
                                                 "DiffSiam (Hier., literal Alg. 1)", "DiffSiam (Hier.-Detach)",
                                                 "PDAE", "DiffSiam (Hier.) [hier]"]
    assert "DiffSiam (Hier.) [hier]" in set(df.method)                  # a second run of the same name
    back = pd.read_csv(out)
    cell = back.set_index(["shots", "method"])
    assert cell.loc[(1, "DiffSiam (Hier.)"), "CIFAR10_paper"] == 43.20
    assert cell.loc[(1, "DiffSiam (Hier.)"), "CIFAR10_ci95_paper"] == 0.35
    assert cell.loc[(10, "SimSiam"), "SUN_paper"] == 69.01 and cell.loc[(10, "SimSiam"), "SUN_ci95_paper"] == 0.37
    assert cell.loc[(5, "DiffSiam (Seq.)"), "DTD_paper"] == 49.82
    assert cell.loc[(5, "DiffSiam (Seq.)"), "DTD"] == pytest.approx(49.82)
    assert cell.loc[(5, "DiffSiam (Seq.)"), "DTD_ci95"] == pytest.approx(1.96)
    assert cell.loc[(5, "DiffSiam (Seq.)"), "DTD_std"] == pytest.approx(10.0)
    assert (back["n_episodes"].dropna() == 100).all()
    assert cell.loc[(2, "DiffSiam (Hier.-Detach)"), "CIFAR10"] == 30.0
    assert cell.loc[(2, "DiffSiam (Hier.-Detach)"), "CIFAR10_paper"] != cell.loc[(2, "DiffSiam (Hier.-Detach)"),
                                                                                 "CIFAR10_paper"]   # NaN
    assert cell.loc[(2, "SimSiam"), ["CIFAR10", "CIFAR10_paper"]].isna().all()
    assert cell.loc[(1, "DiffSiam (Hier.) [hier]"), "CIFAR10"] == 20.0
    md = out.with_suffix(".md").read_text()
    assert "Table 4.2" in md and "±0.35" in md


def test_claims_hold_on_the_thesis_numbers():
    df = evaluate_claims(Tables(), paper_tables()).set_index("claim")
    for cid in O_IDS:
        assert df.loc[cid, "paper_holds"] is True, (cid, df.loc[cid, "paper"])
        assert df.loc[cid, "supported"] == NA
    assert "Hier. best in 25 of 27 cells, Seq. in 2, SimSiam in 0" in df.loc["o5", "paper"]
    assert "DTD" not in df.loc["o2", "paper"] and "8 of 8 sets" in df.loc["o2", "paper"]
    assert "9 of 9 sets" in df.loc["o1", "paper"]
    # o2's exception is real: the thesis's Seq. is below SimSiam on DTD, so "every transfer set" would fail
    assert DIFFSIAM_TABLE4_1["DiffSiam (Seq.)"]["DTD"] < DIFFSIAM_TABLE4_1["SimSiam"]["DTD"]


def _claims(tmp_path, paths, sub="a"):
    t41, t42 = tmp_path / sub / "table4_1.csv", tmp_path / sub / "table4_2.csv"
    build_table4_1(paths, str(t41))
    build_table4_2(paths, str(t42))
    return build_claims(None, None, out_csv=tmp_path / sub / "claims.csv", out_md=tmp_path / sub / "claims.md",
                        diffsiam_table4_1_csv=t41, diffsiam_table4_2_csv=t42).set_index("claim")


def test_claims_on_our_tables(tmp_path):
    df = _claims(tmp_path, _thesis_runs(tmp_path / "runs"))
    assert all(df.loc[c, "supported"] is True for c in O_IDS), df.loc[O_IDS, "ours"]
    assert (df.loc[O_IDS, "diagnosis"] == "").all()
    # SimSiam 20 points better everywhere: every claim fails, with the embedded-scale diagnosis
    df = _claims(tmp_path, _thesis_runs(tmp_path / "win", simsiam_bonus=20.0), "b")
    for cid in O_IDS:
        assert df.loc[cid, "supported"] is False, cid
        assert df.loc[cid, "paper_holds"] is True
        assert df.loc[cid, "diagnosis"].startswith("scale:")
    assert "✗" in (tmp_path / "b" / "claims.md").read_text()


def test_claims_missing_tables_or_cells_read_na(tmp_path):
    df = build_claims(None, None).set_index("claim")
    assert all(df.loc[c, "supported"] == NA for c in O_IDS)
    # only Table 4.1, without SUN for SimSiam: o3 (Avg) is NA, o1 compares the 8 other sets, o5 NA
    paths = _thesis_runs(tmp_path / "runs")
    sim = pd.read_csv(paths[-1])
    assert sim.run.iloc[0] == "simsiam"
    sim[sim.dataset != "sun397"].to_csv(paths[-1], index=False)
    t41 = tmp_path / "t41.csv"
    build_table4_1(paths, str(t41))
    df = build_claims(None, None, diffsiam_table4_1_csv=t41).set_index("claim")
    assert df.loc["o3", "supported"] == NA and df.loc["o5", "supported"] == NA
    assert df.loc["o1", "supported"] is True and "8 of 9 sets" in df.loc["o1", "ours"]
    assert df.loc["o4", "supported"] is True


def test_metrics_json_holds_both_tables(tmp_path):
    paths = _thesis_runs(tmp_path / "runs")
    t41, t42 = tmp_path / "table4_1.csv", tmp_path / "table4_2.csv"
    build_table4_1(paths, str(t41))
    build_table4_2(paths, str(t42))
    pd.DataFrame({"claim": ["o1"], "supported": ["True"]}).to_csv(tmp_path / "claims.csv", index=False)
    s = metrics_summary(None, None, None, None, tmp_path / "claims.csv", tmp_path / "m.json",
                        diffsiam_table4_1_csv=t41, diffsiam_table4_2_csv=t42)
    hier = DIFFSIAM_TABLE4_1["DiffSiam (Hier.)"]
    assert s["diffsiam"]["table4_1"]["DiffSiam (Hier.)"]["DTD"] == pytest.approx(hier["DTD"])
    assert s["diffsiam"]["table4_1"]["DiffSiam (Hier.)"]["Avg"] == pytest.approx(hier["Avg"], abs=1e-3)
    assert s["diffsiam"]["table4_2"]["5"]["SimSiam"]["CIFAR10"] == pytest.approx(
        DIFFSIAM_TABLE4_2[5]["SimSiam"]["CIFAR10"][0])
    assert "Flowers" not in s["diffsiam"]["table4_2"]["5"]["SimSiam"]
    assert metrics_summary(None, None, None, None, tmp_path / "claims.csv", tmp_path / "m2.json")["diffsiam"] == {}
