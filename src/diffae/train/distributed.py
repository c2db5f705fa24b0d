"""Data-parallel helpers for runs launched by ``torchrun`` (DESIGN.md Sec. 7).

The loop does not wrap modules in ``DistributedDataParallel``. Recipes call their own
modules inside ``loss(batch, step)``, often several times per step (GAE swaps, PDAE's
encoder + frozen UNet) and sometimes leaving parameters unused; wrapping would force
recipes to go through the wrapper and to declare unused parameters. Instead, after the
backward pass the loop averages gradients over ranks with bucketed ``all_reduce``
(:func:`average_gradients`), which is the same maths as DDP, without the overlap of
communication and backward. Parameters are broadcast from rank 0 at the start, as DDP does.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

_BUCKET_NUMEL = 2**24


@dataclass(frozen=True)
class DistContext:
    """Where this process stands: its rank, the world size and its device."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    owns_group: bool  # True when setup() created the process group (and teardown() destroys it)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={raw!r}: expected an integer") from exc


def world_size() -> int:
    """Number of processes in the run (1 when not launched by torchrun)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return _env_int("WORLD_SIZE", 1)


def rank() -> int:
    """Global rank of this process (0 when not distributed)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return _env_int("RANK", 0)


def is_main_process() -> bool:
    """True on rank 0: the only rank that writes checkpoints, logs and progress."""
    return rank() == 0


def setup(device: str | torch.device = "cpu") -> DistContext:
    """Join the process group when launched with ``WORLD_SIZE > 1`` (gloo on CPU, nccl on CUDA).

    On CUDA each rank uses ``cuda:LOCAL_RANK``. Without torchrun this returns a one-process
    context for ``device`` and does nothing else.
    """
    device = torch.device(device)
    ws = _env_int("WORLD_SIZE", 1)
    if ws <= 1:
        return DistContext(0, 1, 0, device, owns_group=False)
    local_rank = _env_int("LOCAL_RANK", 0)
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    owns = False
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        owns = True
    return DistContext(dist.get_rank(), dist.get_world_size(), local_rank, device, owns_group=owns)


def teardown(ctx: DistContext) -> None:
    """Barrier, then destroy the process group if :func:`setup` created it."""
    if ctx.enabled and dist.is_initialized():
        dist.barrier()
        if ctx.owns_group:
            dist.destroy_process_group()


def barrier(ctx: DistContext) -> None:
    """Wait for every rank (no-op without a process group)."""
    if ctx.enabled and dist.is_initialized():
        dist.barrier()


def broadcast_modules(modules: dict[str, nn.Module], ctx: DistContext) -> None:
    """Copy rank 0's parameters and buffers to every rank."""
    if not ctx.enabled:
        return
    with torch.no_grad():
        for name in sorted(modules):
            for t in list(modules[name].parameters()) + list(modules[name].buffers()):
                dist.broadcast(t.data, src=0)


def average_gradients(params: list[nn.Parameter], ctx: DistContext) -> None:
    """All-reduce (mean) the gradients of ``params`` over ranks, in flat buckets.

    A parameter with no gradient on some rank counts as a zero gradient there; one with no
    gradient on any rank keeps ``grad = None`` (so the optimizer skips it, as in a
    single-process run).
    """
    if not ctx.enabled or not params:
        return
    has = torch.tensor([p.grad is not None for p in params], dtype=torch.int32, device=ctx.device)
    dist.all_reduce(has, op=dist.ReduceOp.MAX)
    live = []
    for p, h in zip(params, has.tolist()):
        if h and p.grad is None:
            p.grad = torch.zeros_like(p)
        if h:
            live.append(p)
    by_dtype: dict[torch.dtype, list[nn.Parameter]] = {}
    for p in live:
        by_dtype.setdefault(p.grad.dtype, []).append(p)
    for group in by_dtype.values():
        bucket: list[nn.Parameter] = []
        numel = 0
        for p in group:
            bucket.append(p)
            numel += p.numel()
            if numel >= _BUCKET_NUMEL:
                _reduce_bucket(bucket, ctx.world_size)
                bucket, numel = [], 0
        if bucket:
            _reduce_bucket(bucket, ctx.world_size)


def _reduce_bucket(bucket: list[nn.Parameter], ws: int) -> None:
    flat = torch.cat([p.grad.reshape(-1) for p in bucket])
    dist.all_reduce(flat)
    flat.div_(ws)
    offset = 0
    for p in bucket:
        n = p.numel()
        p.grad.copy_(flat[offset:offset + n].view_as(p.grad))
        offset += n


def all_true(flag: bool, ctx: DistContext) -> bool:
    """Logical AND of ``flag`` over ranks (so that every rank stops together)."""
    if not ctx.enabled:
        return flag
    t = torch.tensor([1 if flag else 0], dtype=torch.int32, device=ctx.device)
    dist.all_reduce(t, op=dist.ReduceOp.MIN)
    return bool(t.item())


def mean_over_ranks(values: dict[str, float], ctx: DistContext) -> dict[str, float]:
    """Average a dict of scalars (same keys on every rank) over ranks."""
    if not ctx.enabled or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64, device=ctx.device)
    dist.all_reduce(t)
    t /= ctx.world_size
    return dict(zip(keys, t.tolist()))


def gather_to_main(obj: object, ctx: DistContext) -> list[object] | None:
    """Collect one picklable object per rank; the list (indexed by rank) on rank 0, else None."""
    if not ctx.enabled:
        return [obj]
    out: list[object] = [None] * ctx.world_size
    dist.all_gather_object(out, obj)
    return out if ctx.is_main else None
