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
    epoch, i = _epoch_and_slot(n, batch_size, step)
    return _permutation(n, seed, epoch)[i * batch_size:(i + 1) * batch_size]


def _epoch_and_slot(n: int, batch_size: int, step: int) -> tuple[int, int]:
    per_epoch = n // batch_size
    if per_epoch < 1:
        raise ValueError(f"dataset has {n} samples, fewer than batch_size={batch_size}")
    return divmod(step, per_epoch)


def _permutation(n: int, seed: int, epoch: int) -> np.ndarray:
    return np.random.default_rng([seed, epoch]).permutation(n)


class StepBatches:
    """Batch sampler yielding this rank's index slices for updates ``start..stop-1`` (``batch_indices``, with each
    epoch's permutation drawn once rather than per update: it costs milliseconds for millions of samples)."""

    def __init__(self, n: int, *, batch_size: int, seed: int, start: int, stop: int, ctx: DistContext) -> None:
        self.n, self.batch_size, self.seed, self.start, self.stop = n, batch_size, seed, start, stop
        self.local = batch_size // ctx.world_size
        self.lo = ctx.rank * self.local

    def __len__(self) -> int:
        return self.stop - self.start

    def __iter__(self) -> Iterator[list[int]]:
        epoch, perm = None, None
        for s in range(self.start, self.stop):
            e, i = _epoch_and_slot(self.n, self.batch_size, s)
            if e != epoch:
                epoch, perm = e, _permutation(self.n, self.seed, e)
            lo = i * self.batch_size + self.lo
            yield perm[lo:lo + self.local].tolist()


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
                 num_workers: int, resident_bytes: int | None = None) -> Iterator[Any]:
    """This rank's collated batches for updates ``start..stop-1``.

    ``num_workers = 0`` loads in the main process (bit-identical resume); with workers, random
    transforms inside the dataset draw from worker seeds that depend on the resume point. On a GPU with
    ``num_workers = 0``, a TensorDataset of at most ``resident_bytes`` (default: an eighth of the GPU's memory,
    and at most a quarter of what is free once the models are there) is copied to the GPU once and batches are
    gathered there; a larger one is gathered on the host one batch ahead, in a thread, into pinned memory, so
    its copy overlaps the device's work. The batches' values are the same on every path.
    """
    sampler = StepBatches(len(dataset), batch_size=batch_size, seed=seed, start=start, stop=stop, ctx=ctx)
    if num_workers == 0 and ctx.device.type == "cuda" and isinstance(dataset, TensorDataset):
        free, total = torch.cuda.mem_get_info(ctx.device)
        budget = resident_bytes if resident_bytes is not None else min(total // 8, free // 4)
        if sum(t.numel() * t.element_size() for t in dataset.tensors) <= budget:
            return resident_batches(dataset, sampler, ctx.device)
        return prefetched(_Batched(dataset).__getitems__(idx) for idx in sampler)
    view = _Batched(dataset)
    if num_workers == 0:
        return (view.__getitems__(idx) for idx in sampler)
    # A private generator keeps DataLoader from drawing on the global torch RNG.
    gen = torch.Generator().manual_seed(seed * 1_000_003 + start)
    return iter(DataLoader(view, batch_sampler=sampler, num_workers=num_workers, collate_fn=_identity,
                           pin_memory=ctx.device.type == "cuda", generator=gen))


def resident_batches(dataset: TensorDataset, sampler: StepBatches, device: torch.device) -> Iterator[list[Tensor]]:
    """The sampler's batches gathered from a copy of ``dataset``'s tensors on ``device`` (made once)."""
    tensors = [t.to(device) for t in dataset.tensors]
    for idx in sampler:
        index = torch.as_tensor(idx, dtype=torch.long).to(device, non_blocking=True)
        yield [t[index] for t in tensors]


def prefetched(batches: Iterator[Any], pin: bool = True) -> Iterator[Any]:
    """``batches`` in order, each gathered (and, with ``pin``, copied to pinned memory) by a thread one batch ahead."""
    from concurrent.futures import ThreadPoolExecutor

    def take():
        batch = next(batches, _END)
        return _pinned(batch) if pin and batch is not _END else batch

    with ThreadPoolExecutor(max_workers=1) as pool:
        ahead = pool.submit(take)
        while (batch := ahead.result()) is not _END:
            ahead = pool.submit(take)
            yield batch


_END = object()


def _pinned(batch: Any) -> Any:
    if isinstance(batch, Tensor):
        return batch.pin_memory()
    if isinstance(batch, (list, tuple)):
        return type(batch)(_pinned(b) for b in batch)
    return batch


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
