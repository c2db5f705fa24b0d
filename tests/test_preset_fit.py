"""benchmarks/preset_fit.py shortens each preset without changing what decides its memory, and its runs are the
real commands (checked end to end on the smoke preset)."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from diffae.config import load_params

REPO = Path(__file__).resolve().parents[1]
PRESETS = sorted((REPO / "presets").glob("*.yaml"))


def _module():
    spec = importlib.util.spec_from_file_location("preset_fit", REPO / "benchmarks" / "preset_fit.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["preset_fit"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.stem)
def test_short_params_validate_and_keep_what_decides_memory(preset, tmp_path):
    short = _module().short_params(preset, steps=3, device="cpu")
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(short))
    params = load_params(tmp_path / "p.yaml")  # a valid params file
    shipped = load_params(preset)
    for name in ("diffae", "ddim", "diffae_zoo", "ddim_zoo", "finetune", "diffsiam", "diffsiam_gen"):
        got, want = getattr(params.train, name), getattr(shipped.train, name)
        assert got.steps == 3
        assert (got.batch_size, got.micro_batch, got.amp, got.channels_last, got.compile) == (
            want.batch_size, want.micro_batch, want.amp, want.channels_last, want.compile)
    assert params.model == shipped.model and params.diffusion == shipped.diffusion
    assert params.data.ilab.image_size == shipped.data.ilab.image_size == params.data.ilab.standin.image_size
    s = params.data.ilab.standin
    groups = params.data.ilab.groups.n_train
    assert groups >= max(params.train.gae.batch_size, params.train.finetune.batch_size)
    assert 0.75 * s.n_identities * s.n_backgrounds * s.n_poses >= groups  # the train split has a centre per GROUP
    eager = _module().short_params(preset, steps=3, device="cpu", eager=True)
    assert not any(section["compile"] for section in eager["train"].values())
    assert {k: {**v, "compile": False} for k, v in short["train"].items()} == eager["train"]


@pytest.mark.slow
def test_every_training_command_of_the_smoke_preset_runs():
    """In its own process: the commands pin torch's threads and configure logging."""
    script, preset = REPO / "benchmarks" / "preset_fit.py", REPO / "presets" / "smoke.yaml"
    out = subprocess.run([sys.executable, str(script), str(preset), "--steps", "2", "--device", "cpu"],
                         capture_output=True, text=True, timeout=600, check=True)
    table = out.stdout.split("all presets:")[1].strip().splitlines()
    header, rows = table[0].split(), [line.split() for line in table[1:]]
    commands = {row[1] for row in rows}
    assert {"train-diffae", "train-ddim", "train-gae", "finetune", "train-diffae-zoo", "train-ddim-zoo",
            "train-diffsiam-dm", "train-diffsiam", "train-diffsiam-gen"} <= commands
    assert "result" in header and all(row[-1] == "ok" or row[-2:-1] == ["above"] for row in rows), out.stdout
