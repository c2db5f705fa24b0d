"""Group-supervised losses: DiffuseGAE's GAE (§3.3, Eq. 10-11) and the pixel baselines.

Pure functions, no I/O. An "autoencoder" here is any object with
``encode(x) -> z`` and ``decode(z) -> x`` (:class:`diffae.nets.gae.GAE`,
:class:`diffae.nets.gzsnet.GroupAutoencoder`, or a test stub).

Group batch layout (GROUP(C, 1), DiffuseGAE Def. 1): ``center`` ``(B, ...)`` and
``partners`` ``(B, m, ...)``; ``partners[:, k]`` shares exactly attribute ``k``
with the centre. The latent partition's part ``k`` is attribute ``k``.

Conventions (the DiffuseGAE paper leaves them open; GZS-Net's official code is
the only source):

* Distance: L1 (mean absolute error) by default everywhere. DiffuseGAE states L1
  for L_ur (Eq. 10) and follows GZS-Net for the rest; GZS-Net uses L1 for all
  of its losses. ``loss="mse"`` is available for the latent losses.
* Reduction over terms: each term (one reconstruction target) is a mean over
  its batch; ``reduction="sum"`` (default) adds the terms as GZS-Net's code does
  (e.g. L_r sums the reconstruction of the centre and of every partner),
  ``"mean"`` averages them, making the scale independent of ``m``.
* Targets are not detached (as in GZS-Net's code).
"""

from __future__ import annotations

from typing import Callable, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor

from diffae.nets.partition import Partition

__all__ = [
    "gae_reconstruction_loss",
    "supervised_swap_loss",
    "unsupervised_reassemble_loss",
    "dis_loss",
    "gzs_losses",
    "aeds_losses",
]

Distance = Callable[[Tensor, Tensor], Tensor]


class AutoEncoder(Protocol):
    def encode(self, x: Tensor) -> Tensor: ...
    def decode(self, z: Tensor) -> Tensor: ...


class Classifier(Protocol):
    partition: Partition

    def __call__(self, z: Tensor) -> list[Tensor]: ...


# ------------------------------------------------------------------ helpers
def _distance(loss: str) -> Distance:
    if loss == "l1":
        return F.l1_loss
    if loss == "mse":
        return F.mse_loss
    raise ValueError(f"loss={loss!r} unknown; expected 'l1' or 'mse'")


def _reduce(terms: list[Tensor], reduction: str) -> Tensor:
    if reduction == "sum":
        return torch.stack(terms).sum()
    if reduction == "mean":
        return torch.stack(terms).mean()
    raise ValueError(f"reduction={reduction!r} unknown; expected 'sum' or 'mean'")


def _check_group(center: Tensor, partners: Tensor, partition: Partition) -> None:
    m = partition.num_parts
    if (
        partners.dim() != center.dim() + 1
        or partners.shape[0] != center.shape[0]
        or partners.shape[1] != m
        or partners.shape[2:] != center.shape[1:]
    ):
        raise ValueError(
            f"group: partners {tuple(partners.shape)} do not match centre {tuple(center.shape)}; "
            f"expected (B, m={m}, ...) with B and item shape equal to the centre's "
            f"(partition parts {partition.names})"
        )


def _flatten_group(center: Tensor, partners: Tensor) -> Tensor:
    """``(B, ...)`` + ``(B, m, ...)`` -> ``((1+m)*B, ...)``: centre rows, then partner 0, 1, ..."""
    return torch.cat([center, partners.transpose(0, 1).flatten(0, 1)], dim=0)


def _encode_group(ae: AutoEncoder, center: Tensor, partners: Tensor, partition: Partition) -> Tensor:
    _check_group(center, partners, partition)
    codes = ae.encode(_flatten_group(center, partners))
    partition.require_dim(codes, "encoded latent")
    return codes


def _recon_terms(ae: AutoEncoder, items: Tensor, codes: Tensor, n_members: int, dist: Distance) -> list[Tensor]:
    recon = ae.decode(codes)
    return [dist(r, x) for r, x in zip(recon.chunk(n_members), items.chunk(n_members))]


def _swap_terms(
    ae: AutoEncoder, codes: Tensor, center: Tensor, partners: Tensor,
    partition: Partition, dist: Distance,
) -> list[Tensor]:
    """Terms of L_ss (DiffuseGAE §3.3; GZS-Net "one-overlap attribute swap")."""
    b, m = center.shape[0], partition.num_parts
    zc, zp = codes[:b], codes[b:].reshape(m, b, -1).transpose(0, 1)  # (B, dim), (B, m, dim)
    swapped_c: list[Tensor] = []
    swapped_p: list[Tensor] = []
    for k in range(m):
        c_k, p_k = partition.swap(zc, zp[:, k], k)
        swapped_c.append(c_k)
        swapped_p.append(p_k)
    z_re = partition.assemble(zp)  # part k from partner k
    out = ae.decode(torch.cat(swapped_c + swapped_p + [z_re], dim=0)).split(b)
    terms = [dist(out[k], center) for k in range(m)]
    terms += [dist(out[m + k], partners[:, k]) for k in range(m)]
    terms.append(dist(out[2 * m], center))
    return terms


def _reassemble_term(
    ae: AutoEncoder, codes: Tensor, partition: Partition,
    generator: torch.Generator | None, dist: Distance,
) -> Tensor:
    """DiffuseGAE Eq. (10): z_dis -f-> z_u -D-> z_hat -E-> z_u_hat, L1(z_u, z_u_hat)."""
    z_u, _ = partition.random_recombine(codes, generator)
    z_u_hat = ae.encode(ae.decode(z_u))
    return dist(z_u_hat, z_u)


def _cycle_swap_term(
    ae: AutoEncoder, items: Tensor, codes: Tensor, partition: Partition,
    generator: torch.Generator | None, dist: Distance, reduction: str,
) -> Tensor:
    """GZS-Net cycle attribute swap (Ge et al. 2021, §3, Fig. 3c).

    Pair each item with a random item of the batch, pick a random attribute
    ``j`` per pair, swap part ``j``, decode, re-encode, swap part ``j`` back,
    decode, and compare with the two originals.
    """
    n = items.shape[0]
    gen_device = generator.device if generator is not None else torch.device("cpu")
    perm = torch.randperm(n, generator=generator, device=gen_device).to(items.device)
    j = torch.randint(0, partition.num_parts, (n,), generator=generator, device=gen_device)
    j = j.to(items.device)
    a, b = partition.swap(codes, codes[perm], j)
    ra, rb = ae.encode(ae.decode(torch.cat([a, b], dim=0))).chunk(2)
    back_a, back_b = partition.swap(ra, rb, j)
    ya, yb = ae.decode(torch.cat([back_a, back_b], dim=0)).chunk(2)
    return _reduce([dist(ya, items), dist(yb, items[perm])], reduction)


# ------------------------------------------------------------ GAE (latent)
def gae_reconstruction_loss(gae: AutoEncoder, z: Tensor, loss: str = "l1") -> Tensor:
    """L_r of DiffuseGAE Eq. (11): ``dist(D(E(z_sem)), z_sem)`` over one batch."""
    return _distance(loss)(gae.decode(gae.encode(z)), z)


def supervised_swap_loss(
    gae: AutoEncoder, center: Tensor, partners: Tensor, partition: Partition,
    loss: str = "l1", reduction: str = "sum",
) -> Tensor:
    """L_ss, DiffuseGAE §3.3 "Supervised Attribute-Swap" (GZS-Net one-overlap swap).

    (a) For each attribute ``k``, swap part ``k`` of z_dis between the centre
    and partner ``k`` (which share attribute ``k``); decoding must give back
    both originals (2m terms). (b) Reassemble z_re from part ``k`` of partner
    ``k`` for every ``k``; decoding must give the centre (1 term).
    """
    codes = _encode_group(gae, center, partners, partition)
    terms = _swap_terms(gae, codes, center, partners, partition, _distance(loss))
    return _reduce(terms, reduction)


def unsupervised_reassemble_loss(
    gae: AutoEncoder, z_batch: Tensor, partition: Partition,
    generator: torch.Generator | None = None, loss: str = "l1",
) -> Tensor:
    """L_ur, DiffuseGAE Eq. (10): ``L1(z_u, E(D(f(E(z_sem)))))``.

    ``f`` is :meth:`Partition.random_recombine` (each part from a random sample
    of ``z_batch``), seeded by ``generator``.
    """
    codes = gae.encode(z_batch)
    partition.require_dim(codes, "encoded latent")
    return _reassemble_term(gae, codes, partition, generator, _distance(loss))


def dis_loss(
    gae: AutoEncoder, center: Tensor, partners: Tensor, partition: Partition,
    lambda_ss: float = 1.0, lambda_ur: float = 0.5,
    generator: torch.Generator | None = None, loss: str = "l1", reduction: str = "sum",
) -> tuple[Tensor, dict[str, Tensor]]:
    """L_dis = L_r + lambda_ss L_ss + lambda_ur L_ur, DiffuseGAE Eq. (11).

    Defaults 1.0 / 0.5 are §3.3's refinement values (joint fine-tuning, Eq. 12,
    uses 0.5 / 0.5). L_r covers the centre and every partner (one term each);
    L_ur recombines parts across all ``(1+m)*B`` group items, which equals
    ``unsupervised_reassemble_loss(gae, cat([center, partners[:, 0], ...]), ...)``
    for the same generator state. Returns ``(total, {"rec", "ss", "ur"})`` with
    unweighted terms.
    """
    dist = _distance(loss)
    codes = _encode_group(gae, center, partners, partition)
    items = _flatten_group(center, partners)
    m1 = partition.num_parts + 1
    rec = _reduce(_recon_terms(gae, items, codes, m1, dist), reduction)
    ss = _reduce(_swap_terms(gae, codes, center, partners, partition, dist), reduction)
    ur = _reassemble_term(gae, codes, partition, generator, dist)
    total = rec + lambda_ss * ss + lambda_ur * ur
    return total, {"rec": rec, "ss": ss, "ur": ur}


# ------------------------------------------------------- pixel baselines
def gzs_losses(
    ae: AutoEncoder, center: Tensor, partners: Tensor, partition: Partition,
    w_recon: float = 1.0, w_swap: float = 1.0, w_cycle: float = 1.0,
    generator: torch.Generator | None = None, cycle: str = "swap",
    loss: str = "l1", reduction: str = "sum",
) -> tuple[Tensor, dict[str, Tensor]]:
    """GZS-Net objective on images (Ge et al. 2021 §3): ``w_r L_r + w_s L_swap + w_c L_cycle``.

    * ``rec``: pixel L1 reconstruction of the centre and every partner.
    * ``swap``: one-overlap attribute swap, the same structure as L_ss
      (:func:`supervised_swap_loss`) in pixel space, incl. the reassembly term
      present in the authors' code.
    * ``cycle``: ``"swap"`` (default, the paper's cycle attribute swap, Fig. 3c:
      swap a random part between random pairs, decode, re-encode, swap back,
      decode, compare with the originals) or ``"latent"`` (the authors' code:
      recombine parts from several samples, decode, re-encode and regress the
      latent, i.e. Eq. (10) in pixel space).

    Weights: w_swap = 1 is the authors' code default; the paper's values are
    not in our sources, so all default to 1. Returns ``(total, {"rec", "swap",
    "cycle"})`` with unweighted terms.
    """
    dist = _distance(loss)
    codes = _encode_group(ae, center, partners, partition)
    items = _flatten_group(center, partners)
    m1 = partition.num_parts + 1
    rec = _reduce(_recon_terms(ae, items, codes, m1, dist), reduction)
    swap = _reduce(_swap_terms(ae, codes, center, partners, partition, dist), reduction)
    if cycle == "swap":
        cyc = _cycle_swap_term(ae, items, codes, partition, generator, dist, reduction)
    elif cycle == "latent":
        cyc = _reassemble_term(ae, codes, partition, generator, dist)
    else:
        raise ValueError(f"gzs_losses: cycle={cycle!r} unknown; expected 'swap' or 'latent'")
    total = w_recon * rec + w_swap * swap + w_cycle * cyc
    return total, {"rec": rec, "swap": swap, "cycle": cyc}


def aeds_losses(
    ae: AutoEncoder, heads: Classifier, images: Tensor, labels: Tensor,
    w_recon: float = 1.0, w_cls: float = 1.0, loss: str = "l1",
) -> tuple[Tensor, dict[str, Tensor]]:
    """AE + DS (DiffuseGAE Table 1 caption): reconstruction + per-part cross-entropy.

    ``labels`` ``(B, m)`` long: column ``k`` is attribute ``k``'s class, predicted
    by head ``k`` from latent part ``k`` only. ``ce`` is the sum over heads.
    Returns ``(total, {"rec", "ce", "ce_<name>" per attribute})``.
    """
    names = heads.partition.names
    if labels.dim() != 2 or labels.shape != (images.shape[0], len(names)):
        raise ValueError(
            f"aeds_losses: labels {tuple(labels.shape)}; expected (B={images.shape[0]}, m={len(names)}) "
            f"for attributes {names}"
        )
    if labels.dtype != torch.long:
        raise ValueError(f"aeds_losses: labels dtype {labels.dtype}; expected torch.long")
    z = ae.encode(images)
    rec = _distance(loss)(ae.decode(z), images)
    logits = heads(z)
    terms: dict[str, Tensor] = {"rec": rec}
    ces = []
    for k, (name, lg) in enumerate(zip(names, logits)):
        ce = F.cross_entropy(lg, labels[:, k])
        terms[f"ce_{name}"] = ce
        ces.append(ce)
    terms["ce"] = torch.stack(ces).sum()
    total = w_recon * rec + w_cls * terms["ce"]
    return total, terms
