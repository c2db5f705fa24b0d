"""Tests of the generic training loop (DESIGN.md Sec. 7): resume, NaN guard, atomic writes, EMA, logs, DDP."""
from __future__ import annotations

import csv
import logging
import math
import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from diffae.artifacts import load_final
from diffae.config import TrainConfig, parse
from diffae.train import checkpoint as ckpt_mod
from diffae.train.batches import batch_indices
from diffae.train.checkpoint import load_checkpoint
from diffae.train.ema import EMA
from diffae.train.loop import NonFiniteLossError, train

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "_tiny_recipe.py"
VENV_BIN = Path(sys.executable).parent

_spec = importlib.util.spec_from_file_location("_tiny_recipe", SCRIPT)
tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny)


pytestmark = pytest.mark.usefixtures("one_thread")


def _cfg(**kw) -> TrainConfig:
    base = dict(steps=8, batch_size=8, lr=1e-2, optimizer="adamw", weight_decay=0.01, ema_decay=0.9,
                ckpt_every=4, log_every=1, warmup_steps=3)
    base.update(kw)
    return tiny.train_config(**base)


def _train(recipe, data, cfg, out, **run):
    """train() with the run-level settings these tests share: seed 3."""
    return train(recipe, data, cfg, out, **{"seed": 3, **run})


def _run_script(out: Path, *args: str, **popen) -> subprocess.Popen:
    cmd = [sys.executable, str(SCRIPT), "--out", str(out), *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def _assert_state_equal(a, b, where: str = "") -> None:
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and torch.equal(a, b), f"tensors differ at {where}"
    elif isinstance(a, dict):
        assert set(a) == set(b), f"keys differ at {where}: {sorted(a)} vs {sorted(b)}"
        for k in a:
            _assert_state_equal(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"lengths differ at {where}"
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_state_equal(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"values differ at {where}: {a!r} vs {b!r}"


def _csv_steps(path: Path) -> list[int]:
    with open(path, newline="") as fh:
        return [int(r["step"]) for r in csv.DictReader(fh)]


def _csv_values(path: Path) -> list[dict]:
    """metrics.csv rows without the throughput column (wall-clock timing differs between runs)."""
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert all(float(r.pop("img_per_s_per_rank")) > 0 for r in rows)
    return rows


# --------------------------------------------------------------------------- 1 + 5: kill and resume

def test_killed_and_resumed_run_is_bit_identical(tmp_path, caplog):
    """Run B is SIGKILLed after its first checkpoint, then re-run; run A is never interrupted."""
    args = ["--steps", "24", "--ckpt-every", "4", "--log-every", "1"]
    out_b = tmp_path / "b"
    run_b = _run_script(out_b, *args, "--sleep", "0.3")
    tiny.main(["--out", str(tmp_path / "a"), *args])  # run A, in this process while B starts up
    last_b, csv_b = out_b / "checkpoints" / "last.pt", out_b / "metrics.csv"

    def b_progress() -> int:  # last logged step of run B (its first checkpoint is at step 4)
        return max(_csv_steps(csv_b), default=0) if last_b.exists() and csv_b.exists() else 0

    deadline = time.monotonic() + 60
    while b_progress() < 6 and time.monotonic() < deadline and run_b.poll() is None:
        time.sleep(0.02)
    assert run_b.poll() is None, run_b.communicate()[1][-2000:]
    assert b_progress() >= 6, "run B made no progress in 60 s"
    os.kill(run_b.pid, signal.SIGKILL)
    run_b.communicate()
    assert not (out_b / "final.pt").exists()
    killed_at = load_checkpoint(last_b)["step"]
    assert 0 < killed_at < 24
    assert _csv_steps(out_b / "metrics.csv")[-1] > killed_at  # rows past the checkpoint to be dropped

    caplog.set_level(logging.INFO, logger="diffae.train.loop")
    tiny.main(["--out", str(out_b), *args])  # the same command again: resumes
    assert f"resuming from step {killed_at}" in caplog.text

    fa, fb = load_final(tmp_path / "a" / "final.pt"), load_final(out_b / "final.pt")
    assert fa["ema"] is True and fa["step"] == fb["step"] == 24 and fb["meta"] == {"net": "tiny", "dim": 8}
    _assert_state_equal(fa["modules"], fb["modules"], "final")
    la, lb = load_checkpoint(tmp_path / "a" / "checkpoints" / "last.pt"), load_checkpoint(last_b)
    for key in ("modules", "ema", "optimizer", "rng"):
        _assert_state_equal(la[key], lb[key], key)
    # EMA weights differ from the raw ones (the EMA is really in final.pt)
    assert not torch.equal(fa["modules"]["head"]["weight"], la["modules"]["head"]["weight"])

    # 5: one metrics row per logged step, no duplicates, and the very same values as run A
    assert _csv_steps(out_b / "metrics.csv") == list(range(1, 25))
    assert _csv_values(out_b / "metrics.csv") == _csv_values(tmp_path / "a" / "metrics.csv")


# --------------------------------------------------------------------------- 2: NaN guard (+ resume of metrics)

def test_nan_guard_names_step_and_keeps_last_good_checkpoint(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(NonFiniteLossError, match=r"non-finite loss at step 6 .*mse=nan") as info:
        _train(tiny.TinyRecipe(nan_at=6), tiny.make_dataset(), _cfg(steps=10, ckpt_every=4), out, progress=False)
    assert info.value.step == 6 and info.value.last_checkpoint == 4
    last = load_checkpoint(out / "checkpoints" / "last.pt")
    assert last["step"] == 4
    assert all(torch.isfinite(t).all() for sd in last["modules"].values() for t in sd.values())
    assert not (out / "final.pt").exists()
    assert _csv_steps(out / "metrics.csv") == [1, 2, 3, 4, 5, 6]  # logged past the checkpoint

    # resuming with the bug fixed: rows 5, 6 are replaced, not duplicated; equal to a clean run
    _train(tiny.TinyRecipe(), tiny.make_dataset(), _cfg(steps=10, ckpt_every=4), out, progress=False)
    _train(tiny.TinyRecipe(), tiny.make_dataset(), _cfg(steps=10, ckpt_every=4), tmp_path / "clean", progress=False)
    assert _csv_steps(out / "metrics.csv") == list(range(1, 11))
    assert _csv_values(out / "metrics.csv") == _csv_values(tmp_path / "clean" / "metrics.csv")
    _assert_state_equal(load_final(out / "final.pt")["modules"], load_final(tmp_path / "clean" / "final.pt")["modules"])


def test_fused_cpu_optimizer_trains_and_resumes_bit_for_bit(tmp_path, monkeypatch):
    """Models over FOREACH_MAX_PARAMS take the fused CPU kernel (the threshold lowered to 0 for the tiny recipe): a run
    stopped after its step-4 checkpoint resumes to the uninterrupted run's weights and optimizer state, bit for bit."""
    from diffae.train import loop

    monkeypatch.setattr(loop, "FOREACH_MAX_PARAMS", 0)
    cfg = _cfg(steps=10, ckpt_every=4, optimizer="adam")
    with pytest.raises(NonFiniteLossError):
        _train(tiny.TinyRecipe(nan_at=6), tiny.make_dataset(), cfg, tmp_path / "b", progress=False)
    _train(tiny.TinyRecipe(), tiny.make_dataset(), cfg, tmp_path / "b", progress=False)
    _train(tiny.TinyRecipe(), tiny.make_dataset(), cfg, tmp_path / "a", progress=False)
    la, lb = (load_checkpoint(tmp_path / r / "checkpoints" / "last.pt") for r in ("a", "b"))
    assert la["optimizer"]["param_groups"][0]["fused"] is True
    for key in ("modules", "ema", "optimizer"):
        _assert_state_equal(la[key], lb[key], key)
    _assert_state_equal(load_final(tmp_path / "a" / "final.pt")["modules"],
                        load_final(tmp_path / "b" / "final.pt")["modules"])


def test_nonfinite_gradient_is_caught(tmp_path):
    class InfGrad(tiny.TinyRecipe):
        def loss(self, batch, step):
            loss, terms = super().loss(batch, step)
            if step == 2:  # finite loss, infinite gradient
                loss = loss + 0.0 * torch.sqrt(self.head.bias.abs() * 0.0).sum()
            return loss, terms

    with pytest.raises(NonFiniteLossError, match="gradient norm at step 2"):
        _train(InfGrad(), tiny.make_dataset(), _cfg(), tmp_path, progress=False)


class _HostReads(torch.overrides.TorchFunctionMode):
    """Counts the tensor operations that hand a value to the host (on an accelerator: wait for the device)."""
    READS = {"item", "__bool__", "__float__", "__int__", "__index__", "tolist", "numpy"}

    def __init__(self):
        super().__init__()
        self.n = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.n += getattr(func, "__name__", "") in self.READS
        return func(*args, **(kwargs or {}))


def test_updates_between_logs_and_checkpoints_do_not_read_the_device(tmp_path):
    """The non-finite guard and the gradient norm stay on the device between log rows and checkpoints: the reads
    of a run do not grow with its number of updates. (SGD: torch's CPU Adam reads its own step counter, a CPU
    scalar that never waits for a GPU; fused Adam on CUDA keeps it on the device.)"""
    reads = {}
    for steps in (3, 12):
        cfg = _cfg(steps=steps, log_every=steps, ckpt_every=steps, optimizer="sgd", warmup_steps=0, grad_clip=1.0)
        with _HostReads() as mode:
            _train(tiny.TinyRecipe(), tiny.make_dataset(), cfg, tmp_path / str(steps), progress=False)
        reads[steps] = mode.n
    assert reads[3] == reads[12] > 0, reads


def test_a_bad_update_between_logs_is_reported_at_its_step_and_never_saved(tmp_path):
    cfg = _cfg(steps=12, log_every=6, ckpt_every=4)
    with pytest.raises(NonFiniteLossError, match=r"non-finite loss at step 5 .*mse=nan") as info:
        _train(tiny.TinyRecipe(nan_at=5), tiny.make_dataset(), cfg, tmp_path, progress=False)
    assert info.value.step == 5 and info.value.last_checkpoint == 4   # found before the step-6 log row
    assert load_checkpoint(tmp_path / "checkpoints" / "last.pt")["step"] == 4
    assert not (tmp_path / "metrics.csv").exists()   # the bad update was found before the first log row


class _MeanRegression:
    """A deterministic per-sample-mean loss (no random draws), so micro-batches must reproduce the whole batch."""
    per_sample_mean = True

    def __init__(self):
        torch.manual_seed(5)
        self.net = nn.Sequential(nn.Linear(tiny.DIM, 16), nn.Tanh(), nn.Linear(16, tiny.DIM))

    def modules(self):
        return {"net": self.net}

    def loss(self, batch, step):
        (x,) = batch
        mse = (self.net(x) - x.flip(1)).pow(2).mean()
        return mse, {"mse": mse.detach()}


def test_micro_batches_accumulate_the_whole_batch_gradient(tmp_path):
    out = {}
    for micro in (None, 3):   # 8 samples as chunks of 3, 3 and 2
        cfg = _cfg(steps=4, log_every=1, ckpt_every=4, micro_batch=micro)
        _train(_MeanRegression(), tiny.make_dataset(), cfg, tmp_path / str(micro), progress=False)
        out[micro] = load_final(tmp_path / str(micro) / "final.pt")["modules"]["net"]
    for k, v in out[None].items():
        torch.testing.assert_close(out[3][k], v, rtol=1e-5, atol=1e-6)
    a, b = (_csv_values(tmp_path / str(m) / "metrics.csv") for m in (None, 3))
    assert len(a) == len(b) == 4
    for x, y in zip(a, b):   # the logged loss and term are the batch means either way
        assert abs(float(x["loss"]) - float(y["loss"])) < 1e-5 and abs(float(x["mse"]) - float(y["mse"])) < 1e-5
    with pytest.raises(ValueError, match="micro_batch=2: TinyRecipe"):
        _train(tiny.TinyRecipe(), tiny.make_dataset(), _cfg(micro_batch=2), tmp_path / "tiny", progress=False)


# --------------------------------------------------------------------------- 3: atomic writes

def test_crash_while_saving_keeps_previous_checkpoint(tmp_path, monkeypatch):
    real_save = torch.save
    calls = []

    def flaky_save(obj, f, *a, **kw):  # f: the open temporary file
        calls.append(f.name)
        if len(calls) == 2:  # the second checkpoint: write half a file, then fail
            f.write(b"partial")
            raise OSError("disk full")
        return real_save(obj, f, *a, **kw)

    monkeypatch.setattr(ckpt_mod.torch, "save", flaky_save)
    out = tmp_path / "run"
    with pytest.raises(OSError, match="disk full"):
        _train(tiny.TinyRecipe(), tiny.make_dataset(), _cfg(steps=8, ckpt_every=2), out, progress=False)
    assert load_checkpoint(out / "checkpoints" / "last.pt")["step"] == 2
    assert Path(calls[1]).parent == out / "checkpoints" and Path(calls[1]).name != "last.pt"
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["last.pt"]


def test_complete_run_leaves_no_temp_files_and_rerun_restores_final(tmp_path):
    out = tmp_path / "run"
    res = _train(tiny.TinyRecipe(), tiny.make_dataset(), _cfg(), out, progress=False, meta={"k": 1})
    assert res.step == 8 and res.resumed_from is None and res.metrics["loss"] > 0
    assert [p.name for p in out.rglob("*.tmp")] == []
    first = load_final(out / "final.pt")
    assert first["meta"] == {"k": 1} and first["config"]["steps"] == 8

    (out / "final.pt").unlink()
    res = _train(tiny.TinyRecipe(), tiny.make_dataset(), _cfg(), out, progress=False, meta={"k": 1})
    assert res.step == 8 and res.resumed_from == 8
    _assert_state_equal(first["modules"], load_final(out / "final.pt")["modules"])
    assert _csv_steps(out / "metrics.csv") == list(range(1, 9))

    res = _train(tiny.TinyRecipe(), tiny.make_dataset(), _cfg(steps=4), out, progress=False, meta={"k": 1})
    assert res.resumed_from is None and res.step == 4  # a checkpoint past `steps` is set aside, never resumed
    assert len(list((out / "checkpoints" / "stale").glob("last-*.pt"))) == 1


# --------------------------------------------------------------------------- 4: EMA math

def test_ema_matches_hand_computation():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    w0 = {k: v.clone() for k, v in net.state_dict().items()}
    ema = EMA({"net": net}, decay=0.9)
    w1 = torch.randn(2, 3)
    w2 = torch.randn(2, 3)
    with torch.no_grad():
        net[0].weight.copy_(w1)
        net[1].running_mean.fill_(5.0)
    ema.update(0)
    with torch.no_grad():
        net[0].weight.copy_(w2)
    ema.update(1)
    expected = 0.9 * (0.9 * w0["0.weight"] + 0.1 * w1) + 0.1 * w2
    torch.testing.assert_close(ema.shadow["net"]["0.weight"], expected, rtol=0, atol=1e-7)
    torch.testing.assert_close(ema.shadow["net"]["0.bias"], w0["0.bias"])  # unchanged param stays
    assert torch.equal(ema.shadow["net"]["1.running_mean"], torch.full((2,), 5.0))  # buffers are copied
    assert ema.averaged_state_dicts()["net"]["1.num_batches_tracked"].dtype == torch.long

    restored = EMA({"net": net}, decay=0.9)
    restored.load_state_dict(ema.state_dict())
    _assert_state_equal(restored.shadow, ema.shadow)
    assert EMA({"net": net}, decay=0.9999, warmup=True).decay_at(0) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="decay"):
        EMA({"net": net}, decay=1.0)


def test_ema_disabled_final_holds_raw_weights(tmp_path):
    _train(tiny.TinyRecipe(), tiny.make_dataset(), _cfg(ema_decay=0.0), tmp_path, progress=False)
    final, last = load_final(tmp_path / "final.pt"), load_checkpoint(tmp_path / "checkpoints" / "last.pt")
    assert final["ema"] is False and last["ema"] is None
    _assert_state_equal(final["modules"], last["modules"])


# --------------------------------------------------------------------------- batches, config, logs

def test_batches_are_a_pure_function_of_seed_and_step():
    a = [batch_indices(20, 6, seed=5, step=s) for s in range(9)]
    assert [b.tolist() for b in a] == [batch_indices(20, 6, 5, s).tolist() for s in range(9)]
    epoch0 = sorted(sum((b.tolist() for b in a[:3]), []))
    assert len(set(epoch0)) == 18  # no repeats within an epoch (last 2 samples dropped)
    assert a[0].tolist() != a[3].tolist()  # a new permutation each epoch
    assert batch_indices(20, 6, seed=6, step=0).tolist() != a[0].tolist()
    with pytest.raises(ValueError, match="fewer than batch_size"):
        batch_indices(4, 6, 0, 0)


@pytest.mark.parametrize("world", [1, 2])
def test_the_sampler_draws_each_epoch_once_and_gives_batch_indices_slices(world):
    from diffae.train.batches import StepBatches
    from diffae.train.distributed import DistContext

    for rank in range(world):
        ctx = DistContext(rank, world, rank, torch.device("cpu"), False)
        got = list(StepBatches(20, batch_size=6, seed=5, start=2, stop=11, ctx=ctx))
        local = 6 // world
        assert got == [batch_indices(20, 6, 5, s)[rank * local:(rank + 1) * local].tolist() for s in range(2, 11)]


def test_resident_and_prefetched_batches_equal_the_host_ones():
    from diffae.train.batches import StepBatches, _Batched, prefetched, resident_batches
    from diffae.train.distributed import DistContext

    data = TensorDataset(torch.arange(40).view(20, 2), torch.arange(20) * 10)
    sampler = StepBatches(20, batch_size=4, seed=1, start=0, stop=12, ctx=DistContext(0, 1, 0, torch.device("cpu"),
                                                                                      False))
    want = [_Batched(data).__getitems__(idx) for idx in sampler]
    for got in (list(resident_batches(data, sampler, torch.device("cpu"))),
                list(prefetched((_Batched(data).__getitems__(idx) for idx in sampler), pin=False))):
        assert len(got) == len(want) == 12
        for g, w in zip(got, want):
            assert all(torch.equal(a, b) for a, b in zip(g, w))


def test_prefetched_batches_raise_the_loaders_error():
    from diffae.train.batches import prefetched

    def failing():
        yield [torch.zeros(1)]
        raise OSError("images.npy: truncated")

    it = prefetched(failing(), pin=False)
    assert torch.equal(next(it)[0], torch.zeros(1))
    with pytest.raises(OSError, match="truncated"):
        next(it)


def test_metrics_rows_columns_and_warmup(tmp_path):
    _train(tiny.TinyRecipe(), tiny.make_dataset(), _cfg(steps=7, log_every=3, warmup_steps=4), tmp_path,
           progress=False)
    with open(tmp_path / "metrics.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["step"]) for r in rows] == [3, 6, 7]
    assert set(rows[0]) == {"step", "loss", "mse", "noise_scale", "lr", "grad_norm", "img_per_s_per_rank"}
    assert float(rows[0]["lr"]) == pytest.approx(1e-2 * 3 / 4)  # update index 2 of a 4-step warmup
    assert float(rows[1]["lr"]) == pytest.approx(1e-2)


def test_bad_config_and_recipe_are_reported(tmp_path):
    with pytest.raises(ValueError, match="optimizer='lamb'"):
        _cfg(optimizer="lamb")
    with pytest.raises(ValueError, match="unknown keys"):
        parse(TrainConfig, {"steps": 1, "batch_size": 1, "lr": 1.0, "lr_decay": 2})
    with pytest.raises(ValueError, match="fewer than batch_size"):
        _train(tiny.TinyRecipe(), tiny.make_dataset(n=4), _cfg(), tmp_path, progress=False)

    class NotScalar(tiny.TinyRecipe):
        def loss(self, batch, step):
            return batch[0], {}

    with pytest.raises(TypeError, match="scalar tensor"):
        _train(NotScalar(), tiny.make_dataset(), _cfg(), tmp_path / "x", progress=False)

    class ReservedTerm(tiny.TinyRecipe):
        def loss(self, batch, step):
            loss, terms = super().loss(batch, step)
            return loss, {**terms, "lr": 1.0}

    with pytest.raises(ValueError, match=r"\['lr'\] are reserved"):
        _train(ReservedTerm(), tiny.make_dataset(), _cfg(), tmp_path / "y", progress=False)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (bf16 autocast, channels_last, compile)")
def test_cuda_amp_channels_last_compile(tmp_path):
    class Conv:
        def __init__(self):
            self.net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.SiLU(), nn.Conv2d(8, 3, 3, padding=1))

        def modules(self):
            return {"net": self.net}

        def loss(self, batch, step):
            (x,) = batch
            out = self.net(x)
            assert out.dtype == torch.bfloat16 and x.is_contiguous(memory_format=torch.channels_last)
            return (out.float() - x).pow(2).mean(), {}

    data = torch.utils.data.TensorDataset(torch.randn(16, 3, 8, 8))
    res = _train(Conv(), data, _cfg(steps=4, channels_last=True, compile=True, amp=True), tmp_path,
                 device="cuda", progress=False)
    assert res.step == 4 and load_final(tmp_path / "final.pt")["modules"]["net"]["0.weight"].device.type == "cpu"


# --------------------------------------------------------------------------- 6: torchrun, 2 CPU processes

def test_torchrun_two_processes_gloo(tmp_path):
    torchrun = VENV_BIN / "torchrun"
    if not torchrun.exists():
        pytest.skip(f"{torchrun} not found")
    out = tmp_path / "ddp"
    cmd = [str(torchrun), "--standalone", "--nproc_per_node=2", str(SCRIPT), "--out", str(out),
           "--steps", "6", "--ckpt-every", "3", "--rank-weights"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    last = load_checkpoint(out / "checkpoints" / "last.pt")
    assert last["step"] == 6
    assert len(last["rng"]) == 2 and not torch.equal(last["rng"][0]["torch"], last["rng"][1]["torch"])
    assert load_final(out / "final.pt")["step"] == 6
    assert _csv_steps(out / "metrics.csv") == list(range(1, 7))  # rank 0 alone logs
    # gradients are averaged, so both ranks end with the same weights
    _assert_state_equal(torch.load(out / "rank0.pt"), torch.load(out / "rank1.pt"))


def test_resume_drops_the_rows_of_a_killed_run_and_a_torn_last_row(tmp_path):
    cfg = _cfg(steps=4, ckpt_every=2)
    with pytest.raises(NonFiniteLossError):
        _train(tiny.TinyRecipe(nan_at=3), tiny.make_dataset(), cfg, tmp_path, progress=False)
    with open(tmp_path / "metrics.csv", "a") as fh:
        fh.write("3,0.5")  # as if killed in the middle of writing a row
    _train(tiny.TinyRecipe(), tiny.make_dataset(), cfg, tmp_path, progress=False)
    rows = (tmp_path / "metrics.csv").read_text().splitlines()
    assert _csv_steps(tmp_path / "metrics.csv") == [1, 2, 3, 4]
    assert len({line.count(",") for line in rows}) == 1, rows  # every row has every column


def test_worker_processes_give_the_same_batches(tmp_path):
    for workers in (0, 1):
        _train(tiny.TinyRecipe(), tiny.make_dataset(), _cfg(steps=5), tmp_path / f"w{workers}", num_workers=workers,
               progress=False)
    _assert_state_equal(load_final(tmp_path / "w0" / "final.pt")["modules"],
                        load_final(tmp_path / "w1" / "final.pt")["modules"])


def test_sgd_with_cosine_schedule(tmp_path):
    """DiffSiam's CIFAR optimiser (decision A7): SGD with momentum, lr decaying as a cosine to 0 at the last step."""
    _train(tiny.TinyRecipe(), tiny.make_dataset(), _cfg(steps=8, log_every=1, optimizer="sgd", momentum=0.5,
                                                        lr_schedule="cosine", warmup_steps=2), tmp_path, seed=0)
    lrs = [float(r["lr"]) for r in csv.DictReader(open(tmp_path / "metrics.csv"))]
    expected = [1e-2 * 1 / 2, 1e-2] + [1e-2 * 0.5 * (1 + math.cos(math.pi * s / 8)) for s in range(2, 8)]
    assert lrs == pytest.approx(expected)
    ck = torch.load(tmp_path / "checkpoints" / "last.pt", weights_only=False)
    assert ck["optimizer"]["param_groups"][0]["momentum"] == 0.5


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_cpu_optimizer_is_foreach_for_small_models_and_fused_beyond(optimizer):
    """_make_optimizer on the CPU: foreach up to FOREACH_MAX_PARAMS parameters, which gives the single-tensor default's
    weights bit for bit after 3 updates (the embedded tables), and the fused kernel beyond, equal to them up to
    rounding."""
    from _tiny_recipe import train_config

    from diffae.train import loop

    cfg = train_config(steps=3, batch_size=4, lr=1e-2, optimizer=optimizer, weight_decay=0.01)
    cpu = torch.device("cpu")
    gen = torch.Generator().manual_seed(0)
    start = [torch.randn(s, generator=gen) for s in ((64, 32, 3, 3), (64,), (10, 64), (7,))]
    grads = [[torch.randn(p.shape, generator=gen) for p in start] for _ in range(3)]

    def the_loops(params):
        return loop._make_optimizer(params, cfg, (0.9, 0.999), cpu)

    def with_(**impl):
        def make(params):
            ref = the_loops(params)
            kept = {k: ref.defaults[k] for k in ("lr", "betas", "weight_decay", "momentum") if k in ref.defaults}
            return type(ref)(params, **kept, **impl)
        return make

    def updated(make) -> list[torch.Tensor]:
        params = [nn.Parameter(p.clone()) for p in start]
        opt = make(params)
        for g in grads:
            for p, d in zip(params, g):
                p.grad = d.clone()
            opt.step()
        return [p.detach() for p in params]

    assert the_loops([nn.Parameter(p.clone()) for p in start]).defaults["foreach"] is True  # a small model
    single = updated(with_(foreach=False))
    for got in (updated(the_loops), updated(with_(foreach=True))):
        assert all(torch.equal(a, b) for a, b in zip(single, got))
    fused = updated(with_(fused=True))
    assert all(torch.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(single, fused))
    if optimizer != "sgd":  # Adam's fused kernel rounds differently: why the embedded sizes keep foreach
        assert any(not torch.equal(a, b) for a, b in zip(single, fused))
    big = [nn.Parameter(torch.empty(loop.FOREACH_MAX_PARAMS + 1, device="meta"))]
    assert the_loops(big).defaults["fused"] is True
