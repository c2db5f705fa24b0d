"""Preflight: a paper-scale run fails before its first job when roots, weights, outputs or the GPU are missing."""
import shutil
import subprocess

import pytest
import torch

from diffae.config import load_params
from diffae.eval.weights import METRIC_WEIGHTS
from diffae.preflight import main, preflight


@pytest.fixture
def paper(params_file, tmp_path):
    """The paper-ilab preset with (empty) iLab, FFHQ and CelebA-HQ roots (Diff-AE on faces included) and a
    weights folder under tmp, plus `edits`."""

    def write(**edits):
        roots = {}
        for name in ("ilab", "ffhq", "celebahq"):
            (tmp_path / name).mkdir(exist_ok=True)
            roots[f"data.{name}.root"] = str(tmp_path / name)
        return params_file("paper-ilab.yaml", "paper.yaml", **{**roots, "metrics.weights_dir": str(tmp_path / "weights"),
                                                              **edits})

    return write


def _weights(tmp_path):
    (tmp_path / "weights").mkdir(exist_ok=True)
    for name in METRIC_WEIGHTS:
        (tmp_path / "weights" / name).write_bytes(b"x")


def test_a_ready_paper_run_passes(repo, tmp_path, empty_hub, paper):
    _weights(tmp_path)
    assert preflight(load_params(paper()), [tmp_path / "out" / "data"]) == []


def test_each_missing_piece_is_named(repo, tmp_path, empty_hub, paper):
    params = load_params(paper(**{"data.ilab.root": str(tmp_path / "nope")}))
    problems = preflight(params, [tmp_path / "out"])
    assert len(problems) == 2, problems
    assert "data.ilab.root" in problems[0] and "is not a folder" in problems[0]
    assert all(name in problems[1] for name in METRIC_WEIGHTS) and "diffae fetch-weights" in problems[1]


def test_unwritable_output_and_missing_gpu(repo, tmp_path, empty_hub, monkeypatch, paper):
    _weights(tmp_path)
    monkeypatch.setattr("diffae.preflight.os.access", lambda path, mode: "locked" not in str(path))
    (tmp_path / "locked").mkdir()
    params = load_params(paper(device="cuda"))
    problems = preflight(params, [tmp_path / "locked" / "results" / "data"])
    assert any("cannot be written" in p and "locked" in p for p in problems), problems
    if not torch.cuda.is_available():
        assert any("device: cuda" in p and "no CUDA GPU" in p for p in problems), problems


def test_embedded_default_needs_no_weights(repo, tmp_path, empty_hub):
    assert preflight(load_params(repo / "params.yaml"), [tmp_path]) == []


def test_command_line(repo, tmp_path, empty_hub, capsys, paper):
    assert main([str(paper()), str(tmp_path)]) == 1
    assert "metric weights" in capsys.readouterr().err
    _weights(tmp_path)
    assert main([str(paper()), str(tmp_path)]) == 0


def test_snakemake_stops_before_the_first_job_and_a_dry_run_still_works(repo, tool_env, tmp_path, paper):
    clone = tmp_path / "repo"
    shutil.copytree(repo / "workflow", clone / "workflow", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(repo / "params.yaml", clone / "params.yaml")
    cfg = paper()
    env = {**tool_env, "TORCH_HOME": str(tmp_path / "torch-home")}
    run = subprocess.run(["snakemake", "--cores", "1", "--configfile", str(cfg)], cwd=clone, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode != 0 and "preflight failed" in run.stdout + run.stderr
    assert "metric weights" in run.stdout + run.stderr
    assert not (clone / "results").exists()  # nothing ran
    dry = subprocess.run(["snakemake", "-n", "--configfile", str(cfg)], cwd=clone, env=env,
                         capture_output=True, text=True, timeout=300)
    assert dry.returncode == 0, dry.stdout[-2000:] + dry.stderr[-2000:]  # a dry run works on a login node

