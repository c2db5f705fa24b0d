"""Does each preset train as shipped on this device? One short run of every image training command of a preset
(prints a table; asserts nothing). Issue 14: every paper preset's batch must train on one 80 GB GPU.

  python benchmarks/preset_fit.py presets/paper-*.yaml            # on a GPU
  python benchmarks/preset_fit.py presets/paper-ilab.yaml --eager # compile off: memory's upper bound, quickly
  python benchmarks/preset_fit.py presets/smoke.yaml --steps 2    # the same runs, small, on the CPU
  python benchmarks/preset_fit.py presets/paper-*.yaml --estimate # no GPU: estimated peak memory of each run

Each run is the real command (``diffae <command> --params ...``, in this process) with the preset's model, batch,
micro_batch, amp, channels_last and compile, and only these changed: every train section runs ``--steps`` updates
(logging at half), ``diffae_zoo`` imports nothing and scales no steps, and ``device`` is ``--device``. Data are not
needed at paper size to measure memory: each dataset is a prepared folder of random images at the preset's
resolution, except iLab, whose stand-in is generated at that resolution and put through the real preparation,
split and GROUP tables, so that fine-tuning runs its chain (train-diffae, encode, train-gae, finetune). DiffSiam
runs train over the DDIM trained just before. Per run: peak GPU memory, images/s of the second half (from its
metrics.csv), or the error (out of memory included); a run identical to one already measured (same command,
sections and resolution) is not repeated. The real datasets are larger than these: the loop keeps one on the GPU
when it takes at most an eighth of its memory (diffae.train.batches), which adds to the peaks shown here.

``--estimate`` needs no GPU. Each command runs one eager update on the CPU at batches 2 and 4 (bf16 autocast where
the section has amp) while ``SavedActivations`` records what autograd keeps for the backward pass. Activations
grow linearly with the batch, so the two runs give the bytes per sample, plain and with activation checkpointing.
The row's ``est_GiB`` is the peak at the preset's per-GPU micro-batch with its own ``activation_checkpointing``,
plus the weights, gradients, optimizer state and EMA. ``fits_80GB`` keeps an eighth of the GPU free for the data.
Calibration: the official 128 px Diff-AE (128.5 M parameters) at batch 64 peaked at 42 GiB in bf16 eager on an
H100 (issue 14); this count gives 634 MiB per image, i.e. 39.6 GiB of activations + 0.24 GiB of bf16 weight copies
+ 1.9 GiB of weights, gradients and Adam = 41.8 GiB. Compiled runs need less (20 GiB there): eager is the bound.
"""
from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import shutil
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

from diffae.cli import main as _cli
from diffae.data.prepared import save_prepared
from diffae.train.activation_checkpointing import BLOCKS


def diffae(argv: list[str]) -> int:
    """``diffae <argv>`` in this process, its log lines named after the command (the CLI configures logging once)."""
    logging.getLogger().handlers.clear()
    return _cli(argv)

CIFAR_SIZE = 32  # CIFAR-10 is prepared at its own resolution


def short_params(preset: Path, steps: int, device: str, eager: bool = False) -> dict:
    """The preset with every train section at ``steps`` updates, nothing imported, on ``device``; with ``eager``,
    compile off (eager memory bounds the compiled one from above, in minutes rather than a compile per model)."""
    p = yaml.safe_load(preset.read_text())
    for section in p["train"].values():
        section.update(steps=steps, log_every=max(1, steps // 2), ckpt_every=steps)
        if eager:
            section["compile"] = False
    p["diffae_zoo"].update(steps_fraction={}, init_from={})
    p["device"] = device
    # one GROUP per centre of the train split: enough for a batch of the stages that read GROUPs
    groups = max(64, p["train"]["gae"]["batch_size"], p["train"]["finetune"]["batch_size"])
    side = math.ceil(math.sqrt(groups / 0.75 / 8))  # 8 vehicle categories x side backgrounds x side poses
    p["data"]["ilab"]["standin"].update(n_identities=8, n_backgrounds=side, n_poses=side,
                                        image_size=p["data"]["ilab"]["image_size"])
    p["data"]["ilab"]["groups"].update(n_train=groups, n_test=8)
    p["eval"]["groups"]["n_groups"] = min(p["eval"]["groups"]["n_groups"], 8)  # no evaluation runs here
    return p


def _largest_batch(p: dict) -> int:
    return max(s["batch_size"] for s in p["train"].values())


def random_prepared(folder: Path, size: int, n: int, dataset: str) -> Path:
    if not (folder / "images.npy").exists():
        images = np.random.default_rng(0).integers(0, 256, (n, size, size, 3), dtype=np.uint8)
        save_prepared(folder, images, pd.DataFrame(index=range(n)),
                      {"attributes": [], "source": "random", "image_size": size, "dataset": dataset})
    return folder


ESTIMATE_BATCHES = (2, 4)  # --estimate: each command runs at these batches; activations are linear in the batch
GPU_BYTES = 80e9  # the GPU the presets are sized for; the loop may keep the data in an eighth of it


def _storage_bytes(store: dict[int, int], t: torch.Tensor) -> None:
    s = t.untyped_storage()
    store[s.data_ptr()] = s.nbytes()


def _tensor_bytes(obj) -> int:
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, dict):
        return sum(_tensor_bytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_tensor_bytes(v) for v in obj)
    return 0


class SavedActivations:
    """What autograd keeps for the backward passes of the commands run inside it (distinct storages, bytes): a CPU
    stand-in for a GPU run's peak, with the weights of every module entered. The blocks that activation
    checkpointing wraps (``BLOCKS``) are scopes: what one saves inside is what checkpointing recomputes instead,
    its inputs what it keeps. So each backward pass gives two figures: plain, and checkpointed (everything saved
    outside blocks, the blocks' inputs, and the largest block's recomputation)."""

    def __init__(self) -> None:
        self.passes: list[tuple[int, int]] = []  # (plain, checkpointed) bytes per backward pass
        self.weights: dict[int, int] = {}
        self._clear()

    def _clear(self) -> None:
        self.outside, self.inputs, self.inside, self.block = {}, {}, [], None

    def __enter__(self) -> SavedActivations:
        self._hooks = [torch.nn.modules.module.register_module_forward_pre_hook(self._enter),
                       torch.nn.modules.module.register_module_forward_hook(self._leave)]
        self._saved = torch.autograd.graph.saved_tensors_hooks(self._pack, lambda t: t)
        self._saved.__enter__()
        self._backward, torch.autograd.backward = torch.autograd.backward, self._on_backward
        return self

    def __exit__(self, *exc) -> None:
        torch.autograd.backward = self._backward
        self._saved.__exit__(*exc)
        for h in self._hooks:
            h.remove()

    def _enter(self, module, args) -> None:
        for p in module.parameters(recurse=False):
            self.weights[id(p)] = p.numel() * p.element_size()
        if self.block is None and isinstance(module, BLOCKS) and torch.is_grad_enabled():
            self.block = module
            self.inside.append({})
            for a in args:
                if isinstance(a, torch.Tensor):
                    _storage_bytes(self.inputs, a)

    def _leave(self, module, args, out) -> None:
        if module is self.block:
            self.block = None

    def _pack(self, t: torch.Tensor) -> torch.Tensor:
        _storage_bytes(self.outside if self.block is None else self.inside[-1], t)
        return t

    def _on_backward(self, *args, **kwargs):
        plain = dict(self.outside)
        for scope in self.inside:
            plain.update(scope)
        largest = max((sum(scope.values()) for scope in self.inside), default=0)
        self.passes.append((sum(plain.values()), sum({**self.outside, **self.inputs}.values()) + largest))
        self._clear()
        return self._backward(*args, **kwargs)


def estimate_row(runs: dict[int, tuple[SavedActivations, Path]], cfg: dict) -> dict:
    """Linear in the batch from the runs at ``ESTIMATE_BATCHES``: activation bytes per sample (plain and
    checkpointed), the part that does not grow with it, and the state (weights of every module entered; gradients,
    optimizer state and EMA of the trained ones, from last.pt); then the peak at the preset's per-GPU micro-batch
    with its own activation_checkpointing, and whether it fits the GPU with an eighth kept for the data."""
    (b1, (t1, _)), (b2, (t2, out)) = sorted(runs.items())
    per = [(max(p[i] for p in t2.passes) - max(p[i] for p in t1.passes)) / (b2 - b1) for i in (0, 1)]
    mode = int(bool(cfg.get("activation_checkpointing")))
    fixed = max(p[mode] for p in t2.passes) - per[mode] * b2
    last = torch.load(out / "checkpoints" / "last.pt", map_location="cpu", weights_only=False)
    state = sum(t2.weights.values()) + sum(_tensor_bytes(last[k]) for k in ("modules", "optimizer", "ema"))
    micro = min(cfg["batch_size"], cfg.get("micro_batch") or cfg["batch_size"])
    peak = state + fixed + per[mode] * micro
    return {"act_MiB_per_sample": round(per[0] / 2**20, 1), "ckpt_MiB_per_sample": round(per[1] / 2**20, 1),
            "fixed_GiB": round(fixed / 2**30, 2), "state_GiB": round(state / 2**30, 2),
            "est_GiB": round(peak / 2**30, 1), "fits_80GB": "yes" if peak <= GPU_BYTES * 7 / 8 else "NO"}


class Runner:
    """Runs commands of one preset's short params, recording a row per training run."""

    def __init__(self, preset: Path, work: Path, steps: int, device: str, seen: dict, eager: bool = False,
                 estimate: bool = False) -> None:
        self.name, self.work, self.device, self.seen, self.rows = preset.stem, work, device, seen, []
        self.estimate = estimate
        self.p = short_params(preset, 1 if estimate else steps, device, eager or estimate)
        work.mkdir(parents=True, exist_ok=True)
        self.params = work / "params.yaml"
        self.params.write_text(yaml.safe_dump(self.p))
        self.n_images = 2 * _largest_batch(self.p)

    def prepared(self, dataset: str, size: int) -> Path:
        return random_prepared(self.work.parent / f"random_{dataset}_{size}_{self.n_images}", size, self.n_images,
                               dataset)

    def step(self, *argv: str) -> None:
        """A command that is not measured (data preparation, encoding); its failure stops this preset."""
        if diffae([argv[0], "--params", str(self.params), *argv[1:]]) != 0:
            raise RuntimeError(f"diffae {' '.join(argv)} failed")

    def train(self, command: str, section: str, size: int, out: Path, *argv: str) -> Path | None:
        """One measured training run: its output folder, or None when it failed. A run identical to one already
        measured (command, train section, model, resolution, run name) is not repeated: its folder is reused."""
        cfg = self.p["train"][section]
        key = json.dumps([command, cfg, self.p["model"], size, [a for a in argv if "/" not in a]], sort_keys=True,
                         default=str)
        row = {"preset": self.name, "command": " ".join((command, *(a for a in argv if "/" not in a))), "size": size,
               "batch": cfg["batch_size"], "micro_batch": cfg.get("micro_batch"), "compile": cfg["compile"],
               "ckpt_act": bool(cfg.get("activation_checkpointing"))}
        if key in self.seen:
            earlier = self.seen[key]
            result = f"as above ({earlier.parent.parent.name})" if earlier else "failed above"
            self.rows.append({**row, "result": result})
            return earlier
        self.seen[key] = self._estimate(command, section, out, argv, row) if self.estimate else \
            self._train(command, out, argv, row)
        self.rows.append(row)
        return self.seen[key]

    def _estimate(self, command: str, section: str, out: Path, argv: tuple, row: dict) -> Path | None:
        """The run at each of ``ESTIMATE_BATCHES`` (no micro-batches, no checkpointing: the tracker tells both
        apart), under bf16 autocast where the section has amp, as on CUDA; the row gets ``estimate_row``."""
        cfg = self.p["train"][section]
        runs = {}
        for b in ESTIMATE_BATCHES:
            self.p["train"][section] = {**cfg, "batch_size": b, "micro_batch": None, "activation_checkpointing": False}
            self.params.write_text(yaml.safe_dump(self.p))
            run_out = out if b == ESTIMATE_BATCHES[-1] else out.with_name(f"{out.name}_batch{b}")
            with SavedActivations() as tracker, torch.autocast("cpu", torch.bfloat16, enabled=cfg["amp"]):
                done = self._train(command, run_out, argv, row)
            runs[b] = (tracker, run_out)
            if done is None:
                break
        self.p["train"][section] = cfg
        self.params.write_text(yaml.safe_dump(self.p))
        if done is not None:
            row.update(estimate_row(runs, cfg))
            row.pop("img_per_s", None)
        for _, run_out in runs.values():
            if run_out != out:
                shutil.rmtree(run_out, ignore_errors=True)
        (out / "checkpoints" / "last.pt").unlink(missing_ok=True)
        return done

    def _train(self, command: str, out: Path, argv: tuple, row: dict) -> Path | None:
        torch._dynamo.reset()  # as its own process: compiled graphs and recompile counts of earlier runs forgotten
        if self.device == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        try:
            rc = diffae([command, "--params", str(self.params), *argv, "--out", str(out)])
            error = None if rc == 0 else f"exit {rc}"
        except torch.OutOfMemoryError:
            error = "OUT OF MEMORY"
        except Exception as err:  # noqa: BLE001 - reported in the table, the next run goes on
            error = f"{type(err).__name__}: {err}"
            traceback.print_exc()
        row["seconds"] = round(time.perf_counter() - t0, 1)
        if self.device == "cuda":
            row["peak_GiB"] = round(torch.cuda.max_memory_allocated() / 2**30, 1)
        if error is None and (out / "metrics.csv").exists():
            rows = list(csv.DictReader(open(out / "metrics.csv")))
            row["img_per_s"] = round(float(rows[-1]["img_per_s_per_rank"]), 1)
        row["result"] = error or "ok"
        if not self.estimate:  # final.pt is what later commands read; a 128 px last.pt is 2 GB of disk
            (out / "checkpoints" / "last.pt").unlink(missing_ok=True)
        return None if error else out

    def run(self) -> list[dict]:
        self.ilab_chain()
        self.zoo()
        self.diffsiam()
        return self.rows

    def ilab_chain(self) -> None:
        """train-ddim, the GZS-Net and AE + DS baselines and train-diffae on iLab, and fine-tuning over its real
        chain (stand-in iLab at the preset's resolution: fine-tuning and GZS-Net read GROUPs)."""
        w, size = self.work / "ilab", self.p["data"]["ilab"]["image_size"]
        raw, prepared = w / "raw", w / "prepared"
        self.step("standin-ilab", "--out", str(raw))
        self.p["data"]["ilab"]["root"] = str(raw)
        self.params.write_text(yaml.safe_dump(self.p))
        self.step("prepare-ilab", "--standin", str(raw), "--out", str(prepared))
        self.step("split-ilab", "--prepared", str(prepared), "--out", str(prepared / "split.csv"))
        self.step("groups-ilab", "--prepared", str(prepared), "--split", str(prepared / "split.csv"),
                  "--train-out", str(prepared / "groups_train.csv"), "--test-out", str(prepared / "groups_test.csv"))
        data = ("--prepared", str(prepared), "--split", str(prepared / "split.csv"))
        self.train("train-ddim", "ddim", size, w / "ddim", *data)
        self.train("train-gzsnet", "gzsnet", size, w / "gzsnet", "--prepared", str(prepared), "--groups",
                   str(prepared / "groups_train.csv"))
        self.train("train-aeds", "aeds", size, w / "aeds", *data)
        diffae_dir = self.train("train-diffae", "diffae", size, w / "diffae", *data)
        if diffae_dir is None:
            return
        zsem = diffae_dir / "zsem.npz"
        if not zsem.exists():
            self.step("encode", "--model", str(diffae_dir / "final.pt"), *data, "--out", str(zsem))
        groups = ("--groups", str(prepared / "groups_train.csv"))
        gae_dir = self.train("train-gae", "gae", size, w / "gae", "--latents", str(zsem), "--prepared",
                             str(prepared), *groups)
        if gae_dir is not None:
            self.train("finetune", "finetune", size, w / "finetune", "--diffae", str(diffae_dir / "final.pt"),
                       "--gae", str(gae_dir / "final.pt"), "--prepared", str(prepared), *groups)

    def zoo(self) -> None:
        """train-diffae-zoo and train-ddim-zoo on each diffae_zoo dataset; DiffSiam's generative runs over its DDIM."""
        for d in self.p["diffae_zoo"]["datasets"]:
            size = self.p["data"][d]["image_size"]
            prepared = ("--prepared", str(self.prepared(d, size)))
            self.train("train-diffae-zoo", "diffae_zoo", size, self.work / d / "diffae", "--dataset", d, *prepared)
            ddim = self.train("train-ddim-zoo", "ddim_zoo", size, self.work / d / "ddim", "--dataset", d, *prepared)
            if ddim is not None and d in self.p["diffsiam"]["generative_datasets"]:
                for run in self.p["eval"]["diffsiam_figures"]["runs"]:
                    self.train("train-diffsiam-gen", "diffsiam_gen", size, self.work / d / run, "--diffsiam-run",
                               run, *prepared, "--dm", str(ddim / "final.pt"))

    def diffsiam(self) -> None:
        """DiffSiam's frozen DM on CIFAR-10 and each run of diffsiam.runs over it."""
        size = CIFAR_SIZE
        prepared = ("--prepared", str(self.prepared("cifar10", size)))
        dm = self.train("train-diffsiam-dm", "diffsiam_dm", size, self.work / "cifar10" / "dm", *prepared)
        if dm is not None:
            for run in self.p["diffsiam"]["runs"]:
                self.train("train-diffsiam", "diffsiam", size, self.work / "cifar10" / run, "--diffsiam-run", run,
                           *prepared, "--dm", str(dm / "final.pt"))


def _table(rows: list[dict]) -> str:
    df = pd.DataFrame(rows)
    df = df[[c for c in df.columns if c != "result"] + ["result"]]
    for col in ("size", "batch", "micro_batch"):
        if col in df:
            df[col] = df[col].astype("Int64")
    return df.to_string(index=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("presets", nargs="+", type=Path)
    ap.add_argument("--steps", type=int, default=4, help="updates per run (default 4)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    ap.add_argument("--eager", action="store_true", help="compile off: an upper bound of the memory, without the "
                                                         "minutes each 128 px model takes to compile")
    ap.add_argument("--csv", type=Path, default=None, help="also write the table of all presets to this CSV file")
    ap.add_argument("--estimate", action="store_true", help="no GPU needed: estimate each run's peak GPU memory "
                                                            "from what autograd saves on the CPU (see the docstring)")
    args = ap.parse_args()
    if args.estimate:
        args.device = "cpu"
    gpu = torch.cuda.get_device_name() if args.device == "cuda" else "CPU"
    what = f"memory estimate, one update at batches {ESTIMATE_BATCHES}" if args.estimate else f"{args.steps} updates"
    print(f"torch {torch.__version__} on {gpu}; {what} per run")
    seen: dict[str, Path | None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        rows = []
        for preset in args.presets:
            runner = Runner(preset, work / preset.stem, args.steps, args.device, seen, args.eager, args.estimate)
            try:
                runner.run()
            except Exception as err:  # noqa: BLE001 - a preset whose data steps fail is reported, the next goes on
                runner.rows.append({"preset": preset.stem, "command": "(data steps)", "result": str(err)})
            rows += runner.rows
            print(_table(runner.rows), flush=True)
            if args.csv:  # after each preset: a run stopped by a time limit keeps what it measured
                pd.DataFrame(rows).to_csv(args.csv, index=False)
    print("\nall presets:")
    print(_table(rows))


if __name__ == "__main__":
    main()
