"""The workflow: Snakefile and dvc.yaml agree, dry runs succeed, paper presets guard their roots."""
import re
import shlex
import subprocess

import yaml


def _run(args, repo, env, check=True):
    res = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    return res


def snakemake_jobs(repo, env, *extra):
    """rule name -> {'output': [...], 'input': [...], 'shell': str} from a forced dry run."""
    res = _run(["snakemake", "-n", "-p", "--forceall", *extra], repo, env)
    jobs, current = {}, None
    for line in (res.stdout + res.stderr).splitlines():
        m = re.match(r"^(?:local)?rule (\w+):$", line.strip())
        if m:
            current = jobs.setdefault(m.group(1), {"output": [], "input": [], "shell": None})
            continue
        if current is None:
            continue
        s = line.strip()
        if s.startswith("output:"):
            current["output"] = [x.strip() for x in s[len("output:"):].split(",") if x.strip()]
        elif s.startswith("input:"):
            current["input"] = [x.strip() for x in s[len("input:"):].split(",") if x.strip()]
        elif s.startswith("Shell command:"):
            current["shell"] = s[len("Shell command:"):].strip()
    return jobs


def rule_config_keys(repo):
    """rule name -> set of dotted config keys the rule passes through `params:`."""
    keys = {}
    for smk in (repo / "workflow/rules").glob("*.smk"):
        for block in re.split(r"(?m)^(?=rule )", smk.read_text()):
            m = re.match(r"rule (\w+):", block)
            if not m or "    params:" not in block:
                continue
            params_part = block.split("    params:")[1].split("    shell:")[0]
            found = set()
            for ref in re.findall(r'config((?:\["\w+"\])+)', params_part):
                found.add(".".join(re.findall(r'\["(\w+)"\]', ref)))
            keys[m.group(1)] = found
    return keys


def normalise_cmd(cmd):
    return shlex.split(" ".join(cmd.split()))


def test_snakefile_and_dvc_yaml_agree(repo, tool_env):
    jobs = snakemake_jobs(repo, tool_env)
    stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    rules = {k: v for k, v in jobs.items() if k != "all"}
    assert set(rules) == set(stages), f"rules only: {set(rules) - set(stages)}; stages only: {set(stages) - set(rules)}"
    config_keys = rule_config_keys(repo)
    for name, job in rules.items():
        stage = stages[name]
        assert normalise_cmd(stage["cmd"]) == normalise_cmd(job["shell"]), f"{name}: commands differ"
        outs = {o if isinstance(o, str) else next(iter(o)) for o in stage.get("outs", [])}
        assert outs == set(job["output"]), f"{name}: outs {outs} != outputs {job['output']}"
        deps = set(stage.get("deps", []))
        assert set(job["input"]) <= deps, f"{name}: inputs {set(job['input']) - deps} missing from dvc deps"
        assert set(stage.get("params", [])) == config_keys.get(name, set()), f"{name}: params sections differ"


def test_dvc_params_sections_exist(repo):
    params = yaml.safe_load((repo / "params.yaml").read_text())
    for name, stage in yaml.safe_load((repo / "dvc.yaml").read_text())["stages"].items():
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
    stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    for name in stages:
        assert name in res.stdout


def test_paper_preset_without_root_fails_naming_the_key(repo, tool_env):
    res = _run(["snakemake", "-n", "--configfile", "presets/paper-ilab.yaml"], repo, tool_env, check=False)
    assert res.returncode != 0
    assert "data.ilab.root" in res.stdout + res.stderr


def test_paper_preset_with_root_dry_runs(repo, tool_env, tmp_path):
    raw = yaml.safe_load((repo / "presets/paper-ilab.yaml").read_text())
    raw["data"]["ilab"]["root"] = str(tmp_path)
    cfg = tmp_path / "paper.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    res = _run(["snakemake", "-n", "--forceall", "--configfile", str(cfg)], repo, tool_env)
    out = res.stdout + res.stderr
    assert "prepare_ilab" in out and "standin_ilab" not in out


def test_gpu_medium_preset_dry_runs_every_stage_on_standins(repo, tool_env):
    res = _run(["snakemake", "-n", "--forceall", "--configfile", "presets/gpu-medium.yaml"], repo, tool_env)
    out = res.stdout + res.stderr
    for rule in ("standin_ilab", "train_diffae", "finetune", "table2", "table_diffae_recon", "figure_ppl", "claims"):
        assert f"rule {rule}:" in out, rule
