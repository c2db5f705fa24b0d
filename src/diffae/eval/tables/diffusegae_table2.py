"""DiffuseGAE Table 2 numbers: reconstruction of GROUP centres from their partners (§4.3).

For each evaluation group (held-out samples): encode the partners, reassemble the latent from the part of
each partner that carries the centre's attribute value (part k from the partner sharing attribute k), decode,
and compare with the centre image: FID (generated set vs the centre set), SSIM, LPIPS, MSE. Rows as in the
paper: GZS-Net (decoded directly), Diff-AE (n_steps, random x_T; z_sem partitioned proportionally),
DiffuseGAE (n_steps, random x_T), DDIM (n_steps; ``reconstruct`` of the centre itself, it has no semantic
latent), DiffuseGAE (n_steps, x_T inferred from the centre by DDIM inversion under the reassembled
condition, Eq. 7). ``diffae.report.diffusegae_table2`` adds the paper's numbers and provenance.

Output CSV columns: model, method, T (DDIM steps; empty for GZS-Net), x_T, fid, ssim, lpips, mse,
n_samples, seed, feature_net.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from diffae.eval.codecs import codec_digest
from diffae.eval.partial import PartialRows
from diffae.utils.digest import arrays_digest

log = logging.getLogger(__name__)


@torch.no_grad()
def reassemble_and_decode(codec, center: torch.Tensor, partners: torch.Tensor, n_steps: int, x_T_mode: str,
                          generator: torch.Generator | None = None) -> torch.Tensor:
    """Decode the centre from its partners' parts. partners: (B, m, C, H, W); x_T_mode 'random' | 'inferred'."""
    b, m = partners.shape[:2]
    z_parts = codec.encode(partners.flatten(0, 1)).view(b, m, -1)
    z = codec.partition.assemble(z_parts)
    if not codec.stochastic:
        return codec.decode(z)
    x_T = codec.invert(center, z, n_steps) if x_T_mode == "inferred" else None
    return codec.decode(z, n_steps, x_T=x_T, generator=generator)


def row_specs(n_steps: int) -> list[tuple[str, str, str]]:
    """(row name, method, x_T mode); the row names are the paper's (which carry T=100), the T column says
    the step count actually used."""
    return [("GZS-Net", "GZS-Net", "none"), ("Diff-AE (T=100, random x_T)", "Diff-AE", "random"),
            ("DiffuseGAE (T=100, random x_T)", "DiffuseGAE", "random"), ("DDIM (T=100)", "DDIM", "ddim"),
            ("DiffuseGAE (T=100, inferred x_T)", "DiffuseGAE", "inferred")]


def _reconstruct_group(codec, method: str, mode: str, center: torch.Tensor, partners: torch.Tensor,
                       n_steps: int, generator: torch.Generator) -> torch.Tensor:
    if method == "DDIM":  # no semantic latent: the centre's own x_T, inferred (DiffuseGAE Table 2 "DDIM")
        return codec.reconstruct(center, n_steps, x_T="inferred")
    return reassemble_and_decode(codec, center, partners, n_steps=n_steps, x_T_mode=mode, generator=generator)


def diffusegae_table2(codecs: Mapping[str, object], prepared: str | Path, groups_csv: str | Path,
                      out_csv: str | Path, *, n_groups: int, n_steps: int, batch_size: int, seed: int,
                      weights_dir: str | None, allow_random: bool, device: str) -> pd.DataFrame:
    """codecs: method -> codec (``diffae.eval.codecs.load_codecs``) for GZS-Net, Diff-AE, DiffuseGAE and DDIM."""
    from diffae.data.images import to_model_range
    from diffae.data.prepared import load_prepared
    from diffae.eval.fid import FIDInception, fid_statistics, frechet_distance
    from diffae.eval.metrics import LPIPSMetric, reconstruction_metrics
    from diffae.data.groups import group_members

    data = load_prepared(prepared)
    members = group_members(groups_csv, data.attributes)
    if len(members) < n_groups:
        raise ValueError(f"{groups_csv} has {len(members)} groups but eval.groups.n_groups = {n_groups}")
    members = members[:n_groups]
    lpips = LPIPSMetric("alex", weights_dir=weights_dir, allow_random=allow_random, seed=seed, device=device)
    inception = FIDInception(weights_dir=weights_dir, allow_random=allow_random, seed=seed, device=device)
    to_x = lambda idx: to_model_range(data.images[idx]).to(device)  # noqa: E731
    ref_mu, ref_sigma = fid_statistics(to_x(members[:, 0]).cpu(), inception, batch_size=batch_size)  # once, all rows
    partial = PartialRows(out_csv, {"codecs": {m: codec_digest(c) for m, c in sorted(codecs.items())},
                                    "members": arrays_digest([members, data.images[np.unique(members)]]),
                                    "n_steps": n_steps,
                                    "batch_size": batch_size, "seed": seed, "features": inception.feature_net})
    rows = []
    for name, method, mode in tqdm(row_specs(n_steps), desc="DiffuseGAE Table 2 rows", unit="row"):
        if name in partial:
            rows += partial.get(name)
            continue
        gen = torch.Generator().manual_seed(seed)
        outs, metrics = [], {}
        for lo in tqdm(range(0, n_groups, batch_size), desc=name, unit="batch", leave=False):
            g = members[lo:lo + batch_size]
            center = to_x(g[:, 0])
            partners = to_x(g[:, 1:].reshape(-1)).view(len(g), g.shape[1] - 1, *center.shape[1:])
            x_hat = _reconstruct_group(codecs[method], method=method, mode=mode, center=center, partners=partners,
                                       n_steps=n_steps, generator=gen)
            for k, v in reconstruction_metrics(center, x_hat, lpips).items():
                metrics.setdefault(k, []).append(v)
            outs.append(x_hat.cpu())
        fid = frechet_distance(*fid_statistics(torch.cat(outs), inception, batch_size=batch_size), ref_mu, ref_sigma)
        ours = {"fid": fid, **{k: float(np.concatenate(v).mean()) for k, v in metrics.items()}}
        rows += partial.add(name, [{"model": name, "method": method, "T": None if method == "GZS-Net" else n_steps,
                                    "x_T": mode, **ours, "n_samples": n_groups, "seed": seed,
                                    "feature_net": f"{inception.feature_net}; {lpips.feature_net}"}])
        log.info("%s: %s", name, {k: round(v, 4) for k, v in ours.items()})
    return partial.finish(rows)
