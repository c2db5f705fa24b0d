"""Does each preset train as shipped on this device? One short run of every image training command of a preset
(prints a table; asserts nothing). Issue 14: every paper preset's batch must train on one 80 GB GPU.

  python benchmarks/preset_fit.py presets/paper-*.yaml            # on a GPU
  python benchmarks/preset_fit.py presets/paper-ilab.yaml --eager # compile off: memory's upper bound, quickly
  python benchmarks/preset_fit.py presets/smoke.yaml --steps 2    # the same runs, small, on the CPU

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
"""
from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

from diffae.cli import main as _cli


def diffae(argv: list[str]) -> int:
    """``diffae <argv>`` in this process, its log lines named after the command (the CLI configures logging once)."""
    logging.getLogger().handlers.clear()
    return _cli(argv)
from diffae.data.prepared import save_prepared

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


class Runner:
    """Runs commands of one preset's short params, recording a row per training run."""

    def __init__(self, preset: Path, work: Path, steps: int, device: str, seen: dict, eager: bool = False) -> None:
        self.name, self.work, self.device, self.seen, self.rows = preset.stem, work, device, seen, []
        self.p = short_params(preset, steps, device, eager)
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
               "batch": cfg["batch_size"], "micro_batch": cfg.get("micro_batch"), "compile": cfg["compile"]}
        if key in self.seen:
            earlier = self.seen[key]
            result = f"as above ({earlier.parent.parent.name})" if earlier else "failed above"
            self.rows.append({**row, "result": result})
            return earlier
        self.seen[key] = self._train(command, out, argv, row)
        self.rows.append(row)
        return self.seen[key]

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
        return None if error else out

    def run(self) -> list[dict]:
        self.ilab_chain()
        self.zoo()
        self.diffsiam()
        return self.rows

    def ilab_chain(self) -> None:
        """train-diffae and train-ddim on iLab, and fine-tuning over its real chain (stand-in iLab at the preset's
        resolution: fine-tuning reads GROUPs)."""
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
    args = ap.parse_args()
    gpu = torch.cuda.get_device_name() if args.device == "cuda" else "CPU"
    print(f"torch {torch.__version__} on {gpu}; {args.steps} updates per run")
    seen: dict[str, Path | None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        rows = []
        for preset in args.presets:
            runner = Runner(preset, work / preset.stem, args.steps, args.device, seen, args.eager)
            try:
                runner.run()
            except Exception as err:  # noqa: BLE001 - a preset whose data steps fail is reported, the next goes on
                runner.rows.append({"preset": preset.stem, "command": "(data steps)", "result": str(err)})
            rows += runner.rows
            print(_table(runner.rows), flush=True)
    print("\nall presets:")
    print(_table(rows))


if __name__ == "__main__":
    main()
