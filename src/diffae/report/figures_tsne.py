"""t-SNE figures of latent spaces: DiffuseGAE Fig. 2 (Diff-AE / PDAE z_sem) and Fig. 5 (z_sem vs z_dis parts).

Each panel embeds the latents of the samples whose colouring attribute takes one of a few selected
values (the most frequent ones; DiffuseGAE Fig. 2: 10 identities / 14 backgrounds, Fig. 5: 6 / 18
"for clarity") and reports a separability score: leave-one-out 5-NN accuracy of the colour label in the
2-D embedding (1 = colours form clean clusters, about 1/#values = mixed). The functions return these
scores per panel, keyed "<latent> | <attribute>".
"""
from __future__ import annotations

import logging
import textwrap
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from diffae.data.latents import Latents, load_latents  # noqa: E402
from diffae.data.prepared import load_prepared  # noqa: E402
from diffae.eval.tsne import knn_label_accuracy, tsne_embed  # noqa: E402
from diffae.nets.partition import Partition  # noqa: E402
from diffae.report.table1 import labels_for  # noqa: E402
from diffae.utils.atomic import atomic_path  # noqa: E402

log = logging.getLogger(__name__)

__all__ = ["figure2", "figure5", "select_values"]

KNN_K = 5


@dataclass
class _Panel:
    title: str          # which latent, e.g. "Diff-AE z_sem"
    attribute: str      # colouring attribute
    z: np.ndarray       # (n, d) latents of the panel's rows
    labels: np.ndarray  # (n,) colour labels


def select_values(labels: pd.Series, max_values: int | None) -> list:
    """The `max_values` most frequent values of `labels` (ties by sorted string form); all if None."""
    counts = labels.value_counts(sort=False)
    order = sorted(counts.index, key=lambda v: (-counts[v], str(v)))
    return order if max_values is None else order[:max_values]


def _panel(title: str, z: np.ndarray, labels: pd.DataFrame, attribute: str, max_values: int | None,
           source: str | Path) -> _Panel:
    if attribute not in labels.columns:
        raise KeyError(f"{source}: attribute {attribute!r} not in label columns {list(labels.columns)}")
    keep = labels[attribute].isin(select_values(labels[attribute], max_values)).to_numpy()
    return _Panel(title=title, attribute=attribute, z=z[keep], labels=labels[attribute].to_numpy()[keep])


def _method(lat: Latents, default: str) -> str:
    return str(lat.meta.get("method", default))


def _draw(panels: list[list[_Panel]], out_png: str | Path, caption: str, perplexity: float, seed: int,
          max_points: int | None) -> dict[str, float]:
    """Embed and draw a grid of panels; returns the per-panel separability scores."""
    nrows, ncols = len(panels), max(len(r) for r in panels)
    width = 4.6 * ncols
    caption_lines = textwrap.wrap(caption, width=int(16 * width))
    caption_h = 0.2 + 0.15 * len(caption_lines)  # inches at 8 pt
    height = 4.4 * nrows + caption_h
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False)
    scores: dict[str, float] = {}
    for r, row in enumerate(panels):
        for c in range(ncols):
            ax = axes[r][c]
            if c >= len(row):
                ax.axis("off")
                continue
            p = row[c]
            y, chosen = tsne_embed(p.z, perplexity=perplexity, seed=seed, max_points=max_points)
            lab = p.labels[chosen]
            score = knn_label_accuracy(y, lab, k=KNN_K)
            key = f"{p.title} | {p.attribute}"
            scores[key] = score
            values = sorted(set(lab.tolist()), key=str)
            cmap = plt.get_cmap("tab10" if len(values) <= 10 else "tab20" if len(values) <= 20 else "gist_ncar")
            for i, v in enumerate(values):
                m = lab == v
                colour = cmap(i % cmap.N) if len(values) <= 20 else cmap(i / max(len(values) - 1, 1))
                ax.scatter(y[m, 0], y[m, 1], s=6, color=colour, label=str(v), linewidths=0)
            ax.set_title(f"{p.title}, coloured by {p.attribute}\n{len(values)} values, n={len(y)}, "
                         f"{KNN_K}-NN acc {score:.2f}", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            if len(values) <= 10:
                ax.legend(fontsize=6, markerscale=2, loc="best", frameon=False)
            log.info("t-SNE panel %s: n=%d, %d values, %d-NN accuracy %.3f", key, len(y), len(values), KNN_K, score)
    fig.tight_layout(rect=(0, caption_h / height, 1, 1))
    fig.text(0.01, 0.1 / height, "\n".join(caption_lines), fontsize=8, va="bottom", ha="left")
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
    return scores


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


def figure2(diffae_latents: str | Path, prepared_dir: str | Path, out_png: str | Path, perplexity: float = 30.0,
            seed: int = 0, max_points: int | None = None, caption_extra: str = "",
            pdae_latents: str | Path | None = None, preset: str = "", max_identities: int | None = 10,
            max_backgrounds: int | None = 14, identity: str = "identity",
            background: str = "background") -> dict[str, float]:
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
        labels = labels_for(lat, prepared.labels, path)
        name = f"{_method(lat, default)} z_sem"
        descs.append(f"{name} ({lat.z.shape[1]}-d, {len(lat.z)} samples)")
        rows.append([_panel(name, lat.z, labels, identity, max_identities, path),
                     _panel(name, lat.z, labels, background, max_backgrounds, path)])
    caption = _caption("DiffuseGAE Fig. 2 (latent space of diffusion autoencoders)", prepared.meta,
                       ", ".join(descs), f"at most {max_points or 'all'} points per panel "
                       f"({max_identities or 'all'} {identity} / {max_backgrounds or 'all'} {background} values)",
                       perplexity, seed, preset, caption_extra)
    return _draw(rows, out_png, caption, perplexity, seed, max_points)


def figure5(diffusegae_latents: str | Path, diffae_or_zsem_latents: str | Path, prepared_dir: str | Path,
            out_png: str | Path, perplexity: float = 30.0, seed: int = 0, max_points: int | None = None,
            caption_extra: str = "", preset: str = "", max_identities: int | None = 6,
            max_backgrounds: int | None = 18, identity: str = "identity",
            background: str = "background") -> dict[str, float]:
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
    gae_labels = labels_for(gae, prepared.labels, diffusegae_latents)
    sem_labels = labels_for(sem, prepared.labels, diffae_or_zsem_latents)
    gname = _method(gae, "DiffuseGAE")
    sname = f"{_method(sem, 'Diff-AE')} z_sem"
    rows = []
    for attr, max_values in ((identity, max_identities), (background, max_backgrounds)):
        if attr not in partition.names:
            raise KeyError(f"{diffusegae_latents}: no latent part {attr!r} in meta['partition'] {partition.names}")
        zpart = gae.z[:, partition.slice(attr)]
        rows.append([_panel(sname, sem.z, sem_labels, attr, max_values, diffae_or_zsem_latents),
                     _panel(f"{gname} z_dis[{attr}]", zpart, gae_labels, attr, max_values, diffusegae_latents)])
    descs = (f"{sname} ({sem.z.shape[1]}-d) and the {identity}/{background} parts of {gname} z_dis "
             f"({dict(zip(partition.names, partition.sizes))})")
    caption = _caption("DiffuseGAE Fig. 5 (z_sem vs z_dis)", prepared.meta, descs,
                       f"at most {max_points or 'all'} points per panel ({max_identities or 'all'} {identity} / "
                       f"{max_backgrounds or 'all'} {background} values)", perplexity, seed, preset, caption_extra)
    return _draw(rows, out_png, caption, perplexity, seed, max_points)
