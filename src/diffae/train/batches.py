"""Batches of the training loop: a pure function of (seed, update index), so a resumed run sees the same ones.

Update ``s`` uses rows ``[i*B, (i+1)*B)`` of a permutation of the dataset that is a pure function
of ``(seed, epoch)`` (``epoch = s // (len(dataset) // B)``, incomplete last batches dropped). With
``torchrun`` the global batch ``B`` is split in equal contiguous slices over ranks.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader, TensorDataset, default_collate

from diffae.train.distributed import DistContext


def batch_indices(n: int, batch_size: int, seed: int, step: int) -> np.ndarray:
    """Dataset indices of the global batch for update ``step`` (pure function; see module doc)."""
    per_epoch = n // batch_size
    if per_epoch < 1:
        raise ValueError(f"dataset has {n} samples, fewer than batch_size={batch_size}")
    epoch, i = divmod(step, per_epoch)
    perm = np.random.default_rng([seed, epoch]).permutation(n)
    return perm[i * batch_size:(i + 1) * batch_size]


class StepBatches:
    """Batch sampler yielding this rank's index slices for updates ``start..stop-1``."""

    def __init__(self, n: int, *, batch_size: int, seed: int, start: int, stop: int, ctx: DistContext) -> None:
        self.n, self.batch_size, self.seed, self.start, self.stop = n, batch_size, seed, start, stop
        self.local = batch_size // ctx.world_size
        self.lo = ctx.rank * self.local

    def __len__(self) -> int:
        return self.stop - self.start

    def __iter__(self) -> Iterator[list[int]]:
        for s in range(self.start, self.stop):
            idx = batch_indices(self.n, self.batch_size, self.seed, s)
            yield idx[self.lo:self.lo + self.local].tolist()


class _Batched(torch.utils.data.Dataset):
    """Dataset view whose ``__getitems__`` returns a collated batch (fast path for tensors)."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> Any:
        return self.dataset[i]

    def __getitems__(self, idx: list[int]) -> Any:
        if isinstance(self.dataset, TensorDataset):
            t = torch.as_tensor(idx, dtype=torch.long)
            return [x[t] for x in self.dataset.tensors]
        return default_collate([self.dataset[i] for i in idx])


def _identity(batch: Any) -> Any:
    return batch


def step_batches(dataset: Any, *, batch_size: int, seed: int, start: int, stop: int, ctx: DistContext,
                 num_workers: int) -> Iterator[Any]:
    """This rank's collated batches for updates ``start..stop-1``.

    ``num_workers = 0`` loads in the main process (bit-identical resume); with workers, random
    transforms inside the dataset draw from worker seeds that depend on the resume point.
    """
    sampler = StepBatches(len(dataset), batch_size=batch_size, seed=seed, start=start, stop=stop, ctx=ctx)
    view = _Batched(dataset)
    if num_workers == 0:
        return (view.__getitems__(idx) for idx in sampler)
    # A private generator keeps DataLoader from drawing on the global torch RNG.
    gen = torch.Generator().manual_seed(seed * 1_000_003 + start)
    return iter(DataLoader(view, batch_sampler=sampler, num_workers=num_workers, collate_fn=_identity,
                           pin_memory=ctx.device.type == "cuda", generator=gen))


def to_device(batch: Any, device: torch.device, channels_last: bool) -> Any:
    """``batch`` (tensor, mapping, namedtuple, list or tuple of them) on ``device``; 4-D float tensors
    in channels_last memory format when asked."""
    if isinstance(batch, Tensor):
        batch = batch.to(device, non_blocking=True)
        if channels_last and batch.dim() == 4 and batch.is_floating_point():
            batch = batch.contiguous(memory_format=torch.channels_last)
        return batch
    if isinstance(batch, Mapping):
        return {k: to_device(v, device, channels_last) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):  # namedtuple
        return type(batch)(*(to_device(v, device, channels_last) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(v, device, channels_last) for v in batch)
    return batch
