"""The t-SNE embeddings behind DiffuseGAE Fig. 2 (Diff-AE / PDAE z_sem) and Fig. 5 (z_sem vs z_dis parts).

Each panel embeds the latents of the samples whose colouring attribute takes one of a few selected
values (the most frequent ones; DiffuseGAE Fig. 2: 10 identities / 14 backgrounds, Fig. 5: 6 / 18
"for clarity") and scores its separability: leave-one-out 5-NN accuracy of the colour label in the
2-D embedding (1 = colours form clean clusters, about 1/#values = mixed). The result is an
``Embeddings`` (``diffae.eval.figure_data``) that ``diffae.report.figures_tsne`` draws.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from diffae.data.latents import Latents, latents_labels, load_latents
from diffae.data.prepared import load_prepared
from diffae.eval.figure_data import Embeddings, Panel, save_embeddings
from diffae.eval.tsne import knn_label_accuracy, tsne_embed
from diffae.nets.partition import Partition

log = logging.getLogger(__name__)

__all__ = ["figure2_embeddings", "figure5_embeddings", "select_values", "write_tsne_embeddings"]

KNN_K = 5


@dataclass
class _Selection:
    title: str          # which latent, e.g. "Diff-AE z_sem"
    attribute: str      # colouring attribute
    z: np.ndarray       # (n, d) latents of the panel's rows
    labels: np.ndarray  # (n,) colour labels


def select_values(labels: pd.Series, max_values: int | None) -> list:
    """The `max_values` most frequent values of `labels` (ties by sorted string form); all if None."""
    counts = labels.value_counts(sort=False)
    order = sorted(counts.index, key=lambda v: (-counts[v], str(v)))
    return order if max_values is None else order[:max_values]


def _select(title: str, z: np.ndarray, labels: pd.DataFrame, attribute: str, max_values: int | None,
            source: str | Path) -> _Selection:
    if attribute not in labels.columns:
        raise KeyError(f"{source}: attribute {attribute!r} not in label columns {list(labels.columns)}")
    keep = labels[attribute].isin(select_values(labels[attribute], max_values)).to_numpy()
    return _Selection(title=title, attribute=attribute, z=z[keep], labels=labels[attribute].to_numpy()[keep])


def _method(lat: Latents, default: str) -> str:
    return str(lat.meta.get("method", default))


def _embed(rows: list[list[_Selection]], perplexity: float, seed: int, max_points: int | None,
           caption: str) -> Embeddings:
    """Embed every selection with openTSNE and score how well its colours separate."""
    panels = []
    for row in rows:
        panels.append([])
        for s in row:
            y, chosen = tsne_embed(s.z, perplexity=perplexity, seed=seed, max_points=max_points)
            lab = s.labels[chosen]
            score = knn_label_accuracy(y, lab, k=KNN_K)
            panels[-1].append(Panel(s.title, s.attribute, y, lab, score))
            log.info("t-SNE panel %s | %s: n=%d, %d values, %d-NN accuracy %.3f", s.title, s.attribute, len(y),
                     len(set(lab.tolist())), KNN_K, score)
    return Embeddings(panels, KNN_K, caption)


def _caption(what: str, prepared: dict, latents_desc: str, n_points: str, perplexity: float, seed: int,
             preset: str, extra: str) -> str:
    dataset = prepared.get("dataset", "?")
    source = prepared.get("source", "?")
    text = (f"{what}. openTSNE (perplexity {perplexity:g}, clipped to (n-1)/3 for tiny n; seed {seed}) of "
            f"{latents_desc}; dataset {dataset} ({source} data); {n_points}{f'; preset {preset}' if preset else ''}. "
            f"Panel titles give the leave-one-out {KNN_K}-NN accuracy of the colour label in 2-D.")
    if source != "real":
        text += " Stand-in data: only qualitative orderings are comparable to the paper."
    return text + (f" {extra}" if extra else "")


def figure2_embeddings(diffae_latents: str | Path, prepared_dir: str | Path, perplexity: float = 30.0,
                       seed: int = 0, max_points: int | None = None, caption_extra: str = "",
                       pdae_latents: str | Path | None = None, preset: str = "", max_identities: int | None = 10,
                       max_backgrounds: int | None = 14, identity: str = "identity",
                       background: str = "background") -> Embeddings:
    """DiffuseGAE Fig. 2: t-SNE of Diff-AE z_sem coloured by identity (left) and background (right).

    With `pdae_latents` a second row shows PDAE's z_sem the same way. The paper's caption uses
    10 identities and 14 backgrounds (`max_identities`, `max_backgrounds`; None = all).
    """
    prepared = load_prepared(prepared_dir)
    rows, descs = [], []
    for path, default in ((diffae_latents, "Diff-AE"), (pdae_latents, "PDAE")):
        if path is None:
            continue
        lat = load_latents(path)
        labels = latents_labels(lat, prepared.labels, path)
        name = f"{_method(lat, default)} z_sem"
        descs.append(f"{name} ({lat.z.shape[1]}-d, {len(lat.z)} samples)")
        rows.append([_select(name, lat.z, labels, identity, max_identities, path),
                     _select(name, lat.z, labels, background, max_backgrounds, path)])
    caption = _caption("DiffuseGAE Fig. 2 (latent space of diffusion autoencoders)", prepared.meta,
                       ", ".join(descs), f"at most {max_points or 'all'} points per panel "
                       f"({max_identities or 'all'} {identity} / {max_backgrounds or 'all'} {background} values)",
                       perplexity, seed, preset, caption_extra)
    return _embed(rows, perplexity=perplexity, seed=seed, max_points=max_points, caption=caption)


def figure5_embeddings(diffusegae_latents: str | Path, diffae_or_zsem_latents: str | Path,
                       prepared_dir: str | Path, perplexity: float = 30.0, seed: int = 0,
                       max_points: int | None = None, caption_extra: str = "", preset: str = "",
                       max_identities: int | None = 6, max_backgrounds: int | None = 18,
                       identity: str = "identity", background: str = "background") -> Embeddings:
    """DiffuseGAE Fig. 5: t-SNE of z_sem (left) vs the matching z_dis part (right).

    Top row coloured by identity (z_dis identity part), bottom row by background (z_dis background part),
    with 6 identities and 18 backgrounds as in the paper. z_dis parts come from the DiffuseGAE latents
    file's meta["partition"]; z_sem is the whole latent of the second file.
    """
    prepared = load_prepared(prepared_dir)
    gae = load_latents(diffusegae_latents)
    sem = load_latents(diffae_or_zsem_latents)
    partition = Partition.from_dict(gae.meta.get("partition"), where=f"{diffusegae_latents}: meta['partition']",
                                    dim=gae.z.shape[1])
    gae_labels = latents_labels(gae, prepared.labels, diffusegae_latents)
    sem_labels = latents_labels(sem, prepared.labels, diffae_or_zsem_latents)
    gname = _method(gae, "DiffuseGAE")
    sname = f"{_method(sem, 'Diff-AE')} z_sem"
    rows = []
    for attr, max_values in ((identity, max_identities), (background, max_backgrounds)):
        if attr not in partition.names:
            raise KeyError(f"{diffusegae_latents}: no latent part {attr!r} in meta['partition'] {partition.names}")
        zpart = gae.z[:, partition.slice(attr)]
        rows.append([_select(sname, sem.z, sem_labels, attr, max_values, diffae_or_zsem_latents),
                     _select(f"{gname} z_dis[{attr}]", zpart, gae_labels, attr, max_values, diffusegae_latents)])
    descs = (f"{sname} ({sem.z.shape[1]}-d) and the {identity}/{background} parts of {gname} z_dis "
             f"({dict(zip(partition.names, partition.sizes))})")
    caption = _caption("DiffuseGAE Fig. 5 (z_sem vs z_dis)", prepared.meta, descs,
                       f"at most {max_points or 'all'} points per panel ({max_identities or 'all'} {identity} / "
                       f"{max_backgrounds or 'all'} {background} values)", perplexity, seed, preset, caption_extra)
    return _embed(rows, perplexity=perplexity, seed=seed, max_points=max_points, caption=caption)


def write_tsne_embeddings(diffusegae_latents: str | Path, diffae_latents: str | Path, prepared: str | Path,
                          fig2_out: str | Path, fig5_out: str | Path, *, perplexity: float, seed: int,
                          max_points: int | None, preset: str) -> None:
    """`diffae eval-tsne`: the embeddings of Figs 2 and 5, written as .npz."""
    save_embeddings(fig2_out, figure2_embeddings(diffae_latents, prepared, perplexity=perplexity, seed=seed,
                                                 max_points=max_points, preset=preset))
    save_embeddings(fig5_out, figure5_embeddings(diffusegae_latents, diffae_latents, prepared,
                                                 perplexity=perplexity, seed=seed, max_points=max_points,
                                                 preset=preset))
