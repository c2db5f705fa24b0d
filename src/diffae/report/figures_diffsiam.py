"""DiffSiam's figures, without running a network: the grids of ``diffae.eval.diffsiam_figures`` (Figs 1.1, 4.1-4.4)
as PNG, and Fig. 4.9, the Eq. 3.11 training loss against the iteration of the runs it compares (their
``metrics.csv``, column ``l_diffusion``), with the numbers behind the plot in a CSV beside it."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Sequence

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from diffae.report.figures_diffae import diffae_figures
from diffae.utils.atomic import atomic_path
from diffae.utils.diffsiam_names import method_name

LOSS_FIGURE = "fig4_9_loss"


def loss_curves(logs: dict[str, str | Path]) -> pd.DataFrame:
    """Long frame (run, step, l_diffusion) of each run's metrics.csv; a log without the column is an error."""
    frames = []
    for run, path in logs.items():
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"training log {path} of diffsiam run {run!r} not found (run its train rule)")
        with open(path, newline="") as fh:
            rows = [(int(r["step"]), float(r["l_diffusion"])) for r in csv.DictReader(fh) if r.get("l_diffusion")]
        if not rows:
            raise ValueError(f"{path}: no l_diffusion values; Fig. 4.9 plots runs with a decoder (diffsiam, pdae)")
        frames.append(pd.DataFrame(rows, columns=["step", "l_diffusion"]).assign(run=run))
    return pd.concat(frames, ignore_index=True)[["run", "step", "l_diffusion"]]


def largest_gap(curves: pd.DataFrame, labels: dict[str, str]) -> str:
    """" The curves differ by at most x % of the first run's loss" over the steps all runs logged ("" for one run)."""
    wide = curves.pivot_table(index="step", columns="run", values="l_diffusion").dropna()
    runs = list(dict.fromkeys(curves["run"]))
    if len(runs) < 2 or wide.empty:
        return ""
    gap = max(float(((wide[r] - wide[runs[0]]).abs() / wide[runs[0]]).max()) for r in runs[1:])
    return f" Largest difference from {labels.get(runs[0], runs[0])}: {100 * gap:.3g} % of its loss."


def loss_figure(curves: pd.DataFrame, labels: dict[str, str], out_png: str | Path, caption: str) -> None:
    """Fig. 4.9: one line per run, log-scale loss."""
    fig = Figure(figsize=(4.8, 3.8))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for run, g in curves.groupby("run", sort=False):
        ax.plot(g["step"], g["l_diffusion"], marker=".", label=labels.get(run, run))
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("Eq. 3.11 loss (one minibatch)")
    ax.set_title("Training loss (DiffSiam Fig. 4.9)", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.subplots_adjust(left=0.16, right=0.97, top=0.92, bottom=0.3)
    fig.text(0.5, 0.01, caption, ha="center", va="bottom", fontsize=6, wrap=True)
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=120)


def diffsiam_figures(*, grids_dirs: Sequence[str | Path], models_dir: str | Path | None, loss_runs: Sequence[str],
                     runs: dict, preset: str, outdir: str | Path) -> list[Path]:
    """`diffae figures-diffsiam`: every grid of ``grids_dirs`` as PNG, and Fig. 4.9 from
    ``<models_dir>/<run>/metrics.csv`` of ``loss_runs`` (+ its CSV) unless ``models_dir`` is None (no CIFAR-10 runs)."""
    written = diffae_figures(grids_dirs, outdir)
    if models_dir is None:
        return written
    curves = loss_curves({r: Path(models_dir) / r / "metrics.csv" for r in loss_runs})
    labels = {r: method_name(runs[r].method, runs[r].variant, runs[r].k_mode) for r in loss_runs}
    caption = (f"Eq. 3.11 loss of one minibatch at each logged iteration of {', '.join(labels.values())} (thesis: "
               f"Hier. vs Hier.-Detach, dataset [UNSPECIFIED]); CIFAR-10 runs of preset {preset}."
               f"{largest_gap(curves, labels)}")
    out_png = Path(outdir) / f"{LOSS_FIGURE}.png"
    loss_figure(curves, labels, out_png, caption)
    with atomic_path(out_png.with_suffix(".csv")) as tmp:
        curves.assign(label=curves["run"].map(labels), preset=preset).to_csv(tmp, index=False, float_format="%.6g")
    return [*written, out_png]
