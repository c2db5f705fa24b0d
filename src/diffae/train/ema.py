"""Exponential moving average of model weights.

The papers do not state an EMA; the official Diff-AE training code keeps one with decay
0.9999, applied after every optimizer step, and samples/evaluates with the EMA weights.

The shadow copy is kept in float32 on the modules' device. Floating-point parameters are
averaged, ``theta_ema <- d * theta_ema + (1 - d) * theta``; buffers (e.g. norm running
statistics, counters) are copied as they are. The official Diff-AE code averages every
``state_dict`` entry, buffers included; its networks use GroupNorm and hold no float
buffers, so the two choices agree there.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn


class EMA:
    """EMA shadow weights for a dict of named modules.

    Args:
        modules: the trainable modules, by name (the same names the checkpoints use).
        decay: the EMA decay ``d`` in [0, 1).
        warmup: if True, the effective decay at update ``step`` is
            ``min(decay, (1 + step) / (10 + step))`` so that short runs do not stay near the
            initial weights; if False (the papers' choice), it is ``decay`` throughout.
    """

    def __init__(self, modules: dict[str, nn.Module], decay: float, warmup: bool = False) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1), got {decay!r}")
        self.decay = float(decay)
        self.warmup = bool(warmup)
        self._modules = modules
        self.shadow: dict[str, dict[str, Tensor]] = {
            name: {k: _as_shadow(v) for k, v in m.state_dict().items()} for name, m in modules.items()
        }
        self._param_names = {name: [k for k, _ in m.named_parameters()] for name, m in modules.items()}
        self._pairs: tuple[list[Tensor], list[Tensor]] | None = None  # (shadow, live) float tensors, built once

    def decay_at(self, step: int) -> float:
        """Effective decay used by :meth:`update` at update index ``step`` (0-based)."""
        if self.warmup:
            return min(self.decay, (1.0 + step) / (10.0 + step))
        return self.decay

    @torch.no_grad()
    def update(self, step: int) -> None:
        """Blend the modules' current weights into the shadow copy (call after each optimizer step)."""
        d = self.decay_at(step)
        avg, cur = self._float_pairs()
        if avg:
            torch._foreach_mul_(avg, d)
            torch._foreach_add_(avg, [c if c.dtype == torch.float32 else c.float() for c in cur], alpha=1.0 - d)
        for name, module in self._modules.items():
            shadow, pset = self.shadow[name], set(self._param_names[name])
            for k, buf in module.named_buffers():
                if k in shadow and k not in pset:
                    shadow[k].copy_(buf.detach())

    def _float_pairs(self) -> tuple[list[Tensor], list[Tensor]]:
        """The floating-point parameters' shadow tensors and the parameters themselves, across modules (listed once:
        the loop keeps the same Parameter objects, moving and loading them in place)."""
        if self._pairs is None:
            avg, cur = [], []
            for name, module in self._modules.items():
                params, shadow = dict(module.named_parameters()), self.shadow[name]
                for k in self._param_names[name]:
                    if shadow[k].is_floating_point():
                        avg.append(shadow[k])
                        cur.append(params[k])
            self._pairs = (avg, cur)
        return self._pairs

    def averaged_state_dicts(self) -> dict[str, dict[str, Tensor]]:
        """Per-module state dicts with the EMA weights, cast back to the modules' dtypes."""
        out: dict[str, dict[str, Tensor]] = {}
        for name, module in self._modules.items():
            ref = module.state_dict()
            out[name] = {k: self.shadow[name][k].detach().to(ref[k].dtype).clone() for k in ref}
        return out

    def copy_to(self, modules: dict[str, nn.Module]) -> None:
        """Load the EMA weights into ``modules`` (same names and architectures)."""
        for name, sd in self.averaged_state_dicts().items():
            modules[name].load_state_dict(sd)

    def state_dict(self) -> dict:
        return {"decay": self.decay, "warmup": self.warmup, "shadow": self.shadow}

    def load_state_dict(self, state: dict) -> None:
        """Restore the shadow weights saved by :meth:`state_dict` (values are copied in place)."""
        shadow = state.get("shadow")
        if not isinstance(shadow, dict) or set(shadow) != set(self.shadow):
            got = sorted(shadow) if isinstance(shadow, dict) else type(shadow).__name__
            raise ValueError(f"EMA state: expected modules {sorted(self.shadow)}, got {got}")
        for name, entries in self.shadow.items():
            saved = shadow[name]
            if set(saved) != set(entries):
                raise ValueError(
                    f"EMA state for module {name!r}: keys differ "
                    f"(missing {sorted(set(entries) - set(saved))}, unexpected {sorted(set(saved) - set(entries))})"
                )
            for k, t in entries.items():
                t.copy_(saved[k])
        self.decay = float(state.get("decay", self.decay))
        self.warmup = bool(state.get("warmup", self.warmup))


def _as_shadow(t: Tensor) -> Tensor:
    t = t.detach()
    return t.float().clone() if t.is_floating_point() else t.clone()
