"""The smoke preset end to end on a real SLURM cluster, through Snakemake's SLURM executor and the project's
profile (`make test-cluster`, after `workflow/cluster/slurm-single-node.sh up` has started a one-node cluster).

Training jobs ask for two GPUs (`cluster.train.gpus: 2`), so they start through torchrun with two processes;
the test node's GPUs are GRES stand-ins and the processes run on the CPU (gloo). Snakemake is called by path
with the venv off PATH, as a user who never activated it would.
"""
import os
import re
import shutil
import subprocess

import pandas as pd
import pytest
import yaml
from conftest import VENV_BIN, copy_checkout

pytestmark = pytest.mark.cluster

GPU_RULES = {"train_diffae", "train_ddim", "train_diffae_zoo", "train_ddim_zoo", "train_diffae_zdim",
             "train_latent_ddim", "train_gae", "finetune", "train_gzsnet", "train_aeds", "encode_diffae",
             "encode_diffusegae", "eval_diffae_table2", "eval_diffae_zdim", "eval_table2", "eval_editing", "eval_ppl",
             "train_latent_zoo", "encode_zoo", "eval_diffae_uncond", "eval_diffae_figures", "eval_diffae_ppl",
             "fit_attr_classifier", "eval_diffae_manipulation", "eval_diffae_fewshot", "train_diffsiam_dm",
             "train_diffsiam", "eval_diffsiam_transfer", "eval_diffsiam_figures",
             "train_diffsiam_gen", "eval_diffsiam_gen_figures"}


def _slurm_jobs():
    """Every job slurmctld remembers: rule (from the plugin's --comment), partition, GPUs, memory, time."""
    out = subprocess.run(["squeue", "--state=all", "-h", "-O",
                          "JobID:12,Partition:12,Comment:60,tres-per-job:24,MinMemory:12,TimeLimit:12,State:14"],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines() if line.strip()]
    return pd.DataFrame(rows, columns=["id", "partition", "comment", "gpus", "mem", "time", "state"])


@pytest.fixture(scope="module")
def cluster_run(repo, tmp_path_factory):
    if shutil.which("sbatch") is None or subprocess.run(["sinfo"], capture_output=True).returncode != 0:
        pytest.fail("no SLURM cluster answers here: run `bash workflow/cluster/slurm-single-node.sh up` (as root) "
                    "first, or `make test-cluster`, which does")
    clone = copy_checkout(repo, tmp_path_factory.mktemp("cluster") / "repo")
    cfg = yaml.safe_load((clone / "presets/smoke.yaml").read_text())
    cfg["preset"] = "cluster-smoke"
    cfg["cluster"]["train"]["gpus"] = 2
    cfg["cluster"]["gpu"]["gpus"] = 1
    (clone / "cluster-smoke.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    before = set(_slurm_jobs()["id"])
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != str(VENV_BIN))
    cmd = [str(VENV_BIN / "snakemake"), "--profile", "workflow/profiles/slurm", "--configfile", "cluster-smoke.yaml",
           "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "1"]
    res = subprocess.run(cmd, cwd=clone, env=env, capture_output=True, text=True, timeout=1800)
    assert res.returncode == 0, f"{' '.join(cmd)} failed:\n{res.stdout[-4000:]}\n{res.stderr[-4000:]}"
    jobs = _slurm_jobs()
    return clone / "results/cluster-smoke", jobs[~jobs["id"].isin(before)], res.stdout + res.stderr


def test_every_job_ran_on_slurm_and_wrote_the_reports(cluster_run):
    tree, jobs, log = cluster_run
    steps = int(re.findall(r"(\d+) of \1 steps \(100%\) done", log)[-1])
    assert len(jobs) == steps - 1 and (jobs["state"] == "COMPLETED").all(), jobs  # every job but the local `all`
    for csv in ("table1", "table2", "diffae/table2", "claims"):
        assert len(pd.read_csv(tree / f"reports/{csv}.csv")) > 0, csv
    assert (tree / "reports/metrics.json").stat().st_size > 0
    assert (tree / "reports/figures/fig10_ppl.png").stat().st_size > 5000


def test_gpu_rules_went_to_the_gpu_partition_with_the_params_sizes(cluster_run):
    _, jobs, _ = cluster_run
    jobs = jobs.assign(rule=jobs["comment"].str.removeprefix("rule_").str.replace(r"_wildcards_.*$", "", regex=True))
    assert set(jobs["rule"]) >= GPU_RULES
    for row in jobs.itertuples():
        gpu_rule = row.rule in GPU_RULES
        assert row.partition == ("gpu" if gpu_rule else "cpu"), row
        training = row.rule.startswith("train_") or row.rule == "finetune"
        want = "gres:gpu:2" if training else ("gres:gpu:1" if gpu_rule else "N/A")
        assert row.gpus == want, row
        assert row.mem == ("1500M" if gpu_rule else "1000M") and row.time == "10:00", row


def test_training_ran_two_torchrun_processes(cluster_run):
    tree, _, _ = cluster_run
    for rule in ("train_diffae", "train_ddim", "finetune"):
        log = (tree / f"logs/{rule}.log").read_text()
        assert len(re.findall(r"diffae (?:train-\w+|finetune): done in", log)) == 2, log[-2000:]
    assert (tree / "data/models/diffae/final.pt").stat().st_size > 0


def test_rule_logs_and_benchmarks_of_every_job(cluster_run):
    tree, jobs, _ = cluster_run
    for comment in jobs["comment"]:  # rule_<name>, or rule_<name>_wildcards_<value> for a wildcard rule
        name = comment.removeprefix("rule_").replace("_wildcards_", "_")
        assert (tree / f"logs/{name}.log").exists(), name
        bench = pd.read_csv(tree / f"logs/benchmarks/{name}.tsv", sep="\t")
        assert bench["s"].iloc[0] > 0, name
