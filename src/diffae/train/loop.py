"""The one training loop shared by every stage (DESIGN.md Sec. 3 and 7).

A *recipe* states what is trained and the loss; the loop owns the mechanics: batching,
device placement, AMP, the optimizer (Adam/AdamW as in Diff-AE Tables 5-6 and DiffuseGAE
Sec. 3), optional linear lr warmup, gradient clipping, EMA, the non-finite loss guard,
checkpoints with bit-identical resume, progress and metrics logs, and data parallelism
under ``torchrun``.

Step numbering: ``step`` counts completed optimizer updates. ``recipe.loss(batch, step)``
computes the update that starts from ``step`` completed updates (0-based update index); a
checkpoint or log row at ``step = k`` holds the state after ``k`` updates, and a run resumed
from it computes update ``k`` next.

Batches: update ``s`` uses rows ``[i*B, (i+1)*B)`` of a permutation of the dataset that is a
pure function of ``(seed, epoch)`` (``epoch = s // (len(dataset) // B)``, incomplete last
batches dropped), so a resumed run sees exactly the batches an uninterrupted one would. With
``torchrun`` the global batch ``B`` is split in equal contiguous slices over ranks.
"""
from __future__ import annotations

import contextlib
import csv
import json
import logging
import math
import random
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Iterator, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset, default_collate

from diffae.train import distributed as ddp
from diffae.train.checkpoint import (
    capture_rng_state,
    load_checkpoint,
    restore_rng_state,
    save_atomic,
    save_final,
)
from diffae.train.ema import EMA
from diffae.utils.atomic import atomic_write_text

log = logging.getLogger(__name__)

_RESERVED_TERMS = frozenset({"step", "loss", "lr", "grad_norm"})
# Config fields whose change between a checkpoint and a resumed run alters the trajectory.
_TRAJECTORY_FIELDS = ("batch_size", "lr", "optimizer", "weight_decay", "betas", "ema_decay",
                      "ema_warmup", "grad_clip", "seed", "warmup_steps")


@dataclass
class LoopConfig:
    """Mechanics of one training run (the recipe holds the model and loss settings).

    Attributes:
        steps: total optimizer updates.
        batch_size: global batch size (split over ranks under torchrun).
        lr: peak learning rate.
        optimizer: "adam" or "adamw".
        weight_decay: decoupled for AdamW, L2 for Adam.
        betas: Adam betas.
        ema_decay: EMA decay; 0 disables the EMA (final.pt then holds the raw weights).
        ema_warmup: ramp the EMA decay as min(decay, (1+s)/(10+s)) (off = constant decay).
        grad_clip: max global gradient norm over all trainable parameters; 0 disables.
        ckpt_every: write checkpoints/last.pt every this many updates (and at the end).
        log_every: log metrics every this many updates (and at the end).
        amp: bf16 autocast around the loss on CUDA (ignored on CPU).
        channels_last: channels_last memory format for modules and 4-D batch tensors.
        compile: ``torch.compile`` every module in place (``nn.Module.compile``).
        seed: seed of the global RNGs (rank r uses seed + r) and of the batch order.
        warmup_steps: linear lr warmup from lr/warmup_steps to lr; 0 disables.
        num_workers: DataLoader worker processes; 0 loads batches in the main process.
            Bit-identical resume holds for 0; with workers, random transforms inside the
            dataset draw from worker seeds that depend on the resume point.
        dvclive: also log metrics with dvclive under out_dir/dvclive.
    """

    steps: int
    batch_size: int
    lr: float
    optimizer: str = "adam"
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    ema_decay: float = 0.9999
    ema_warmup: bool = False
    grad_clip: float = 1.0
    ckpt_every: int = 1000
    log_every: int = 100
    amp: bool = True
    channels_last: bool = False
    compile: bool = False
    seed: int = 0
    warmup_steps: int = 0
    num_workers: int = 0
    dvclive: bool = True

    def __post_init__(self) -> None:
        self.betas = tuple(float(b) for b in self.betas)  # type: ignore[assignment]
        checks = {
            "steps": self.steps >= 1,
            "batch_size": self.batch_size >= 1,
            "lr": self.lr > 0,
            "optimizer": self.optimizer in ("adam", "adamw"),
            "weight_decay": self.weight_decay >= 0,
            "betas": len(self.betas) == 2 and all(0 <= b < 1 for b in self.betas),
            "ema_decay": 0 <= self.ema_decay < 1,
            "grad_clip": self.grad_clip >= 0,
            "ckpt_every": self.ckpt_every >= 1,
            "log_every": self.log_every >= 1,
            "warmup_steps": self.warmup_steps >= 0,
            "num_workers": self.num_workers >= 0,
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            expected = {"optimizer": "'adam' or 'adamw'", "betas": "two values in [0, 1)",
                        "ema_decay": "in [0, 1)", "lr": "> 0"}
            raise ValueError("LoopConfig: invalid " + ", ".join(
                f"{k}={getattr(self, k)!r} (expected {expected.get(k, '>= 0' if k in ('weight_decay', 'grad_clip', 'warmup_steps', 'num_workers') else '>= 1')})"
                for k in bad))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "LoopConfig":
        """Build from a mapping (e.g. a params.yaml section); unknown keys are an error."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"LoopConfig: unknown keys {unknown}; expected a subset of {sorted(names)}")
        return cls(**dict(d))


@runtime_checkable
class Recipe(Protocol):
    """What a training stage provides. Optionally also ``frozen() -> dict[str, nn.Module]``:
    modules used by the loss but not trained (moved to the device, eval mode, no grads,
    not checkpointed)."""

    def modules(self) -> dict[str, nn.Module]:
        """Trainable modules by name; all are optimized, EMA-averaged and checkpointed."""
        ...

    def loss(self, batch: Any, step: int) -> tuple[Tensor, Mapping[str, float | Tensor]]:
        """Scalar loss to minimise and named terms to log (floats or 0-d tensors; the names
        step, loss, lr and grad_norm are the loop's own columns)."""
        ...


class NonFiniteLossError(RuntimeError):
    """The loss (or the gradient norm) was NaN/inf; nothing of that update was applied."""

    def __init__(self, step: int, terms: Mapping[str, float], last_checkpoint: int | None, what: str = "loss"):
        self.step = step
        self.terms = dict(terms)
        self.last_checkpoint = last_checkpoint
        shown = ", ".join(f"{k}={v:.6g}" for k, v in self.terms.items())
        kept = "none written yet" if last_checkpoint is None else f"kept at step {last_checkpoint}"
        super().__init__(f"non-finite {what} at step {step} ({shown}); last checkpoint {kept}")


@dataclass
class TrainResult:
    step: int  # completed updates
    resumed_from: int | None  # step of the checkpoint the run resumed from, if any
    final_path: Path
    last_path: Path
    metrics: dict[str, float] = field(default_factory=dict)  # last logged values (rank 0)


# --------------------------------------------------------------------------- batches

def batch_indices(n: int, batch_size: int, seed: int, step: int) -> np.ndarray:
    """Dataset indices of the global batch for update ``step`` (pure function; see module doc)."""
    per_epoch = n // batch_size
    if per_epoch < 1:
        raise ValueError(f"dataset has {n} samples, fewer than batch_size={batch_size}")
    epoch, i = divmod(step, per_epoch)
    perm = np.random.default_rng([seed, epoch]).permutation(n)
    return perm[i * batch_size:(i + 1) * batch_size]


class _StepBatches:
    """Batch sampler yielding this rank's index slices for updates start..steps-1."""

    def __init__(self, n: int, cfg: LoopConfig, start: int, ctx: ddp.DistContext) -> None:
        self.n, self.cfg, self.start, self.ctx = n, cfg, start, ctx
        self.local = cfg.batch_size // ctx.world_size

    def __len__(self) -> int:
        return self.cfg.steps - self.start

    def __iter__(self) -> Iterator[list[int]]:
        lo = self.ctx.rank * self.local
        for s in range(self.start, self.cfg.steps):
            idx = batch_indices(self.n, self.cfg.batch_size, self.cfg.seed, s)
            yield idx[lo:lo + self.local].tolist()


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


def _batches(dataset: Any, cfg: LoopConfig, start: int, ctx: ddp.DistContext) -> Iterator[Any]:
    sampler = _StepBatches(len(dataset), cfg, start, ctx)
    view = _Batched(dataset)
    if cfg.num_workers == 0:
        return (view.__getitems__(idx) for idx in sampler)
    # A private generator keeps DataLoader from drawing on the global torch RNG.
    gen = torch.Generator().manual_seed(cfg.seed * 1_000_003 + start)
    return iter(DataLoader(view, batch_sampler=sampler, num_workers=cfg.num_workers, collate_fn=_identity,
                           pin_memory=ctx.device.type == "cuda", generator=gen))


def _to_device(batch: Any, device: torch.device, channels_last: bool) -> Any:
    if isinstance(batch, Tensor):
        batch = batch.to(device, non_blocking=True)
        if channels_last and batch.dim() == 4 and batch.is_floating_point():
            batch = batch.contiguous(memory_format=torch.channels_last)
        return batch
    if isinstance(batch, Mapping):
        return {k: _to_device(v, device, channels_last) for k, v in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):  # namedtuple
        return type(batch)(*(_to_device(v, device, channels_last) for v in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(_to_device(v, device, channels_last) for v in batch)
    return batch


# --------------------------------------------------------------------------- metrics log

class _MetricsLog:
    """``metrics.csv`` (always) plus dvclive (optional) on rank 0.

    Rows beyond ``resume_step`` (logged by a killed run after its last checkpoint) are
    dropped on start, so a resumed run has one row per logged step.
    """

    def __init__(self, out_dir: Path, resume_step: int, use_dvclive: bool) -> None:
        self.path = out_dir / "metrics.csv"
        self.fieldnames: list[str] = []
        self.rows: list[dict[str, str]] = []
        if self.path.exists():
            self._truncate(resume_step)
        self.live = None
        if use_dvclive:
            self.live = self._open_dvclive(out_dir / "dvclive", resume_step)

    def _truncate(self, resume_step: int) -> None:
        with open(self.path, newline="") as fh:
            reader = csv.DictReader(fh)
            names = list(reader.fieldnames or [])
            rows = [r for r in reader if _row_step(r) is not None and _row_step(r) <= resume_step
                    and None not in r and None not in r.values()]
        self.fieldnames = names if rows else []
        self.rows = rows
        self._rewrite()

    def _rewrite(self) -> None:
        if not self.fieldnames:
            self.path.unlink(missing_ok=True)
            return
        lines = [",".join(self.fieldnames)]
        lines += [",".join(r.get(k, "") or "" for k in self.fieldnames) for r in self.rows]
        atomic_write_text(self.path, "\n".join(lines) + "\n")

    @staticmethod
    def _open_dvclive(live_dir: Path, resume_step: int) -> Any:
        try:
            for tsv in live_dir.rglob("*.tsv"):  # drop rows of a killed run beyond resume_step
                lines = tsv.read_text().splitlines()
                keep = lines[:1] + [ln for ln in lines[1:] if (s := _int(ln.split("\t", 1)[0])) is not None
                                    and s <= resume_step]
                atomic_write_text(tsv, "\n".join(keep) + "\n")
            summary = live_dir / "metrics.json"  # dvclive writes it in place: a kill can leave it torn
            if summary.exists():
                try:
                    json.loads(summary.read_text())
                except ValueError:
                    summary.unlink()
            from dvclive import Live

            return Live(dir=str(live_dir), resume=True, save_dvc_exp=False, dvcyaml=None, report=None)
        except Exception as exc:  # offline/odd environments: metrics.csv still has everything
            log.warning("dvclive unavailable (%s: %s); metrics go to metrics.csv only", type(exc).__name__, exc)
            return None

    def log(self, step: int, values: Mapping[str, float]) -> None:
        row = {"step": str(step), **{k: repr(float(v)) for k, v in values.items()}}
        new = [k for k in row if k not in self.fieldnames]
        self.rows.append(row)
        if new:  # first row, or a term that was not logged before: rewrite with the wider header
            self.fieldnames += new
            self._rewrite()
        else:
            with open(self.path, "a", newline="") as fh:
                fh.write(",".join(row.get(k, "") for k in self.fieldnames) + "\n")
        if self.live is not None:
            try:
                self.live.step = step
                for k, v in values.items():
                    self.live.log_metric(k, float(v))
                self.live.make_summary()
            except Exception as exc:
                log.warning("dvclive logging failed (%s: %s); continuing with metrics.csv only",
                            type(exc).__name__, exc)
                self.live = None

    def close(self) -> None:
        if self.live is not None:
            with contextlib.suppress(Exception):
                self.live.end()
            self.live = None


def _int(s: str | None) -> int | None:
    try:
        return int(s) if s is not None else None
    except ValueError:
        return None


def _row_step(row: Mapping[str, str | None]) -> int | None:
    return _int(row.get("step"))


# --------------------------------------------------------------------------- the loop

def _make_optimizer(params: list[nn.Parameter], cfg: LoopConfig, device: torch.device) -> torch.optim.Optimizer:
    cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
    extra = {"fused": True} if device.type == "cuda" else {}
    return cls(params, lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay, **extra)


def _lr_at(cfg: LoopConfig, step: int) -> float:
    if cfg.warmup_steps > 0:
        return cfg.lr * min(1.0, (step + 1) / cfg.warmup_steps)
    return cfg.lr


def _seed_all(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


def _terms_to_floats(terms: Mapping[str, float | Tensor]) -> dict[str, float]:
    return {k: float(v.detach().float().item()) if isinstance(v, Tensor) else float(v) for k, v in terms.items()}


def _check_modules(recipe: Any) -> tuple[dict[str, nn.Module], dict[str, nn.Module]]:
    name = type(recipe).__name__
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe {name} must define modules() and loss(batch, step)")
    trainable = dict(recipe.modules())
    frozen = dict(recipe.frozen()) if hasattr(recipe, "frozen") else {}
    if not trainable:
        raise ValueError(f"recipe {name}.modules() returned no modules")
    for kind, mods in (("modules", trainable), ("frozen", frozen)):
        for k, m in mods.items():
            if not isinstance(m, nn.Module):
                raise TypeError(f"recipe {name}.{kind}()[{k!r}] is {type(m).__name__}, expected nn.Module")
    both = sorted(set(trainable) & set(frozen))
    if both:
        raise ValueError(f"recipe {name}: modules {both} are listed both as trainable and frozen")
    return trainable, frozen


def train(
    recipe: Recipe,
    dataset: Any,
    cfg: LoopConfig,
    out_dir: str | Path,
    device: str | torch.device = "cpu",
    progress: bool = True,
    meta: Mapping[str, Any] | None = None,
) -> TrainResult:
    """Train ``recipe`` on ``dataset`` for ``cfg.steps`` updates, resuming from ``out_dir`` if possible.

    Writes ``out_dir/checkpoints/last.pt`` every ``cfg.ckpt_every`` updates and at the end,
    ``out_dir/final.pt`` (EMA weights per module + ``meta``) at the end, and
    ``out_dir/metrics.csv`` (+ ``out_dir/dvclive``) every ``cfg.log_every`` updates. If
    ``last.pt`` exists the run resumes from it; if it is already at ``cfg.steps`` only
    ``final.pt`` is (re)written when missing. Seeds the global RNGs with ``cfg.seed`` (+ rank).

    Raises:
        NonFiniteLossError: the loss or gradient norm became NaN/inf at some update; the
            last checkpoint written before it is left untouched.
    """
    ctx = ddp.setup(device)
    ok = False
    try:
        result = _run(recipe, dataset, cfg, Path(out_dir), ctx, progress, dict(meta or {}))
        ok = True
        return result
    finally:
        if ok:
            ddp.teardown(ctx)  # barrier only on success: a failed rank must not hang the others
        elif ctx.owns_group and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def _run(recipe: Recipe, dataset: Any, cfg: LoopConfig, out_dir: Path, ctx: ddp.DistContext,
         progress: bool, meta: dict[str, Any]) -> TrainResult:
    dev = ctx.device
    trainable, frozen = _check_modules(recipe)
    if cfg.batch_size % ctx.world_size:
        raise ValueError(f"batch_size={cfg.batch_size} is not divisible by the world size {ctx.world_size}")
    n = len(dataset)
    if n < cfg.batch_size:
        raise ValueError(f"dataset has {n} samples, fewer than batch_size={cfg.batch_size}")
    ckpt_dir = out_dir / "checkpoints"
    last_path, final_path = ckpt_dir / "last.pt", out_dir / "final.pt"
    if ctx.is_main:
        ckpt_dir.mkdir(parents=True, exist_ok=True)

    fmt = torch.channels_last if cfg.channels_last else torch.contiguous_format
    for m in trainable.values():
        m.to(dev, memory_format=fmt).train()
    for m in frozen.values():
        m.to(dev, memory_format=fmt).eval().requires_grad_(False)
    params: list[nn.Parameter] = []
    seen: set[int] = set()
    for m in trainable.values():
        for p in m.parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                params.append(p)
    if not params:
        raise ValueError(f"recipe {type(recipe).__name__}: its modules have no trainable parameters")
    optimizer = _make_optimizer(params, cfg, dev)
    config = asdict(cfg)

    _seed_all(cfg.seed + ctx.rank)
    start, resumed_from, last_ckpt = 0, None, None
    resuming = last_path.exists()
    if not resuming:
        ddp.broadcast_modules(trainable, ctx)  # every rank starts from rank 0's weights
    ema = EMA(trainable, cfg.ema_decay, cfg.ema_warmup) if cfg.ema_decay > 0 else None
    if resuming:
        ck = load_checkpoint(last_path)
        start = resumed_from = last_ckpt = int(ck["step"])
        if start > cfg.steps:
            raise ValueError(f"{last_path} is at step {start}, beyond steps={cfg.steps}; "
                             f"raise steps or use a fresh out_dir")
        _load_state(ck, trainable, optimizer, ema, last_path)
        changed = [k for k in _TRAJECTORY_FIELDS if k in ck["config"] and ck["config"][k] != config[k]]
        if changed:
            log.warning("resuming %s with changed settings %s: the run will not match an uninterrupted one",
                        last_path, {k: (ck["config"][k], config[k]) for k in changed})
        rngs = ck["rng"]
        if isinstance(rngs, list) and len(rngs) == ctx.world_size:
            restore_rng_state(rngs[ctx.rank], dev)
        else:
            log.warning("%s holds RNG states for %s ranks, this run has %d: reseeding", last_path,
                        len(rngs) if isinstance(rngs, list) else "?", ctx.world_size)
            _seed_all(cfg.seed + ctx.rank + 7919 * start)
        if ctx.is_main:
            log.info("resuming from step %d (%s)", start, last_path)
        meta = meta or dict(ck["meta"])
        del ck  # do not hold a second copy of the weights during training
    if cfg.compile:
        for m in list(trainable.values()) + list(frozen.values()):
            m.compile()

    def write_final(step: int) -> None:
        weights = ema.averaged_state_dicts() if ema is not None else {k: m.state_dict() for k, m in trainable.items()}
        weights = {k: {n_: t.detach().cpu() for n_, t in sd.items()} for k, sd in weights.items()}
        save_final(final_path, weights, meta, step, ema is not None, config)

    if start == cfg.steps:
        if ctx.is_main and not final_path.exists():
            write_final(start)
        return TrainResult(start, resumed_from, final_path, last_path)

    def write_checkpoint(step: int) -> None:
        rngs = ddp.gather_to_main(capture_rng_state(dev), ctx)
        if ctx.is_main:
            save_atomic({
                "step": step,
                "modules": {k: m.state_dict() for k, m in trainable.items()},
                "ema": ema.state_dict() if ema is not None else None,
                "optimizer": optimizer.state_dict(),
                "rng": rngs,
                "config": config,
                "meta": meta,
            }, last_path)

    metrics = _MetricsLog(out_dir, start, cfg.dvclive) if ctx.is_main else None
    bar = None
    if progress and ctx.is_main:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.steps, initial=start, desc=out_dir.name, dynamic_ncols=True)
    use_amp = cfg.amp and dev.type == "cuda"
    last_logged: dict[str, float] = {}
    batches = _batches(dataset, cfg, start, ctx)
    t0 = time.perf_counter()
    try:
        for step in range(start, cfg.steps):
            batch = _to_device(next(batches), dev, cfg.channels_last)
            lr = _lr_at(cfg, step)
            for g in optimizer.param_groups:
                g["lr"] = lr
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16) if use_amp else contextlib.nullcontext():
                loss, terms = recipe.loss(batch, step)
            if not isinstance(loss, Tensor) or loss.numel() != 1:
                raise TypeError(f"{type(recipe).__name__}.loss must return a scalar tensor first, "
                                f"got {type(loss).__name__} {tuple(getattr(loss, 'shape', ()))}")
            loss = loss.reshape(())
            if step == start and _RESERVED_TERMS & set(terms):
                raise ValueError(f"{type(recipe).__name__}.loss: term names {sorted(_RESERVED_TERMS & set(terms))} "
                                 f"are reserved for the loop's own log columns {sorted(_RESERVED_TERMS)}")
            if not ddp.all_true(bool(torch.isfinite(loss.detach())), ctx):
                raise NonFiniteLossError(step, {"loss": float(loss.detach()), **_terms_to_floats(terms)}, last_ckpt)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            ddp.average_gradients(params, ctx)
            grad_norm = None
            if cfg.grad_clip > 0:
                grad_norm = float(torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip))
                if not math.isfinite(grad_norm):
                    raise NonFiniteLossError(step, {"loss": float(loss.detach()), "grad_norm": grad_norm,
                                                    **_terms_to_floats(terms)}, last_ckpt, what="gradient norm")
            optimizer.step()
            if ema is not None:
                ema.update(step)
            done = step + 1

            if done % cfg.log_every == 0 or done == cfg.steps:
                values = {"loss": float(loss.detach()), **_terms_to_floats(terms)}
                values = ddp.mean_over_ranks(values, ctx)
                values["lr"] = lr
                if grad_norm is not None:
                    values["grad_norm"] = grad_norm
                if metrics is not None:
                    metrics.log(done, values)
                last_logged = values
                if bar is not None:
                    bar.set_postfix(loss=f"{values['loss']:.4g}", refresh=False)
            if bar is not None:
                bar.update(1)
            if done % cfg.ckpt_every == 0 or done == cfg.steps:
                write_checkpoint(done)
                last_ckpt = done
        if ctx.is_main:
            write_final(cfg.steps)
            log.info("trained %d steps in %.1f s; wrote %s", cfg.steps - start, time.perf_counter() - t0, final_path)
    finally:
        if bar is not None:
            bar.close()
        if metrics is not None:
            metrics.close()
    return TrainResult(cfg.steps, resumed_from, final_path, last_path, last_logged)


def _load_state(ck: dict, trainable: dict[str, nn.Module], optimizer: torch.optim.Optimizer,
                ema: EMA | None, path: Path) -> None:
    saved = ck["modules"]
    if set(saved) != set(trainable):
        raise ValueError(f"{path}: checkpoint has modules {sorted(saved)}, the recipe has {sorted(trainable)}")
    for k, m in trainable.items():
        m.load_state_dict(saved[k])
    optimizer.load_state_dict(ck["optimizer"])
    if ema is not None:
        if ck["ema"] is None:
            raise ValueError(f"{path}: checkpoint has no EMA state but ema_decay > 0")
        ema.load_state_dict(ck["ema"])


__all__: Sequence[str] = ("LoopConfig", "Recipe", "NonFiniteLossError", "TrainResult", "batch_indices", "train")
