"""DiffuseGAE Table 1 numbers: linear-probe accuracy of every method x latent part x attribute (§4.1).

Input per method: a latents file (``diffae.eval.encode``) whose meta carries the latent partition
(``meta["partition"] = {"names": [...], "sizes": [...]}``) and ``meta["method"]``; labels come from the
prepared dataset (row i of labels.csv <-> latents index i). ``diffae.report.table1`` adds the paper's
numbers and provenance and lays the matrices out like the paper.

Output CSV columns: method, part, attribute, accuracy, chance, n_classes, n_train, n_test, dim_part,
n_samples, seed, feature_net, data_source (the prepared dataset's "real" / "standin").
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping

import pandas as pd

from diffae.data.latents import latents_labels, load_latents
from diffae.data.prepared import load_prepared
from diffae.eval.probes import attribute_matrix
from diffae.eval.tables.numbers import write_numbers
from diffae.nets.partition import Partition

log = logging.getLogger(__name__)

FEATURE_NET = "none (linear probe on latents)"


def probe_table(latents: Mapping[str, str | Path], prepared_dir: str | Path, out_csv: str | Path, *,
                C: float = 1.0, max_iter: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Probe accuracy for each method x latent part x attribute; the attributes predicted are the partition's
    part names. ``latents`` maps the method name (e.g. "DiffuseGAE", "Diff-AE", "GZS-Net", "AE + DS") to its
    latents file."""
    if not latents:
        raise ValueError("probe_table: no latents files given")
    prepared = load_prepared(prepared_dir)
    rows = []
    for method, path in latents.items():
        lat = load_latents(path)
        meta_method = lat.meta.get("method")
        if meta_method is not None and meta_method != method:
            raise ValueError(f"{path}: meta['method'] is {meta_method!r} but the file was given as {method!r}")
        partition = Partition.from_dict(lat.meta.get("partition"), where=f"{path}: meta['partition']",
                                        dim=lat.z.shape[1])
        labels = latents_labels(lat, prepared.labels, path)
        missing = [n for n in partition.names if n not in labels.columns]
        if missing:
            raise KeyError(f"{path}: partition parts {missing} are not attributes of {prepared_dir}/labels.csv "
                           f"(columns {list(labels.columns)})")
        mat = attribute_matrix(lat.z, labels, lat.split, partition, C=C, max_iter=max_iter, seed=seed)
        for rec in mat.to_dict("records"):
            rows.append({"method": method, **rec, "dim_part": partition.sizes[partition.index(rec["part"])],
                         "n_samples": len(lat.z), "seed": seed, "feature_net": FEATURE_NET,
                         "data_source": prepared.meta.get("source", "?")})
        diag = mat[mat.part == mat.attribute]
        log.info("Table 1 %s: diagonal %s", method, dict(zip(diag.attribute, diag.accuracy.round(3))))
    return write_numbers(rows, out_csv)
