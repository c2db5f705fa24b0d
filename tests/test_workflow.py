"""The workflow: Snakefile, dvc.yaml and the command table agree, each rule reruns exactly when a knob its
command reads changes, dry runs succeed, paper presets guard their roots."""
import re
import shlex
import shutil
import subprocess

import pytest
import yaml

from conftest import dvc_stages

from diffae.commands import COMMANDS
from diffae.params_view import covers


def _run(args, repo, env, check=True):
    res = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    return res


def snakemake_jobs(repo, env, *extra):
    """Every job of a forced dry run (see dry_run_jobs)."""
    return dry_run_jobs(repo, env, "--forceall", *extra)


def dry_run_jobs(repo, env, *extra):
    """rule name -> {'output': [...], 'input': [...], 'shell': str, 'reason': str} of the jobs a dry run schedules."""
    res = _run(["snakemake", "-n", "-p", *extra], repo, env)
    jobs, current = {}, None
    for line in (res.stdout + res.stderr).splitlines():
        m = re.match(r"^(?:local)?rule (\w+):$", line.strip())
        if m:
            current = jobs.setdefault(m.group(1), {"output": [], "input": [], "shell": None, "reason": ""})
            continue
        if current is None:
            continue
        s = line.strip()
        if s.startswith("wildcards:"):  # a wildcard job: key it as DVC names a foreach / matrix stage, rule@v1-v2
            name = next(k for k, v in jobs.items() if v is current)
            values = [w.split("=", 1)[1].strip() for w in s[len("wildcards:"):].split(",")]
            jobs[f"{name}@{'-'.join(values)}"] = jobs.pop(name)
        elif s.startswith("output:"):
            current["output"] = [x.strip() for x in s[len("output:"):].split(",") if x.strip()]
        elif s.startswith("input:"):
            current["input"] = [x.strip() for x in s[len("input:"):].split(",") if x.strip()]
        elif s.startswith("Shell command:"):
            current["shell"] = s[len("Shell command:"):].strip()
        elif s.startswith("reason:"):
            current["reason"] = s[len("reason:"):].strip()
    return jobs


def rule_params(repo):
    """rule name -> the text of each entry of its `params:` block."""
    rules = {}
    for smk in (repo / "workflow/rules").glob("*.smk"):
        for block in re.split(r"(?m)^(?=rule )", smk.read_text()):
            m = re.match(r"rule (\w+):", block)
            if m:
                part = re.search(r"(?ms)^    params:\n((?:        .*?\n)+)", block)
                rules[m.group(1)] = [line.strip() for line in part.group(1).splitlines()] if part else []
    return rules


def command_of(shell):
    """(command name, {flag: value}) of a `diffae <command> --flag value ...` line."""
    words = normalise_cmd(shell)
    assert words[0] == "diffae", shell
    flags = dict(zip(words[2::2], words[3::2]))
    assert all(f.startswith("--") for f in flags), shell
    return words[1], {f[2:]: v for f, v in flags.items()}


def normalise_cmd(cmd):
    """The words of a command without the rule's log redirection (`2>&1 | tee <log>`)."""
    return shlex.split(re.sub(r"\s+2>&1\s*\|\s*tee\s+\S+\s*$", "", " ".join(cmd.split())))


def test_snakefile_and_dvc_yaml_agree(repo, tool_env):
    jobs = snakemake_jobs(repo, tool_env)
    stages = dvc_stages(repo)
    rules = {k: v for k, v in jobs.items() if k != "all"}
    assert set(rules) == set(stages), f"rules only: {set(rules) - set(stages)}; stages only: {set(stages) - set(rules)}"
    for name, job in rules.items():
        stage = stages[name]
        assert normalise_cmd(stage["cmd"]) == normalise_cmd(job["shell"]), f"{name}: commands differ"
        declared = stage.get("outs", []) + stage.get("metrics", []) + stage.get("plots", [])
        outs = {o if isinstance(o, str) else next(iter(o)) for o in declared}
        # A training curve persists across runs (the loop resumes it): a DVC plot, not a Snakemake output,
        # which Snakemake would delete before a rerun that resumes a finished checkpoint.
        curves = {next(iter(o)) for o in declared if isinstance(o, dict) and next(iter(o.values())).get("persist")}
        rule, _, item = name.partition("@")
        folder = {"finetune": "diffusegae", "train_diffae_zoo": f"{item}/diffae", "train_ddim_zoo": f"{item}/ddim",
                  "train_latent_zoo": f"{item}/latent_ddim", "train_diffae_zdim": f"ffhq/diffae_z{item}",
                  "train_diffsiam": f"diffsiam/{item}", "train_diffsiam_dm": "diffsiam/dm",
                  "train_diffsiam_gen": "/diffsiam/".join(item.split("-"))}.get(
            rule, name.removeprefix("train_"))
        assert curves == ({f"data/models/{folder}/metrics.csv"} if name.startswith("train_") or name == "finetune"
                          else set()), name
        assert outs - curves == set(job["output"]), f"{name}: outs {outs} != outputs {job['output']}"
        deps = set(stage.get("deps", []))
        assert set(job["input"]) <= deps, f"{name}: inputs {set(job['input']) - deps} missing from dvc deps"


def test_rule_and_stage_params_are_exactly_what_the_command_reads(repo, tool_env):
    """Each rule tracks `tracked(<its command>)` and nothing else; each dvc stage lists the command's reads."""
    stages = dvc_stages(repo)
    params = rule_params(repo)
    for name, job in snakemake_jobs(repo, tool_env).items():
        if name == "all":
            continue
        command, flags = command_of(job["shell"])
        rule = name.split("@")[0]
        assert params[rule] == ["cfg=PARAMS,", f'tracked=tracked("{command}"),'], f"{name}: params {params[rule]}"
        assert stages[name].get("params", []) == list(COMMANDS[command].reads), f"{name}: dvc params differ"
        declared = {f.name for f in COMMANDS[command].all_flags}
        required = {f.name for f in COMMANDS[command].all_flags if f.required}
        assert required <= set(flags) - {"params"} <= declared, f"{name}: flags {sorted(flags)} vs {sorted(declared)}"


def test_dvc_params_sections_exist(repo):
    params = yaml.safe_load((repo / "params.yaml").read_text())
    for name, stage in dvc_stages(repo).items():
        for dotted in stage.get("params", []):
            node = params
            for key in dotted.split("."):
                assert key in node, f"dvc stage {name}: params key {dotted} not in params.yaml"
                node = node[key]


def test_dry_run_default_target(repo, tool_env):
    res = _run(["snakemake", "-n", "--forceall"], repo, tool_env)
    assert "rule all" in res.stdout + res.stderr


def test_dvc_sees_the_pipeline(repo, tool_env):
    res = _run(["dvc", "stage", "list"], repo, tool_env)
    stages = dvc_stages(repo)
    for name in stages:
        assert name in res.stdout


def test_paper_preset_without_root_fails_naming_the_key(repo, tool_env):
    res = _run(["snakemake", "-n", "--configfile", "presets/paper-ilab.yaml"], repo, tool_env, check=False)
    assert res.returncode != 0
    assert "data.ilab.root" in res.stdout + res.stderr


def test_paper_preset_with_root_dry_runs(repo, tool_env, tmp_path):
    """paper-ilab with its iLab root runs DiffuseGAE's stages on it (Diff-AE Table 2's claims read NA); with the
    FFHQ and CelebA-HQ roots set too it adds Diff-AE on faces. No stand-in of a dataset with a root is planned;
    datasets it does not need (CelebA, LSUN) stay out of the run."""
    raw = yaml.safe_load((repo / "presets/paper-ilab.yaml").read_text())
    cfg = tmp_path / "paper.yaml"

    def dry_run(*datasets):
        for dataset in datasets:
            raw["data"][dataset]["root"] = str(tmp_path / dataset)
        cfg.write_text(yaml.safe_dump(raw))
        res = _run(["snakemake", "-n", "-p", "--forceall", "--configfile", str(cfg)], repo, tool_env)
        return res.stdout + res.stderr

    out = dry_run("ilab")
    assert "rule prepare_ilab:" in out and "rule claims:" in out and "standin_" not in out
    assert "train_diffae_zoo" not in out and "--diffae-table2" not in out
    out = dry_run("ffhq", "celebahq")
    for name in ("ilab", "ffhq", "celebahq"):
        assert f"rule prepare_{name}:" in out and f"rule standin_{name}:" not in out, name
    assert "rule train_diffae_zoo:" in out and "rule eval_diffae_table2:" in out and "--diffae-table2" in out
    assert "prepare_celeba:" not in out and "prepare_horse:" not in out


def test_diffae_paper_preset_runs_faces_only_and_refuses_null_roots(repo, tool_env, tmp_path):
    """paper-diffae-ffhq128 with its face roots plans Diff-AE on faces and no iLab stage; with no root at all a
    paper preset stops at once, naming the keys."""
    raw = yaml.safe_load((repo / "presets/paper-diffae-ffhq128.yaml").read_text())
    cfg = tmp_path / "paper.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    res = _run(["snakemake", "-n", "--configfile", str(cfg)], repo, tool_env, check=False)
    assert res.returncode != 0 and "data.ffhq.root with data.celebahq.root" in res.stdout + res.stderr
    for dataset in ("ffhq", "celebahq"):
        raw["data"][dataset]["root"] = str(tmp_path / dataset)
    cfg.write_text(yaml.safe_dump(raw))
    out = _run(["snakemake", "-n", "--forceall", "--configfile", str(cfg)], repo, tool_env)
    text = out.stdout + out.stderr
    for rule in ("prepare_ffhq", "prepare_celebahq", "train_diffae_zoo", "train_ddim_zoo", "train_diffae_zdim",
                 "eval_diffae_table2", "table_diffae_autoenc", "table_diffae_hparams"):
        assert f"rule {rule}:" in text, rule
    assert "ilab" not in text and "standin_" not in text and "rule claims:" in text and "--table1" not in text


@pytest.mark.parametrize("preset, dataset", [("paper-diffae-celeba64", "celeba"),
                                             ("paper-diffae-horse128", "lsun_horse"),
                                             ("paper-diffae-bedroom128", "lsun_bedroom")])
def test_diffae_zoo_paper_preset_runs_its_dataset_only(repo, tool_env, tmp_path, preset, dataset):
    """A Table 4 dataset's paper preset with its root set plans that dataset's Diff-AE, DDIM, latent DDIM and
    Table 4, on the real data (no stand-in) and without the iLab or faces chains; with no root it stops at once."""
    raw = yaml.safe_load((repo / f"presets/{preset}.yaml").read_text())
    assert raw["diffae_zoo"]["datasets"] == [dataset]
    cfg = tmp_path / "paper.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    res = _run(["snakemake", "-n", "--configfile", str(cfg)], repo, tool_env, check=False)
    assert res.returncode != 0 and "sets no dataset root to run" in res.stdout + res.stderr
    raw["data"][dataset]["root"] = str(tmp_path / dataset)
    cfg.write_text(yaml.safe_dump(raw))
    out = _run(["snakemake", "-n", "--forceall", "--configfile", str(cfg)], repo, tool_env)
    text = out.stdout + out.stderr
    for rule in (f"prepare_{dataset.removeprefix('lsun_')}", "train_diffae_zoo", "train_ddim_zoo", "train_latent_zoo",
                 "eval_diffae_uncond", "table_diffae_uncond"):
        assert f"rule {rule}:" in text, rule
    assert f"{dataset}/diffae/final.pt" in text and "ffhq/diffae" not in text
    assert "standin_" not in text and "ilab" not in text and "rule train_diffae_zdim:" not in text
    # DiffSiam's generative runs over this dataset's DDIM, where the thesis has them, without the CIFAR-10 chain
    assert ("rule train_diffsiam_gen:" in text) == (dataset in raw["diffsiam"]["generative_datasets"])
    assert "cifar10" not in text
    if dataset in raw["diffsiam"]["generative_datasets"]:   # alone: the DDIM, the two runs and their figures
        target = f"results/{raw['preset']}/reports/diffsiam/figures"
        out = _run(["snakemake", target, "-n", "--forceall", "--quiet", "rules", "--configfile", str(cfg)], repo,
                   tool_env)
        planned = set(re.findall(r"^(\w+)\s+\d+$", out.stdout, flags=re.M)) - {"total"}
        assert planned == {f"prepare_{dataset.removeprefix('lsun_')}", "train_ddim_zoo", "train_diffsiam_gen",
                           "eval_diffsiam_gen_figures", "figures_diffsiam"}, planned


def test_dvc_figure_stage_reads_every_generative_dataset_of_the_presets_dvc_runs(repo):
    """dvc.yaml's figures_diffsiam lists the generative datasets' grid folders by hand (a cmd cannot join a
    params list): params.yaml and the smoke preset (the end-to-end test's DVC run) must name the same ones."""
    stage = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]["figures_diffsiam"]
    listed = sorted(d.removeprefix("data/eval/diffsiam_figures_") for d in stage["deps"]
                    if d.startswith("data/eval/diffsiam_figures_"))
    for preset in ("params.yaml", "presets/smoke.yaml"):
        assert sorted(yaml.safe_load((repo / preset).read_text())["diffsiam"]["generative_datasets"]) == listed, preset


def test_diffsiam_paper_preset_runs_diffsiam_only(repo, tool_env, tmp_path):
    """paper-diffsiam-cifar10 with its CIFAR-10 and transfer roots plans the frozen DM, every run, both protocols,
    Tables 4.1-4.2, the figures and their claims on the real data; with no root it stops at once."""
    raw = yaml.safe_load((repo / "presets/paper-diffsiam-cifar10.yaml").read_text())
    cfg = tmp_path / "paper.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    res = _run(["snakemake", "-n", "--configfile", str(cfg)], repo, tool_env, check=False)
    assert res.returncode != 0 and "data.cifar10.root with data.transfer.root" in res.stdout + res.stderr
    for dataset in ("cifar10", "transfer"):
        raw["data"][dataset]["root"] = str(tmp_path / dataset)
    cfg.write_text(yaml.safe_dump(raw))
    out = _run(["snakemake", "-n", "-p", "--forceall", "--configfile", str(cfg)], repo, tool_env)
    text = out.stdout + out.stderr
    for rule in ("prepare_cifar10", "train_diffsiam_dm", "train_diffsiam", "eval_diffsiam_transfer",
                 "table_diffsiam", "eval_diffsiam_figures", "figures_diffsiam", "claims"):
        assert f"rule {rule}:" in text, rule
    assert all(f"diffsiam/{run}/final.pt" in text for run in raw["diffsiam"]["runs"])
    assert "--diffsiam-table4-1" in text and "standin_" not in text and "ilab" not in text
    assert "rule train_diffae_zoo:" not in text


def test_rules_name_the_params_file_relative_to_the_repository(repo, tool_env):
    """An absolute --configfile must not make a moved checkout's rules look changed."""
    jobs = snakemake_jobs(repo, tool_env, "--configfile", str(repo / "presets/smoke.yaml"))
    shells = [job["shell"] for name, job in jobs.items() if name != "all"]
    assert shells and not [s for s in shells if "--params presets/smoke.yaml " not in s]


def test_gpu_medium_preset_dry_runs_every_stage_on_standins(repo, tool_env):
    res = _run(["snakemake", "-n", "--forceall", "--configfile", "presets/gpu-medium.yaml"], repo, tool_env)
    out = res.stdout + res.stderr
    for rule in ("standin_ilab", "train_diffae", "finetune", "table2", "table_diffae_recon", "figure_ppl", "claims"):
        assert f"rule {rule}:" in out, rule


def _set(path, dotted, edit):
    raw = yaml.safe_load(path.read_text())
    node = raw
    *parents, last = dotted.split(".")
    for key in parents:
        node = node[key]
    node[last] = edit(node[last])
    path.write_text(yaml.safe_dump(raw, sort_keys=False))


KNOB_EDITS = {  # params key -> a valid new value from the old one
    "seed": lambda v: v + 1,
    "device": lambda v: "cpu" if v != "cpu" else "auto",
    "preset": lambda v: v + "-b",
    "diffusion.T_eval": lambda v: v + 1,
    "diffusion.clip_x0": lambda v: not v,
    "model.gae.partition": lambda v: v[::-1],
    "model.encoder.z_dim": lambda v: v + 1,
}


def _downstream(jobs, names):
    """`names` and every rule that consumes, directly or not, an output of one of them."""
    found, grew = set(names), True
    while grew:
        outputs = {o for name in found for o in jobs[name]["output"]}
        more = {name for name, job in jobs.items() if set(job["input"]) & outputs} - found
        found |= more
        grew = bool(more)
    return found


def _clone(repo, tmp_path):
    clone = tmp_path / "repo"
    shutil.copytree(repo / "workflow", clone / "workflow", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(repo / "presets", clone / "presets")
    shutil.copy(repo / "params.yaml", clone / "params.yaml")
    return clone


def _record_run(clone, env, *extra):
    """Put every output of the (preset's) pipeline in place, touched as Snakemake would leave them after a run;
    returns the jobs (rule name -> job) of that run."""
    jobs = {name: job for name, job in snakemake_jobs(clone, env, *extra).items() if name != "all"}
    for job in jobs.values():
        for out in job["output"]:
            path = clone / out
            if path.suffix:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.touch()
            else:  # directory() outputs: the stand-in folders
                path.mkdir(parents=True, exist_ok=True)
    _run(["snakemake", "--touch", "--forceall", "--cores", "1", "--quiet", *extra], clone, env)
    assert dry_run_jobs(clone, env, *extra) == {}
    return jobs


def test_each_preset_writes_its_own_tree_and_runs_in_any_order(repo, tool_env, tmp_path):
    """params.yaml writes data/ and reports/ (as dvc.yaml does); a --configfile preset writes results/<preset>/.
    After a recorded run of one, the other still has everything to do, and the first stays up to date."""
    clone = _clone(repo, tmp_path)
    smoke = ("--configfile", "presets/smoke.yaml")
    default_jobs = _record_run(clone, tool_env)
    outputs = {o for job in default_jobs.values() for o in job["output"]}
    assert outputs and all(o.startswith(("data/", "reports/")) for o in outputs), sorted(outputs)[:5]
    smoke_jobs = dry_run_jobs(clone, tool_env, *smoke)
    rules = lambda jobs: {name.split("@")[0] for name in jobs} - {"all"}  # noqa: E731 (presets differ in z_dims)
    assert rules(smoke_jobs) == rules(default_jobs)  # nothing of the smoke preset is done yet
    smoke_outputs = {o for job in smoke_jobs.values() for o in job["output"]}
    assert all(o.startswith("results/smoke/") for o in smoke_outputs), sorted(smoke_outputs)[:5]
    _record_run(clone, tool_env, *smoke)
    assert dry_run_jobs(clone, tool_env) == {}  # the default run is untouched by the smoke run
    gpu = dry_run_jobs(clone, tool_env, "--configfile", "presets/gpu-medium.yaml")
    assert all(o.startswith("results/gpu-medium/") for job in gpu.values() for o in job["output"])


def test_a_knob_edit_reruns_exactly_the_rules_whose_command_reads_it(repo, tool_env, tmp_path):
    """After a recorded run (outputs touched into place), editing one knob makes Snakemake rerun the rules whose
    command declares it, for that reason, and what depends on them; nothing else. `seed` reaches every training
    rule; `diffusion.T_eval` is read by no training rule."""
    clone = _clone(repo, tmp_path)
    jobs = _record_run(clone, tool_env)
    readers_of = {key: {name for name, job in jobs.items()
                        if any(covers(k, key) for k in COMMANDS[command_of(job["shell"])[0]].reads)}
                  for key in KNOB_EDITS}
    original = (clone / "params.yaml").read_text()
    for key, edit in KNOB_EDITS.items():
        _set(clone / "params.yaml", key, edit)
        scheduled = {name: job for name, job in dry_run_jobs(clone, tool_env).items() if name != "all"}
        (clone / "params.yaml").write_text(original)
        readers = readers_of[key]
        assert set(scheduled) == _downstream(jobs, readers), f"{key}: scheduled {sorted(scheduled)}"
        first = readers - {d for r in readers for d in _downstream(jobs, {r}) - {r}}
        by_params = {name for name, job in scheduled.items() if job["reason"].startswith("Params have changed")}
        assert by_params == first, f"{key}: params changed for {sorted(by_params)}, first readers {sorted(first)}"
    trained = {name for name in jobs if name.startswith("train_") or name == "finetune"}
    assert readers_of["seed"] == trained | {"eval_table1"}
    assert readers_of["diffusion.T_eval"] == {"eval_table2", "eval_editing"}  # no training rule, no latents


def test_snakemakes_own_utilities_work_without_cores(repo, tool_env, tmp_path):
    """--unlock (the recovery after a kill), --dag, --summary, --list-changes and --lint need no --cores."""
    clone = _clone(repo, tmp_path)
    for args in (["--unlock"], ["--dag"], ["--summary"], ["--list-changes", "params"], ["--lint"]):
        res = _run(["snakemake", *args], clone, tool_env)
        assert res.returncode == 0, args
    assert "digraph" in _run(["snakemake", "--dag"], clone, tool_env).stdout


def test_slurm_profile_sends_every_gpu_rule_to_the_gpu_partition(repo):
    """Every rule declares the resources of its kind (params `cluster`); exactly the training and GPU rules go to
    the GPU partition, and the profile overrides neither sizes nor threads."""
    profile = yaml.safe_load((repo / "workflow/profiles/slurm/config.yaml").read_text())
    text = "".join(p.read_text() for p in (repo / "workflow/rules").glob("*.smk"))
    kinds = {m.group(1): m.group(2) for m in re.finditer(
        r"(?ms)^rule (\w+):\n(?:(?!^rule ).)*?^    resources:\n        \*\*(TRAIN|GPU|CPU)_JOB,", text)}
    shell_rules = set(re.findall(r"(?m)^rule (\w+):\n(?:(?!^rule )(?:.*\n))*?    shell:", text))
    assert shell_rules and shell_rules == set(kinds), shell_rules ^ set(kinds)
    gpu_rules = {rule for rule, kind in kinds.items() if kind != "CPU"}
    assert {"train_diffae", "train_gae", "finetune", "eval_table2", "eval_ppl"} <= gpu_rules
    assert all(kinds[r] == "TRAIN" for r in gpu_rules if r.startswith("train_") or r == "finetune")
    sized = profile["set-resources"]
    assert set(sized) == gpu_rules, set(sized) ^ gpu_rules
    assert all(v == {"slurm_partition": "gpu"} for v in sized.values())
    assert set(profile["default-resources"]) == {"slurm_partition"}
    assert "cpus_per_task" not in str(profile)


def test_jobs_ask_for_the_params_sizes_and_multi_gpu_training_uses_torchrun(repo, tool_env, tmp_path):
    """`cluster.train.gpus: 2` makes training jobs hold two GPUs and start through torchrun, one process each;
    other rules keep their own kind's sizes."""
    clone = _clone(repo, tmp_path)
    cfg = yaml.safe_load((repo / "presets/smoke.yaml").read_text())
    cfg["preset"] = "two-gpus"
    cfg["cluster"]["train"] = {"gpus": 2, "mem_mb": 3000, "runtime": 7}
    (clone / "two-gpus.yaml").write_text(yaml.safe_dump(cfg))
    out = _run(["snakemake", "-n", "-p", "results/two-gpus/data/models/ddim/final.pt", "--configfile", "two-gpus.yaml"],
               clone, tool_env).stdout

    def job(rule):  # the dry run's block of a job: from its header to the blank line after its shell command
        return out[out.index(f"rule {rule}:"):].split("\n\n")[0]

    def resources(rule):
        line = re.search(r"(?m)^    resources: (.*)$", job(rule)).group(1)
        return dict(item.split("=", 1) for item in line.split(", "))

    assert "torchrun --standalone --nproc_per_node 2 -m diffae.cli train-ddim" in job("train_ddim")
    assert {k: resources("train_ddim")[k] for k in ("mem_mb", "runtime", "gpu")} == {
        "mem_mb": "3000", "runtime": "7", "gpu": "2"}
    assert {k: resources("prepare_ilab")[k] for k in ("mem_mb", "runtime")} == {"mem_mb": "1000", "runtime": "10"}
    assert "gpu" not in resources("prepare_ilab") and "torchrun" not in job("prepare_ilab")
