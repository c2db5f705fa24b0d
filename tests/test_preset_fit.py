"""benchmarks/preset_fit.py shortens each preset without changing what decides its memory, and its runs are the
real commands (checked end to end on the smoke preset in tests/test_gpu_check.py)."""
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


def _saved_per_pass(tracker_cls, unet, batches, checkpointed=False):
    """The tracker's (plain, checkpointed) bytes for one loss of ``unet`` at each batch."""
    import torch

    out = []
    for b in batches:
        torch.manual_seed(b)
        x, t, cond = torch.randn(b, 3, 16, 16), torch.randint(0, 100, (b,)), torch.randn(b, 16)
        with tracker_cls() as tracker:
            unet(x, t, cond).square().mean().backward()
        assert len(tracker.passes) == 1
        out.append(tracker.passes[0])
    return out


def test_saved_activations_counts_what_autograd_keeps_and_what_checkpointing_would():
    import torch

    from diffae.nets.unet import UNet
    from diffae.train.activation_checkpointing import checkpoint_blocks

    tracker_cls = _module().SavedActivations
    torch.manual_seed(0)
    unet = UNet(image_size=16, base_channels=8, channel_mult=(1, 2), num_res_blocks=1, attn_resolutions=(8,),
                embed_channels=16, dropout=0.1, cond_dim=16).train()
    (p2, c2), (p4, c4), (p8, c8) = _saved_per_pass(tracker_cls, unet, (2, 4, 8))
    assert c2 < p2 and c4 < p4 and c8 < p8
    for a, b, c in ((p2, p4, p8), (c2, c4, c8)):  # linear in the batch: 2 and 4 predict 8
        assert abs(b + (b - a) * 2 - c) <= 0.02 * c
    # the same UNet checkpointed for real: what autograd then keeps outside the blocks is part of the estimate
    checkpoint_blocks(unet)
    (real, _), = _saved_per_pass(tracker_cls, unet, (8,))
    assert real < c8


@pytest.mark.slow
def test_the_estimate_runs_every_training_command_of_the_smoke_preset(tmp_path):
    """--estimate, in its own process: every command runs at both batches and gets an estimate; checkpointing
    would keep less per sample where there are blocks (Diff-AE, fine-tuning) and the peak includes the state."""
    import pandas as pd

    script, preset = REPO / "benchmarks" / "preset_fit.py", REPO / "presets" / "smoke.yaml"
    out = subprocess.run([sys.executable, str(script), str(preset), "--estimate", "--csv", str(tmp_path / "t.csv")],
                         capture_output=True, text=True, timeout=600, check=True)
    table = pd.read_csv(tmp_path / "t.csv")
    ran = table[table.result == "ok"]
    assert len(ran) >= 9 and set(table.result) <= {"ok", "as above (smoke)"}, out.stdout
    assert (ran.act_MiB_per_sample >= 0).all() and (ran.est_GiB >= ran.state_GiB).all()
    blocks = ran[ran.command.str.split().str[0].isin(["train-diffae", "finetune"])]
    assert len(blocks) == 2 and (0 < blocks.ckpt_MiB_per_sample).all()
    assert (blocks.ckpt_MiB_per_sample < blocks.act_MiB_per_sample).all()
    assert (ran.fits_80GB == "yes").all()


@pytest.mark.parametrize("preset", [p for p in PRESETS if p.stem.startswith("paper-")], ids=lambda p: p.stem)
def test_paper_fine_tuning_checkpoints_its_activations(preset):
    """Fine-tuning's 64 GROUPs are 256 images at 128 px, ~175 GiB of activations in eager bf16 (preset_fit
    --estimate), and its loss cannot be split into micro-batches: every paper preset checkpoints them."""
    params = load_params(preset)
    assert params.data.ilab.image_size == 128 and params.train.finetune.micro_batch is None
    assert params.train.finetune.activation_checkpointing
