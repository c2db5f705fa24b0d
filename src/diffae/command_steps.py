"""Commands that are more than one library call: each is one function the command table points to.

No math here: these functions only sequence calls of the data, report and eval layers.
"""
from __future__ import annotations

import logging

from diffae.config import ParamsError

log = logging.getLogger(__name__)


def make_group_tables(prepared: str, split_csv: str, train_out: str, test_out: str, n_train: int, n_test: int,
                      s: int, seed: int) -> None:
    """GROUP(C, s) tables (DiffuseGAE Def. 1): train groups from train samples (seed), evaluation groups from
    test samples (seed + 1)."""
    from diffae.data.splits import read_split
    from diffae.data.stages import make_groups

    split = read_split(split_csv)
    make_groups(prepared, split, "train", train_out, n_groups=n_train, s=s, seed=seed)
    make_groups(prepared, split, "test", test_out, n_groups=n_test, s=s, seed=seed + 1)


def draw_group_figure(prepared: str, groups_csv: str, out_png: str, s: int, preset: str) -> None:
    """Four GROUP(C, s) rows of the prepared iLab data (DiffuseGAE Fig. 4)."""
    from diffae.data.groups import read_groups
    from diffae.data.prepared import load_prepared
    from diffae.report.group_figure import draw_groups

    data = load_prepared(prepared)
    groups = read_groups(groups_csv)
    caption = (f"GROUP(C, {s}) on iLab-20M ({data.meta['source']} data, "
               f"{data.meta['image_size']}px, preset {preset}); each row: centre, then one partner per "
               "attribute sharing exactly that attribute (DiffuseGAE Fig. 4)")
    draw_groups(data.images, data.labels, groups, data.attributes, out_png, n_rows=4, caption=caption)


def fetch_metric_weights(target_dir: str | None, weights_dir: str | None) -> None:
    """Download the FID/LPIPS weights into `target_dir`, else into params `metrics.weights_dir`."""
    from diffae.eval.weights import fetch_weights

    target = target_dir or weights_dir
    if not target:
        raise ParamsError("give --dir or set metrics.weights_dir in the params file")
    for path in fetch_weights(target):
        log.info("ok: %s", path)
