"""DiffuseGAE Table 1: the attribute-prediction ("perplexity") matrix of every method, beside the paper's.

Input per method: a latents file (`diffae.eval.encode`) whose meta carries the latent partition
(`meta["partition"] = {"names": [...], "sizes": [...]}`) and `meta["method"]`; labels come from the
prepared dataset (row i of labels.csv <-> latents index i). Output: `<out>.csv` (one row per method x
latent part x attribute) and `<out>.md` (one matrix per method, laid out like the paper's table).
"""
from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from diffae.data.latents import Latents, load_latents
from diffae.data.prepared import load_prepared
from diffae.eval.probes import attribute_matrix
from diffae.nets.partition import Partition
from diffae.report.paper_numbers import DIFFUSEGAE_TABLE1
from diffae.report.tables import NOT_COMPARABLE, provenance, write_table
from diffae.utils.atomic import atomic_write_text

log = logging.getLogger(__name__)

__all__ = ["build_table1", "labels_for", "render_markdown"]


def labels_for(lat: Latents, labels: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """Label rows of the latents' prepared-dataset indices, in latents order."""
    index = np.asarray(lat.index, dtype=np.int64)
    if len(index) and (index.min() < 0 or index.max() >= len(labels)):
        raise ValueError(f"{path}: latents index spans [{index.min()}, {index.max()}] but the prepared dataset "
                         f"has {len(labels)} rows")
    return labels.iloc[index].reset_index(drop=True)


def _paper_accuracy(method: str, part: str, attribute: str) -> float:
    return DIFFUSEGAE_TABLE1.get(method, {}).get(part, {}).get(attribute, math.nan)


def build_table1(latents: Mapping[str, str | Path], prepared_dir: str | Path, out_csv: str | Path,
                 C: float = 1.0, max_iter: int = 2000, seed: int = 0, preset: str = "embedded") -> pd.DataFrame:
    """DiffuseGAE Table 1 (§4.1): linear-probe accuracy for each method x latent part x attribute.

    `latents` maps the method name (a DIFFUSEGAE_TABLE1 key such as "DiffuseGAE", "Diff-AE", "GZS-Net",
    "AE + DS") to its latents file; the attributes predicted are the partition's part names. Columns:
    method, part, attribute, accuracy, chance, accuracy_paper (NaN where the paper has none),
    is_diagonal, n_classes, n_train, n_test, dim_part and provenance (feature_net "none (linear probe on latents)").
    """
    if not latents:
        raise ValueError("build_table1: no latents files given")
    prepared = load_prepared(prepared_dir)
    rows = []
    for method, path in latents.items():
        lat = load_latents(path)
        meta_method = lat.meta.get("method")
        if meta_method is not None and meta_method != method:
            raise ValueError(f"{path}: meta['method'] is {meta_method!r} but the file was given as {method!r}")
        partition = Partition.from_dict(lat.meta.get("partition"), where=f"{path}: meta['partition']",
                                        dim=lat.z.shape[1])  # stored with the latents, never recomputed
        labels = labels_for(lat, prepared.labels, path)
        missing = [n for n in partition.names if n not in labels.columns]
        if missing:
            raise KeyError(f"{path}: partition parts {missing} are not attributes of {prepared_dir}/labels.csv "
                           f"(columns {list(labels.columns)})")
        mat = attribute_matrix(lat.z, labels, lat.split, partition, C=C, max_iter=max_iter, seed=seed)
        prov = provenance(preset, len(lat.z), seed, "none (linear probe on latents)")
        for rec in mat.to_dict("records"):
            rows.append({"method": method, **rec,
                         "accuracy_paper": _paper_accuracy(method, rec["part"], rec["attribute"]),
                         "is_diagonal": rec["part"] == rec["attribute"],
                         "dim_part": partition.sizes[partition.index(rec["part"])], **prov})
        diag = mat[mat.part == mat.attribute]
        log.info("Table 1 %s: diagonal %s", method, dict(zip(diag.attribute, diag.accuracy.round(3))))
    df = write_table(rows, out_csv)
    atomic_write_text(Path(out_csv).with_suffix(".md"), render_markdown(df, source=prepared.meta.get("source", "?")))
    return df


def render_markdown(df: pd.DataFrame, source: str = "?") -> str:
    """One matrix per method: rows = latent part (|A_r|), columns = attribute, cells "ours (paper)"."""
    lines = ["# DiffuseGAE Table 1: linear-probe accuracy (rows: latent part used; columns: attribute predicted)",
             "", f"Cells are `ours (paper)`; diagonal in bold. Data source: {source}."]
    presets = sorted(set(df["preset"])) if "preset" in df else []
    if presets and not all(str(p).startswith("paper-") for p in presets):
        lines.append(f"Preset {', '.join(presets)}: {NOT_COMPARABLE}.")
    for method, sub in df.groupby("method", sort=False):
        attrs = list(dict.fromkeys(sub["attribute"]))
        parts = list(dict.fromkeys(sub["part"]))
        n_cls = dict(zip(sub["attribute"], sub["n_classes"]))
        lines += ["", f"## {method}", "",
                  "| part \\ attribute | " + " | ".join(f"{a} (chance {1 / n_cls[a]:.3g})" for a in attrs) + " |",
                  "|---|" + "---|" * len(attrs)]
        for part in parts:
            cells = []
            for attr in attrs:
                r = sub[(sub.part == part) & (sub.attribute == attr)].iloc[0]
                paper = "–" if pd.isna(r["accuracy_paper"]) else f"{r['accuracy_paper']:.3g}"
                cell = f"{r['accuracy']:.3f} ({paper})"
                cells.append(f"**{cell}**" if part == attr else cell)
            label = f"{part} ({n_cls[part]})" if part in n_cls else part
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
