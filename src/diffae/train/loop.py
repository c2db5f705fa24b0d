"""The one training loop shared by every stage (DESIGN.md Sec. 3 and 7).

A *recipe* (train/recipe.py) states what is trained and the loss; the loop owns the mechanics:
device placement, AMP, the optimizer (Adam/AdamW as in Diff-AE Tables 5-6 and DiffuseGAE Sec. 3),
optional linear lr warmup, gradient clipping, EMA, the non-finite loss guard (on the device, read at
each log row and checkpoint: no host synchronisation per update), checkpoints with
bit-identical resume, progress and metrics logs (train/metrics_log.py), and data parallelism under
``torchrun``. Batches are a pure function of (seed, update index) (train/batches.py), so a resumed
run sees exactly the batches an uninterrupted one would.

Step numbering: ``step`` counts completed optimizer updates. ``recipe.loss(batch, step)``
computes the update that starts from ``step`` completed updates (0-based update index); a
checkpoint or log row at ``step = k`` holds the state after ``k`` updates, and a run resumed
from it computes update ``k`` next.

The phases of a run, in order (the shape of guided-diffusion's ``TrainLoop``): ``_setup``
(modules, optimizer), ``_resume`` (seeds, EMA, last.pt), then per update ``_step``, ``_log`` and
``_save``, and ``_finish`` (final.pt).
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, NamedTuple, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from diffae.config import TrainConfig
from diffae.train import distributed as ddp
from diffae.train.activation_checkpointing import checkpoint_blocks
from diffae.train.batches import step_batches, to_device
from diffae.train.checkpoint import capture_rng_state, load_checkpoint, restore_rng_state, save_atomic, save_final
from diffae.train.ema import EMA
from diffae.train.fingerprint import differences, run_fingerprint
from diffae.train.metrics_log import MetricsLog
from diffae.train.recipe import (Recipe, checked_loss, compile_units, recipe_modules, terms_to_floats,
                                 trainable_parameters)
from diffae.utils.compiling import compile_in_place

log = logging.getLogger(__name__)

# Settings a checkpoint records, in this order: the params section and the run-level keywords.
_RECORDED = ("steps", "batch_size", "lr", "optimizer", "weight_decay", "betas", "ema_decay", "ema_warmup",
             "grad_clip", "ckpt_every", "log_every", "amp", "channels_last", "compile", "seed", "warmup_steps",
             "num_workers", "lr_schedule", "momentum")
MISMATCH_POLICIES = ("restart", "refuse")


class StaleCheckpointError(RuntimeError):
    """checkpoints/last.pt belongs to other data or settings and the policy is to refuse."""


class NonFiniteLossError(RuntimeError):
    """The loss (or the gradient norm) was NaN/inf at ``step``; no checkpoint holds that update or a later one."""

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


class _Update(NamedTuple):
    """What one update leaves for the log (tensors stay on the device until a log reads them)."""

    loss: Tensor
    terms: Mapping[str, float | Tensor]
    lr: float
    grad_norm: Tensor | None


class _NonFiniteWatch:
    """The non-finite guard without a host synchronisation per update: each update folds "is the loss or the
    gradient norm NaN/inf" into device tensors that keep the first bad update's index and values; the loop reads
    them (one sync) before every log row and checkpoint and at the end, so a bad update is reported at its own
    step and never reaches a checkpoint, while updates in between run without waiting for the device."""

    def __init__(self, device: torch.device) -> None:
        self.first = torch.full((), -1, dtype=torch.long, device=device)
        self.values: Tensor | None = None   # loss, grad norm, terms... of the first bad update
        self.names: list[str] = []

    def fold(self, step: int, loss: Tensor, grad_norm: Tensor | None, terms: Mapping[str, float | Tensor]) -> None:
        loss = loss.detach().float()
        norm = grad_norm.detach().float() if grad_norm is not None else torch.zeros_like(loss)
        tensor_terms = {k: v for k, v in terms.items() if isinstance(v, Tensor) and v.numel() == 1}
        now = torch.stack([loss, norm, *(v.detach().float().reshape(()).to(loss.device)
                                          for v in tensor_terms.values())])
        bad = ~(torch.isfinite(loss) & torch.isfinite(norm))
        new = bad & (self.first < 0)
        if self.values is None or self.values.shape != now.shape:
            self.values, self.names = torch.zeros_like(now), list(tensor_terms)
        self.values = torch.where(new, now, self.values)
        self.first = torch.where(new, torch.full_like(self.first, step), self.first)

    def check(self, ctx: ddp.DistContext, last_checkpoint: int | None, clipping: bool) -> None:
        """Raise NonFiniteLossError (on every rank together) if any update so far was bad."""
        first = int(self.first)
        if ddp.all_true(first < 0, ctx):
            return
        if first < 0:
            raise NonFiniteLossError(-1, {}, last_checkpoint, what="loss or gradient norm on another rank")
        loss, norm, *rest = self.values.tolist()
        terms = {"loss": loss, **({"grad_norm": norm} if clipping else {}), **dict(zip(self.names, rest))}
        what = "gradient norm" if math.isfinite(loss) else "loss"
        raise NonFiniteLossError(first, terms, last_checkpoint, what=what)


def train(
    recipe: Recipe,
    data: Any,
    cfg: TrainConfig,
    out_dir: str | Path,
    *,
    seed: int,
    device: str | torch.device = "cpu",
    meta: Mapping[str, Any] | None = None,
    num_workers: int = 0,
    betas: tuple[float, float] = (0.9, 0.999),
    progress: bool = True,
    on_mismatch: str = "restart",
) -> TrainResult:
    """Train ``recipe`` on ``data`` for ``cfg.steps`` updates, resuming from ``out_dir`` if possible.

    Writes ``out_dir/checkpoints/last.pt`` every ``cfg.ckpt_every`` updates and at the end,
    ``out_dir/final.pt`` (EMA weights per module + ``meta``) at the end, and
    ``out_dir/metrics.csv`` (the one training log; DVC plots it) every ``cfg.log_every``
    updates. If ``last.pt`` exists the run resumes from it; if it is already at ``cfg.steps`` only
    ``final.pt`` is (re)written when missing. ``seed`` seeds the global RNGs (rank r uses
    seed + r) and the batch order; ``betas`` are Adam's; ``num_workers`` DataLoader processes
    (0: batches load in the main process, which bit-identical resume needs); ``progress`` shows tqdm.

    ``last.pt`` records the run's fingerprint (diffae.train.fingerprint: data, module shapes, meta,
    trajectory settings). A checkpoint whose fingerprint differs, or that is past ``cfg.steps``, is never
    resumed: ``on_mismatch="restart"`` moves it to ``checkpoints/stale/`` and starts fresh (saying so in
    the log), ``"refuse"`` raises StaleCheckpointError naming the differences.

    Raises:
        NonFiniteLossError: the loss or gradient norm became NaN/inf at some update; the
            last checkpoint written before it is left untouched.
    """
    ctx = ddp.setup(device)
    ok = False
    try:
        trainer = Trainer(recipe, data, cfg, Path(out_dir), ctx, seed=seed, betas=betas, num_workers=num_workers,
                          progress=progress, meta=dict(meta or {}), on_mismatch=on_mismatch)
        result = trainer.run()
        ok = True
        return result
    finally:
        if ok:
            ddp.teardown(ctx)  # barrier only on success: a failed rank must not hang the others
        elif ctx.owns_group and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


class Trainer:
    """One run of the loop on one rank: the state its phases share."""

    def __init__(self, recipe: Recipe, data: Any, cfg: TrainConfig, out_dir: Path, ctx: ddp.DistContext, *,
                 seed: int, betas: tuple[float, float], num_workers: int, progress: bool,
                 meta: dict[str, Any], on_mismatch: str = "restart") -> None:
        if on_mismatch not in MISMATCH_POLICIES:
            raise ValueError(f"on_mismatch={on_mismatch!r}; expected one of {MISMATCH_POLICIES}")
        self.recipe, self.data, self.cfg, self.out_dir, self.ctx = recipe, data, cfg, out_dir, ctx
        self.seed, self.betas, self.num_workers = seed, tuple(float(b) for b in betas), num_workers
        self.progress, self.meta, self.on_mismatch = progress, meta, on_mismatch
        self.last_path, self.final_path = out_dir / "checkpoints" / "last.pt", out_dir / "final.pt"
        self.config = _run_config(cfg, seed=seed, betas=self.betas, num_workers=num_workers)
        self.start, self.resumed_from, self.last_ckpt = 0, None, None
        self.ema: EMA | None = None
        self.metrics: MetricsLog | None = None
        self.bar: Any = None

    def run(self) -> TrainResult:
        """All phases; a run already at ``cfg.steps`` only restores a missing final.pt."""
        self._setup()
        self._resume()
        if self.start == self.cfg.steps:
            if self.ctx.is_main and not self.final_path.exists():
                self._write_final(self.start)
            return TrainResult(self.start, self.resumed_from, self.final_path, self.last_path)
        logged = self._train_steps()
        return TrainResult(self.cfg.steps, self.resumed_from, self.final_path, self.last_path, logged)

    # ------------------------------------------------------------------ setup and resume
    def _setup(self) -> None:
        """Check recipe and data, place the modules on the device, build the optimizer."""
        cfg, ctx = self.cfg, self.ctx
        self.trainable, self.frozen = recipe_modules(self.recipe)
        if cfg.batch_size % ctx.world_size:
            raise ValueError(f"batch_size={cfg.batch_size} is not divisible by the world size {ctx.world_size}")
        self.chunks = _micro_batches(self.recipe, cfg, ctx.world_size)
        n = len(self.data)
        if n < cfg.batch_size:
            raise ValueError(f"dataset has {n} samples, fewer than batch_size={cfg.batch_size}")
        if ctx.is_main:
            self.last_path.parent.mkdir(parents=True, exist_ok=True)
        fmt = torch.channels_last if cfg.channels_last else torch.contiguous_format
        for m in self.trainable.values():
            m.to(ctx.device, memory_format=fmt).train()
        for m in self.frozen.values():
            m.to(ctx.device, memory_format=fmt).eval().requires_grad_(False)
        self.params = trainable_parameters(self.trainable)
        if not self.params:
            raise ValueError(f"recipe {type(self.recipe).__name__}: its modules have no trainable parameters")
        self.optimizer = _make_optimizer(self.params, cfg, self.betas, ctx.device)
        self.fingerprint = run_fingerprint(self.data, self.trainable, self.meta, self.config)

    def _resume(self) -> None:
        """Seed the RNGs; start from rank 0's weights, or continue from last.pt; then checkpoint activations and
        compile."""
        _seed_all(self.seed + self.ctx.rank)
        ck = self._matching_checkpoint() if self.last_path.exists() else None
        resuming = ck is not None
        if not resuming:
            ddp.broadcast_modules(self.trainable, self.ctx)  # every rank starts from rank 0's weights
        if self.cfg.ema_decay > 0:
            self.ema = EMA(self.trainable, self.cfg.ema_decay, self.cfg.ema_warmup)
        if resuming:
            self._load_last(ck)
        if self.cfg.activation_checkpointing:
            self._checkpoint_activations()
        if self.cfg.compile:
            for m in compile_units(self.recipe, self.trainable, self.frozen):
                compile_in_place(m, self.cfg.compile_mode)

    def _checkpoint_activations(self) -> None:
        n = sum(checkpoint_blocks(m) for m in self.trainable.values())
        if not n:
            raise ValueError(f"activation_checkpointing: true, but the trainable modules of "
                             f"{type(self.recipe).__name__} ({', '.join(self.trainable)}) have no UNet or encoder "
                             f"blocks to checkpoint; set it to false for this stage")
        log.info("activation checkpointing: %d blocks recompute their activations in the backward pass", n)

    def _matching_checkpoint(self) -> dict | None:
        """last.pt if it was written by this run (same fingerprint, not past steps); a stale one is moved
        to checkpoints/stale/ (policy "restart") or refused. Every rank decides alike from the same file."""
        ck = load_checkpoint(self.last_path)
        why = differences(ck.get("fingerprint"), self.fingerprint)
        if int(ck["step"]) > self.cfg.steps:
            why.append(f"it is at step {int(ck['step'])}, beyond steps={self.cfg.steps}")
        if not why:
            return ck
        what = f"{self.last_path} belongs to another run: " + "; ".join(why)
        if self.on_mismatch == "refuse":
            raise StaleCheckpointError(f"{what}. Set on_checkpoint_mismatch: restart in the params file to start "
                                       f"fresh (the old checkpoint is kept aside), or move {self.out_dir} away")
        ddp.barrier(self.ctx)  # every rank has read the file before rank 0 moves it
        if self.ctx.is_main:
            kept = _set_aside(self.last_path)
            log.warning("%s; starting fresh, the old checkpoint is kept at %s", what, kept)
        ddp.barrier(self.ctx)
        return None

    def _load_last(self, ck: dict) -> None:
        """Weights, optimizer, EMA and RNG states of last.pt (the RNGs as they were on this rank)."""
        self.start = self.resumed_from = self.last_ckpt = int(ck["step"])
        _load_state(ck, self.trainable, self.optimizer, self.ema, self.last_path)
        rngs, world = ck["rng"], self.ctx.world_size
        if isinstance(rngs, list) and len(rngs) == world:
            restore_rng_state(rngs[self.ctx.rank], self.ctx.device)
        else:
            log.warning("%s holds RNG states for %s ranks, this run has %d: reseeding", self.last_path,
                        len(rngs) if isinstance(rngs, list) else "?", world)
            _seed_all(self.seed + self.ctx.rank + 7919 * self.start)
        if self.ctx.is_main:
            log.info("resuming from step %d (%s)", self.start, self.last_path)
        self.meta = self.meta or dict(ck["meta"])

    # ------------------------------------------------------------------ the updates
    def _train_steps(self) -> dict[str, float]:
        """Updates ``start..steps-1`` with their logs and checkpoints, then final.pt; the last logged values."""
        cfg = self.cfg
        self._open_logs()
        batches = step_batches(self.data, batch_size=cfg.batch_size, seed=self.seed, start=self.start,
                               stop=cfg.steps, ctx=self.ctx, num_workers=self.num_workers)
        t0 = time.perf_counter()
        self.window = (t0, self.start)  # (time, step) of the last log: the throughput window
        self.watch = _NonFiniteWatch(self.ctx.device)
        logged: dict[str, float] = {}
        try:
            for step in range(self.start, cfg.steps):
                update = self._step(step, to_device(next(batches), self.ctx.device, cfg.channels_last))
                done = step + 1
                if step == self.start and cfg.compile:
                    self._log_compile_time(t0)
                logging_now = done % cfg.log_every == 0 or done == cfg.steps
                saving_now = done % cfg.ckpt_every == 0 or done == cfg.steps
                if logging_now or saving_now:
                    self.watch.check(self.ctx, self.last_ckpt, self.cfg.grad_clip > 0)
                if logging_now:
                    logged = self._log(done, update)
                if self.bar is not None:
                    self.bar.update(1)
                if saving_now:
                    self._save(done)
            self._finish(t0)
        finally:
            if hasattr(batches, "close"):  # a generator: its GPU copy of the data or prefetch thread go, error or not
                batches.close()
            self._close_logs()
        return logged

    def _step(self, step: int, batch: Any) -> _Update:
        """Update ``step``: lr, loss under bf16 autocast (CUDA), backward, all-reduce, clip, EMA, and the
        non-finite guard folded on the device (read before the next log row or checkpoint, not here)."""
        lr = _lr_at(self.cfg, step)
        for g in self.optimizer.param_groups:
            g["lr"] = lr
        autocast = self.cfg.amp and self.ctx.device.type == "cuda"
        self.optimizer.zero_grad(set_to_none=True)
        if self.cfg.compile and self.cfg.compile_mode == "reduce-overhead":
            torch.compiler.cudagraph_mark_step_begin()  # the last update's graph outputs are no longer read
        loss, terms = 0.0, {}
        for part, weight in _split_batch(batch, self.chunks):
            with torch.autocast(device_type="cuda", dtype=torch.bfloat16) if autocast else contextlib.nullcontext():
                part_loss, part_terms = self.recipe.loss(part, step)
            part_loss = checked_loss(self.recipe, part_loss, part_terms, check_names=step == self.start)
            if self.chunks == 1:
                part_loss.backward()
                loss, terms = part_loss, part_terms
                continue
            (part_loss * weight).backward()  # the gradients of the parts' weighted losses add up to the batch mean's
            loss = loss + part_loss.detach() * weight
            terms = {k: v * weight + terms.get(k, 0) for k, v in part_terms.items()}
        ddp.average_gradients(self.params, self.ctx)
        grad_norm = self._clip_gradients()
        self.watch.fold(step, loss, grad_norm, terms)
        self.optimizer.step()
        if self.ema is not None:
            self.ema.update(step)
        return _Update(loss, terms, lr, grad_norm)

    def _log_compile_time(self, t0: float) -> None:
        """The first update compiles the modules (torch.compile is lazy): say how long it took (one sync)."""
        if self.ctx.device.type == "cuda":
            torch.cuda.synchronize(self.ctx.device)
        if self.ctx.is_main:
            log.info("first update, with torch.compile, took %.1f s (cache: %s)", time.perf_counter() - t0,
                     os.environ.get("TORCHINDUCTOR_CACHE_DIR"))

    def _clip_gradients(self) -> Tensor | None:
        """Clip the global gradient norm to ``cfg.grad_clip`` (0: no clipping); the norm stays on the device."""
        if self.cfg.grad_clip <= 0:
            return None
        return torch.nn.utils.clip_grad_norm_(self.params, self.cfg.grad_clip)

    # ------------------------------------------------------------------ logs and checkpoints
    def _open_logs(self) -> None:
        if self.ctx.is_main:
            self.metrics = MetricsLog(self.out_dir, self.start)
        if self.progress and self.ctx.is_main:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.cfg.steps, initial=self.start, desc=self.out_dir.name, dynamic_ncols=True)

    def _close_logs(self) -> None:
        if self.bar is not None:
            self.bar.close()

    def _log(self, done: int, update: _Update) -> dict[str, float]:
        """Loss and terms averaged over ranks, lr, grad norm and the training throughput since the last log
        (images per second per rank: Diff-AE Table 7's unit): to metrics.csv (rank 0) and the bar."""
        values = {"loss": float(update.loss.detach()), **terms_to_floats(update.terms)}
        values = ddp.mean_over_ranks(values, self.ctx)
        values["lr"] = update.lr
        if update.grad_norm is not None:
            values["grad_norm"] = float(update.grad_norm)
        now, (then, step) = time.perf_counter(), self.window
        values["img_per_s_per_rank"] = (done - step) * self.cfg.batch_size / self.ctx.world_size / max(now - then, 1e-9)
        self.window = (now, done)
        if self.metrics is not None:
            self.metrics.log(done, values)
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{values['loss']:.4g}", refresh=False)
        return values

    def _save(self, done: int) -> None:
        """checkpoints/last.pt, atomically: weights, EMA, optimizer, every rank's RNG states, config, meta."""
        rngs = ddp.gather_to_main(capture_rng_state(self.ctx.device), self.ctx)
        if self.ctx.is_main:
            save_atomic({
                "step": done,
                "modules": {k: m.state_dict() for k, m in self.trainable.items()},
                "ema": self.ema.state_dict() if self.ema is not None else None,
                "optimizer": self.optimizer.state_dict(),
                "rng": rngs,
                "config": self.config,
                "meta": self.meta,
                "fingerprint": self.fingerprint,
            }, self.last_path)
        self.last_ckpt = done

    def _finish(self, t0: float) -> None:
        if self.ctx.is_main:
            self._write_final(self.cfg.steps)
            log.info("trained %d steps in %.1f s; wrote %s", self.cfg.steps - self.start, time.perf_counter() - t0,
                     self.final_path)

    def _write_final(self, step: int) -> None:
        """final.pt: the EMA weights per module (the raw ones without EMA) on the CPU, with meta."""
        if self.ema is not None:
            weights = self.ema.averaged_state_dicts()
        else:
            weights = {k: m.state_dict() for k, m in self.trainable.items()}
        weights = {k: {n: t.detach().cpu() for n, t in sd.items()} for k, sd in weights.items()}
        save_final(self.final_path, weights, self.meta, step, self.ema is not None, self.config)


# ---------------------------------------------------------------------- helpers
def _run_config(cfg: TrainConfig, **run: Any) -> dict[str, Any]:
    """The settings a checkpoint records: the params section plus the run-level keywords."""
    merged = {**dataclasses.asdict(cfg), **run}
    return {k: merged.pop(k) for k in _RECORDED} | merged


# On the CPU, the fused kernels are the fastest at every size (Adam over 500 tensors: 2.9 / 8.5 / 12.4 ms fused /
# foreach / single-tensor at 0.5 M parameters, 7.8 / 41 / 26 ms at 8 M, 22 / 107 / 59 ms at 32 M; 60 / 142 / 190 ms
# for the 91 M paper-64 Diff-AE), but Adam's differs from the other two in the last bit. Up to this many parameters
# (every embedded model: 2.8 M at most) the loop keeps the foreach updates, bit for bit the single-tensor default's,
# so that the embedded tables stay as they are; beyond it, fused.
FOREACH_MAX_PARAMS = 8_000_000


def _make_optimizer(params: list[nn.Parameter], cfg: TrainConfig, betas: tuple[float, float],
                    device: torch.device) -> torch.optim.Optimizer:
    """Adam (L2 weight decay), AdamW (decoupled) or SGD with momentum (L2): fused on CUDA; on the CPU the foreach
    implementation for up to ``FOREACH_MAX_PARAMS`` parameters (the single-tensor default's numbers bit for bit) and
    the fused one beyond (3x faster, equal up to the last bit)."""
    if device.type == "cuda" or sum(p.numel() for p in params) > FOREACH_MAX_PARAMS:
        extra = {"fused": True}
    else:
        extra = {"foreach": True}
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay, **extra)
    cls = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
    return cls(params, lr=cfg.lr, betas=betas, weight_decay=cfg.weight_decay, **extra)


def _micro_batches(recipe: Recipe, cfg: TrainConfig, world_size: int) -> int:
    """Chunks per rank and update: 1, or ceil(rank batch / cfg.micro_batch) for a recipe whose loss is a per-sample
    mean (``recipe.per_sample_mean``; a loss over the batch as a whole, e.g. through BatchNorm, would change)."""
    local = cfg.batch_size // world_size
    if cfg.micro_batch is None or cfg.micro_batch >= local:
        return 1
    if not getattr(recipe, "per_sample_mean", False):
        raise ValueError(f"micro_batch={cfg.micro_batch}: {type(recipe).__name__}'s loss is not a plain mean over "
                         "samples, so gradient accumulation would change it; set micro_batch: null for this stage")
    return -(-local // cfg.micro_batch)


def _split_batch(batch: Any, chunks: int) -> list[tuple[Any, float]]:
    """(part, share of the batch) for each of ``chunks`` near-equal parts along dim 0 of every tensor in ``batch``."""
    if chunks == 1:
        return [(batch, 1.0)]
    tensors = list(batch) if isinstance(batch, (list, tuple)) else [batch]
    n = tensors[0].shape[0]
    parts = [t.tensor_split(chunks) for t in tensors]
    out = []
    for i in range(chunks):
        piece = [p[i] for p in parts]
        out.append((piece if isinstance(batch, (list, tuple)) else piece[0], piece[0].shape[0] / n))
    return out


def _lr_at(cfg: TrainConfig, step: int) -> float:
    """Learning rate of update ``step``: linear warmup from lr/warmup_steps to lr, then constant or, with
    ``lr_schedule: cosine``, lr * (1 + cos(pi * step / steps)) / 2 (SimSiam's schedule)."""
    if cfg.warmup_steps > 0 and step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    if cfg.lr_schedule == "cosine":
        return cfg.lr * 0.5 * (1.0 + math.cos(math.pi * step / cfg.steps))
    return cfg.lr


def _set_aside(path: Path) -> Path:
    """Move a stale checkpoint to checkpoints/stale/last-<UTC time>.pt; returns the new path."""
    stale = path.parent / "stale"
    stale.mkdir(exist_ok=True)
    target = stale / f"{path.stem}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{time.time_ns() % 10**9}.pt"
    os.replace(path, target)
    return target


def _seed_all(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


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


__all__: Sequence[str] = ("NonFiniteLossError", "StaleCheckpointError", "TrainResult", "Trainer", "train")
