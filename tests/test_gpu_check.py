"""benchmarks/gpu_check.sh, the GPU node's measurements in parts: its wheel list pins what the suite tests, it
stops with a readable error where neither the node's python nor a wheelhouse holds the dependencies, and its
``fit`` part runs the real preset_fit end to end (here on the CPU, over the smoke preset)."""
import csv
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "benchmarks" / "gpu_check.sh"
REQUIREMENTS = REPO / "benchmarks" / "gpu_node_requirements.txt"


def _pins() -> dict[str, str]:
    lines = [ln.strip() for ln in REQUIREMENTS.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    pins = {}
    for ln in lines:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)==([0-9][A-Za-z0-9.]*)", ln)
        assert m, f"{REQUIREMENTS.name}: '{ln}' is not NAME==VERSION"
        pins[m.group(1)] = m.group(2)
    return pins


def _runtime_closure() -> set[str]:
    """Normalised names of diffae-repro's dependencies and theirs, extras left out."""
    seen, todo = set(), ["diffae-repro"]
    while todo:
        dist = todo.pop()
        for spec in metadata.requires(dist) or []:
            req = Requirement(spec)
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            name = canonicalize_name(req.name)
            if name not in seen:
                seen.add(name)
                try:
                    metadata.distribution(name)
                except metadata.PackageNotFoundError:
                    continue
                todo.append(name)
    return seen


def test_node_requirements_pin_installed_dependencies_of_the_project():
    pins, closure = _pins(), _runtime_closure()
    names = {canonicalize_name(n) for n in pins}
    assert {"pydantic", "jsonschema", "lpips", "pytorch-fid", "opentsne", "lmdb"} <= names
    for name, version in pins.items():
        assert canonicalize_name(name) in closure, f"{name} is no runtime dependency of diffae-repro"
        assert metadata.version(name) == version, f"{name}: pinned {version}, the suite runs {metadata.version(name)}"
    assert not names & {"torch", "torchvision", "numpy", "snakemake", "dvc"}


def _script(part: str, tmp_path: Path, **env) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHON": sys.executable, "RESULTS": str(tmp_path / "results"), "DEVICE": "cpu", **env}
    return subprocess.run(["bash", str(SCRIPT), part], capture_output=True, text=True, env=full, timeout=600)


def test_a_python_without_the_dependencies_and_no_wheels_is_a_readable_error(tmp_path):
    (tmp_path / "wheels").mkdir()
    done = _script("fit", tmp_path, PYTHON="false", WHEELHOUSE=str(tmp_path / "wheels"))
    assert done.returncode == 2
    assert "make wheelhouse" in done.stderr and str(tmp_path / "wheels") in done.stderr
    assert not (tmp_path / "results").exists()


def test_an_unknown_part_is_named(tmp_path):
    done = _script("speed", tmp_path)
    assert done.returncode == 2 and "unknown part 'speed'" in done.stderr


@pytest.mark.slow
def test_fit_part_runs_every_training_command_of_a_preset(tmp_path):
    """preset_fit through the script, over the smoke preset: every image training command of the pipeline runs
    (real CLI, in one process) and is ok or identical to one above; the log and the CSV are written."""
    done = _script("fit", tmp_path, FIT_PRESETS="presets/smoke.yaml")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = list(csv.DictReader(open(tmp_path / "results" / "fit.csv")))
    commands = {r["command"].split()[0] for r in rows}
    assert {"train-diffae", "train-ddim", "train-gae", "finetune", "train-gzsnet", "train-aeds", "train-diffae-zoo",
            "train-ddim-zoo", "train-diffsiam-dm", "train-diffsiam", "train-diffsiam-gen"} <= commands
    assert all(r["result"] == "ok" or r["result"].startswith("as above") for r in rows)
    assert all(r["compile"] == "False" for r in rows)  # the part runs eager
    log = (tmp_path / "results" / "fit.log").read_text()
    assert log.startswith("torch ") and "all presets:" in log
