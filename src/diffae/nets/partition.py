"""Attribute partition of a disentangled latent code.

DiffuseGAE §3.3/§4 (after GZS-Net, Ge et al. ICLR 2021 §3): the refined code
``z_dis`` is cut into contiguous parts, one per attribute, in a fixed order.
For iLab-20M the paper uses ``z_dis`` = 100 = identity 60 / background 20 /
pose 20; names, sizes and order are parameters here.

Group layout used with this class: a centre ``(B, dim)`` and partners
``(B, m, dim)`` where ``partners[:, k]`` shares exactly attribute ``k`` with
the centre (GROUP(C, 1), DiffuseGAE Def. 1).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

__all__ = ["Partition"]


@dataclass(frozen=True)
class Partition:
    """Contiguous split of a latent of size ``sum(sizes)`` into named parts."""

    names: tuple[str, ...]
    sizes: tuple[int, ...]

    def __post_init__(self) -> None:
        names = tuple(self.names)
        sizes = tuple(self.sizes)
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "sizes", sizes)
        if len(names) == 0:
            raise ValueError("Partition: names must not be empty")
        if len(names) != len(sizes):
            raise ValueError(
                f"Partition: {len(names)} names {names} but {len(sizes)} sizes {sizes}; "
                "expected one size per name"
            )
        for name in names:
            if not isinstance(name, str) or not name:
                raise ValueError(f"Partition: name {name!r} must be a non-empty string")
        if len(set(names)) != len(names):
            raise ValueError(f"Partition: names {names} must be unique")
        for name, size in zip(names, sizes):
            if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
                raise ValueError(
                    f"Partition: size {size!r} of part {name!r} must be a positive int"
                )

    # ---------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, list]:
        """Plain ``{"names": [...], "sizes": [...]}`` as stored in artifact and latents meta."""
        return {"names": list(self.names), "sizes": list(self.sizes)}

    @classmethod
    def from_dict(cls, d: Any, where: str = "partition", dim: int | None = None) -> Partition:
        """Inverse of :meth:`to_dict`; ``where`` names the source in errors (e.g. ``"z.npz: meta['partition']"``).

        With ``dim`` the sizes must sum to it (the width of the latent the partition cuts).
        """
        if not isinstance(d, dict) or "names" not in d or "sizes" not in d:
            raise ValueError(f"{where} = {d!r}; expected {{'names': [...], 'sizes': [...]}} "
                             "giving the latent part of each attribute")
        partition = cls(tuple(d["names"]), tuple(int(s) for s in d["sizes"]))
        if dim is not None and dim != partition.dim:
            raise ValueError(f"{where}: sizes {list(partition.sizes)} sum to {partition.dim} "
                             f"but the latent has width {dim}")
        return partition

    # ------------------------------------------------------------------ lookup
    @property
    def dim(self) -> int:
        """Total latent size, ``sum(sizes)``."""
        return sum(self.sizes)

    @property
    def num_parts(self) -> int:
        """Number of attributes ``m``."""
        return len(self.sizes)

    def index(self, name_or_index: str | int) -> int:
        """Position of a part given its name or (possibly negative) index."""
        if isinstance(name_or_index, str):
            if name_or_index not in self.names:
                raise KeyError(
                    f"Partition: unknown part {name_or_index!r}; expected one of {self.names}"
                )
            return self.names.index(name_or_index)
        if isinstance(name_or_index, bool) or not isinstance(name_or_index, int):
            raise TypeError(
                f"Partition: part {name_or_index!r} must be a name (str) or an index (int)"
            )
        m = self.num_parts
        if not -m <= name_or_index < m:
            raise IndexError(f"Partition: part index {name_or_index} out of range for {m} parts")
        return name_or_index % m

    def slice(self, name_or_index: str | int) -> builtins.slice:
        """Slice of the latent's last dimension holding one part."""
        k = self.index(name_or_index)
        start = sum(self.sizes[:k])
        return builtins.slice(start, start + self.sizes[k])

    def mask(self, k: int | Tensor, device: torch.device | None = None) -> Tensor:
        """Boolean mask over the latent dims of part ``k``.

        ``k`` an int gives ``(dim,)``; ``k`` a long tensor ``(B,)`` gives ``(B, dim)``.
        """
        owner = torch.repeat_interleave(  # output_size given: no wait for the device to learn it
            torch.arange(self.num_parts, device=device), torch.tensor(self.sizes, device=device),
            output_size=sum(self.sizes),
        )
        if isinstance(k, Tensor):
            if k.dim() != 1 or k.dtype not in (torch.int64, torch.int32):
                raise ValueError(f"Partition: part indices must be a 1-D int tensor, got {tuple(k.shape)} {k.dtype}")
            if k.device.type == "cpu" and k.numel() and (int(k.min()) < 0 or int(k.max()) >= self.num_parts):
                raise IndexError(f"Partition: part indices out of range [0, {self.num_parts})")
            return owner.unsqueeze(0) == k.to(owner.device).unsqueeze(1)
        return owner == self.index(k)

    def require_dim(self, z: Tensor, what: str = "latent") -> None:
        """Raise ``ValueError`` unless ``z``'s last dimension equals :attr:`dim`."""
        if z.dim() == 0 or z.shape[-1] != self.dim:
            raise ValueError(
                f"{what} has shape {tuple(z.shape)}; expected last dimension {self.dim} = "
                f"sum of partition sizes {dict(zip(self.names, self.sizes))}"
            )

    # ------------------------------------------------------------- operations
    def split(self, z: Tensor) -> list[Tensor]:
        """Parts of ``z`` along its last dimension, in partition order."""
        self.require_dim(z)
        return list(torch.split(z, list(self.sizes), dim=-1))

    def swap(self, za: Tensor, zb: Tensor, k: str | int | Tensor) -> tuple[Tensor, Tensor]:
        """Exchange part ``k`` between ``za`` and ``zb`` (GZS-Net §3 "swap").

        ``k`` is a part name/index shared by the batch, or a long tensor ``(B,)``
        of per-sample part indices. Returns new tensors; inputs are untouched.
        """
        self.require_dim(za, "za")
        if za.shape != zb.shape:
            raise ValueError(f"swap: za {tuple(za.shape)} and zb {tuple(zb.shape)} differ in shape")
        if isinstance(k, Tensor):
            if za.dim() != 2 or k.shape != (za.shape[0],):
                raise ValueError(
                    f"swap: per-sample indices of shape {tuple(k.shape)} need za of shape (B, dim) "
                    f"with B = {k.shape[0] if k.dim() else '?'}; got {tuple(za.shape)}"
                )
        mask = self.mask(k, device=za.device)
        return torch.where(mask, zb, za), torch.where(mask, za, zb)

    def assemble(self, parts_sources: Tensor) -> Tensor:
        """Take part ``k`` from source ``k``: ``(B, m, dim) -> (B, dim)``.

        With ``parts_sources = partners_z`` this is DiffuseGAE §3.3's z_re,
        reassembled from the parts each partner shares with the centre.
        """
        if parts_sources.dim() != 3 or parts_sources.shape[1] != self.num_parts:
            raise ValueError(
                f"assemble: sources of shape {tuple(parts_sources.shape)}; expected "
                f"(B, {self.num_parts}, {self.dim})"
            )
        self.require_dim(parts_sources, "assemble sources")
        pieces = [parts_sources[:, k, self.slice(k)] for k in range(self.num_parts)]
        return torch.cat(pieces, dim=-1)

    def random_recombine(
        self, z: Tensor, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """DiffuseGAE Eq. (10)'s ``f``: each part from a random sample of the batch.

        For every output row and part ``k`` a source row is drawn uniformly from
        the batch (independently; all parts may come from one row). Returns
        ``(z_u (B, dim), source_idx (B, m) long)`` with
        ``z_u[b, slice(k)] == z[source_idx[b, k], slice(k)]``.
        """
        self.require_dim(z, "z")
        if z.dim() != 2 or z.shape[0] == 0:
            raise ValueError(f"random_recombine: z has shape {tuple(z.shape)}; expected (B>0, {self.dim})")
        b = z.shape[0]
        gen_device = generator.device if generator is not None else torch.device("cpu")
        idx = torch.randint(0, b, (b, self.num_parts), generator=generator, device=gen_device)
        idx = idx.to(z.device)
        sources = z.index_select(0, idx.reshape(-1)).view(b, self.num_parts, -1)  # row b, slot k = z[idx[b, k]]
        return self.assemble(sources), idx
