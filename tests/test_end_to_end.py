"""Smoke preset end to end through Snakemake and DVC (slow: a couple of minutes on 2 cores).

Runs in a clone of the repository in tmp, with params.yaml replaced by presets/smoke.yaml, so both
tools read the same file. Checks the headline outputs, then that changing a GAE parameter reruns the
GAE stage and what follows it but not the Diff-AE training, that changing `seed` reruns the training,
and that changing the evaluation-only `diffusion.T_eval` reruns evaluation and no training stage, in
both tools.
"""
import json
import shutil
import subprocess

import pandas as pd
import pytest
import yaml
from conftest import copy_checkout, dvc_stages

pytestmark = pytest.mark.slow


def _run(args, cwd, env, timeout=1200):
    res = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if res.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed:\n{res.stdout[-4000:]}\n{res.stderr[-4000:]}")
    return res.stdout + res.stderr


@pytest.fixture(scope="module")
def smoke_clone(repo, tool_env, tmp_path_factory):
    dst = copy_checkout(repo, tmp_path_factory.mktemp("e2e") / "repo")
    shutil.copy(dst / "presets/smoke.yaml", dst / "params.yaml")
    _run(["snakemake", "--cores", "2"], dst, tool_env)  # the default target, as `make reproduce` runs it
    return dst


def test_smoke_outputs(smoke_clone):
    t2 = pd.read_csv(smoke_clone / "reports/table2.csv")
    assert list(t2["model"]) == ["GZS-Net", "Diff-AE (T=100, random x_T)", "DiffuseGAE (T=100, random x_T)",
                                 "DDIM (T=100)", "DiffuseGAE (T=100, inferred x_T)"]
    for col in ("fid", "ssim", "lpips", "mse", "fid_paper", "preset", "feature_net"):
        assert col in t2.columns
    assert t2[["ssim", "lpips", "mse"]].notna().all().all()
    assert (t2["preset"] == "smoke").all() and t2["feature_net"].str.contains("random").all()
    t1 = pd.read_csv(smoke_clone / "reports/table1.csv")
    assert set(t1["method"]) == {"DiffuseGAE", "Diff-AE", "GZS-Net", "AE + DS"}
    assert t1["accuracy"].between(0, 1).all()
    claims = pd.read_csv(smoke_clone / "reports/claims.csv")
    assert len(claims) >= 5
    t41 = pd.read_csv(smoke_clone / "reports/diffsiam/table4_1.csv")  # smoke: every run on DTD and CIFAR-100 only
    assert list(t41["method"]) == ["SimSiam", "DiffSiam (Seq.)", "DiffSiam (Hier.)", "DiffSiam (Hier., literal Alg. 1)",
                                   "DiffSiam (Hier.-Detach)", "PDAE"]
    assert t41[["CIFAR10", "DTD", "CIFAR100"]].notna().all().all() and t41["Aircraft"].isna().all()
    t42 = pd.read_csv(smoke_clone / "reports/diffsiam/table4_2.csv")
    assert sorted(set(t42["shots"])) == [1, 5] and t42["DTD_ci95"].notna().all()
    assert set(claims["claim"]) >= {"o1", "o3", "o5"}
    for png in ("diffsiam_counterfactuals_cifar10", "fig4_1_counterfactuals_ffhq", "fig4_4_interpolation_lsun_bedroom",
                "fig4_6_manipulation_lsun_bedroom",
                "fig4_9_loss"):
        assert (smoke_clone / f"reports/diffsiam/figures/{png}.png").stat().st_size > 5000, png
    for png in ("ilab_groups", "fig2_tsne_diffae", "fig5_tsne_zsem_zdis", "fig6_replacement", "fig7_recombination",
                "fig8_interpolation", "fig9_single_attribute", "fig10_ppl"):
        assert (smoke_clone / f"reports/figures/{png}.png").stat().st_size > 5000, png


def _bump_gae(clone):
    raw = yaml.safe_load((clone / "params.yaml").read_text())
    raw["losses"]["gae"]["lambda_ur"] = raw["losses"]["gae"]["lambda_ur"] + 0.25
    (clone / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))


def _edit(clone, dotted, edit):
    """Apply `edit` to one params key of the clone's params.yaml; returns the file's previous text."""
    original = (clone / "params.yaml").read_text()
    raw = yaml.safe_load(original)
    node = raw
    *parents, last = dotted.split(".")
    for key in parents:
        node = node[key]
    node[last] = edit(node[last])
    (clone / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return original


def _rules_rerun_for_params(out):
    """Rules a dry run schedules because their own params changed."""
    rules, current = set(), None
    for line in out.splitlines():
        if line.startswith(("rule ", "localrule ")):
            current = line.split()[1].rstrip(":")
        elif line.strip().startswith("reason: Params have changed") and current:
            rules.add(current)
    return rules


def test_seed_reruns_training_and_T_eval_only_evaluation(smoke_clone, tool_env):
    original = _edit(smoke_clone, "seed", lambda v: v + 1)
    try:
        out = _run(["snakemake", "-n"], smoke_clone, tool_env)
        assert {"train_diffae", "train_ddim", "train_gzsnet", "train_aeds"} <= _rules_rerun_for_params(out)
    finally:
        (smoke_clone / "params.yaml").write_text(original)
    original = _edit(smoke_clone, "diffusion.T_eval", lambda v: v + 1)
    try:
        out = _run(["snakemake", "-n"], smoke_clone, tool_env)
        assert _rules_rerun_for_params(out) == {"eval_table2", "eval_editing"}  # evaluation only
        for rule in ("encode_diffae", "train_diffae", "train_ddim", "train_gae", "finetune"):
            assert f"rule {rule}:" not in out, rule
    finally:
        (smoke_clone / "params.yaml").write_text(original)


def test_gae_param_change_reruns_only_downstream(smoke_clone, tool_env):
    out = _run(["snakemake", "-n"], smoke_clone, tool_env)
    assert "Nothing to be done" in out
    original = (smoke_clone / "params.yaml").read_text()
    _bump_gae(smoke_clone)
    try:
        out = _run(["snakemake", "-n", "reports/table2.csv", "reports/claims.csv"], smoke_clone, tool_env)
        assert "rule train_gae:" in out and "rule finetune:" in out and "rule table2:" in out
        assert "rule train_diffae:" not in out and "rule train_ddim:" not in out
    finally:
        (smoke_clone / "params.yaml").write_text(original)


def _git_init(clone, env):
    if not (clone / ".git").exists():
        _run(["git", "init", "-q"], clone, env)


def test_a_snakemake_run_hands_over_to_dvc_and_back(smoke_clone, tool_env):
    """`make dvc-record` (dvc commit) records a Snakemake run in dvc.lock without rerunning anything;
    `make touch` (snakemake --touch) after it leaves both tools with nothing to do."""
    _git_init(smoke_clone, tool_env)
    _run(["dvc", "commit", "--force", "--quiet"], smoke_clone, tool_env)  # what `make dvc-record` runs
    assert (smoke_clone / "dvc.lock").is_file()
    up_to_date = "Data and pipelines are up to date"
    assert up_to_date in _run(["dvc", "status"], smoke_clone, tool_env)
    _run(["snakemake", "--cores", "1", "--touch"], smoke_clone, tool_env)  # what `make touch` runs
    assert "Nothing to be done" in _run(["snakemake", "-n"], smoke_clone, tool_env)
    assert up_to_date in _run(["dvc", "status"], smoke_clone, tool_env)


def test_dvc_repro_and_params_tracking(smoke_clone, tool_env):
    """`dvc repro` runs the same commands; after a GAE change, `dvc status` flags GAE and later stages only."""
    _git_init(smoke_clone, tool_env)
    _run(["dvc", "repro", "--quiet", "table2"], smoke_clone, tool_env, timeout=1800)
    original = _edit(smoke_clone, "seed", lambda v: v + 1)
    status = _run(["dvc", "status", "--with-deps", "table2"], smoke_clone, tool_env)
    (smoke_clone / "params.yaml").write_text(original)
    for stage in ("train_diffae:", "train_ddim:", "train_gzsnet:"):
        assert stage in status and "seed" in status, status
    original = _edit(smoke_clone, "diffusion.T_eval", lambda v: v + 1)
    status = _run(["dvc", "status", "--with-deps", "table2"], smoke_clone, tool_env)
    (smoke_clone / "params.yaml").write_text(original)
    assert "eval_table2:" in status and "diffusion.T_eval" in status, status
    for stage in ("encode_diffae:", "train_diffae:", "train_ddim:", "train_gae:", "finetune:", "train_gzsnet:"):
        assert stage not in status, status
    _bump_gae(smoke_clone)
    status = _run(["dvc", "status", "--with-deps", "table2"], smoke_clone, tool_env)
    assert "train_gae:" in status and "losses.gae" in status
    assert "train_diffae:" not in status and "train_ddim:" not in status


def test_dvc_remote_round_trip_to_a_fresh_clone(smoke_clone, tool_env, tmp_path):
    """`dvc push` the run to a (local directory) remote, clone the repository afresh, `dvc pull`, `make touch`:
    both tools then have nothing to do."""
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    _git_init(smoke_clone, tool_env)
    _run(["dvc", "commit", "--force", "--quiet"], smoke_clone, tool_env)
    remote = tmp_path / "remote"
    _run(["dvc", "remote", "add", "--force", "--default", "store", str(remote)], smoke_clone, tool_env)
    _run(["dvc", "push", "--quiet"], smoke_clone, tool_env)
    _run(git + ["add", "-A"], smoke_clone, tool_env)
    _run(git + ["commit", "-q", "-m", "smoke run"], smoke_clone, tool_env)
    fresh = tmp_path / "fresh"
    _run(git + ["clone", "-q", str(smoke_clone), str(fresh)], tmp_path, tool_env)
    assert not (fresh / "data/models/diffae/final.pt").exists()
    _run(["dvc", "pull", "--quiet"], fresh, tool_env)
    assert (fresh / "data/models/diffae/final.pt").read_bytes() == (smoke_clone / "data/models/diffae/final.pt"
                                                                    ).read_bytes()
    _run(["snakemake", "--cores", "1", "--touch"], fresh, tool_env)  # what `make touch` runs
    assert "Nothing to be done" in _run(["snakemake", "-n"], fresh, tool_env)
    assert "Data and pipelines are up to date" in _run(["dvc", "status"], fresh, tool_env)


def test_one_html_report_holds_every_table_figure_and_caption(smoke_clone, tool_env):
    out = _run(["snakemake", "--report", "reports/report.html"], smoke_clone, tool_env)
    html = (smoke_clone / "reports/report.html").read_text(errors="replace")
    assert len(html) > 10_000, out[-2000:]
    for entry in ("table1.csv", "table2.csv", "claims.csv", "fig2_tsne_diffae.png", "fig5_tsne_zsem_zdis.png",
                  "fig6_replacement.png", "fig9_single_attribute.png", "fig10_ppl.png", "ilab_groups.png"):
        assert entry in html, entry
    for caption in ("linear-probe accuracy", "GROUP(C, s) examples", "perceptual path length", "Diff-AE Table 2"):
        assert caption in html, caption


def test_logs_benchmarks_and_metrics_of_the_run(smoke_clone):
    for rule in ("train_diffae", "eval_table2", "claims"):
        assert "done in" in (smoke_clone / f"logs/{rule}.log").read_text(), rule
        bench = pd.read_csv(smoke_clone / f"logs/benchmarks/{rule}.tsv", sep="\t")
        assert {"s", "max_rss"} <= set(bench.columns) and bench["s"].iloc[0] > 0, rule
    summary = yaml.safe_load((smoke_clone / "reports/metrics.json").read_text())
    assert set(summary) == {"diffusegae", "diffae", "diffsiam", "claims"} and summary["claims"]["total"] > 5
    assert summary["diffsiam"]["table4_1"]["SimSiam"]["DTD"] is not None


def test_dvc_plots_show_every_training_curve(smoke_clone, tool_env):
    """metrics.csv (the loop's one log) is a plot of each training stage: `dvc plots show` finds every curve."""
    _git_init(smoke_clone, tool_env)
    res = subprocess.run(["dvc", "plots", "show", "--json"], cwd=smoke_clone, env=tool_env, capture_output=True,
                         text=True, timeout=300)
    shown = json.loads(res.stdout)
    assert not shown.get("errors"), shown.get("errors")
    curves = {next(iter(p)) for stage in dvc_stages(smoke_clone).values() for p in stage.get("plots", [])}
    params = yaml.safe_load((smoke_clone / "params.yaml").read_text())
    n_zoo = 3 * len(params["diffae_zoo"]["datasets"])  # Diff-AE, DDIM and latent DDIM per zoo dataset
    n_diffsiam = 1 + len(params["diffsiam"]["runs"])  # the frozen DM and one encoder per run
    n_diffsiam += len(params["diffsiam"]["generative_datasets"]) * len(params["eval"]["diffsiam_figures"]["runs"])
    assert len(curves) == 7 + len(params["zsem_ablation"]["z_dims"]) + n_zoo + n_diffsiam
    assert set(shown["data"]) == curves
    for curve in curves:
        values = shown["data"][curve][0]["content"]["data"]["values"]
        assert [int(v["step"]) for v in values] == pd.read_csv(smoke_clone / curve)["step"].tolist() != [], curve


def test_another_split_retrains_from_scratch_not_from_the_old_checkpoint(smoke_clone, tool_env):
    """Last in this module: it leaves the clone trained on another split. Changing the split seed reruns the split and Diff-AE training; the old last.pt (not an output of any
    rule) belongs to other data, so training starts fresh and keeps it in checkpoints/stale/."""
    models = smoke_clone / "data/models/diffae"
    before = (models / "final.pt").read_bytes()
    original = _edit(smoke_clone, "data.ilab.split.seed", lambda v: v + 1)
    try:
        out = _run(["snakemake", "--cores", "2", "data/models/diffae/final.pt"], smoke_clone, tool_env)
    finally:
        (smoke_clone / "params.yaml").write_text(original)
    assert "belongs to another run: the training data differ" in out and "starting fresh" in out, out[-3000:]
    assert len(list((models / "checkpoints" / "stale").glob("last-*.pt"))) == 1
    assert (models / "final.pt").read_bytes() != before

