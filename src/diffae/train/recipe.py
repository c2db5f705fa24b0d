"""What a training stage gives the loop (DESIGN.md Sec. 7): the modules it trains and its loss."""
from __future__ import annotations

from typing import Any, Mapping, Protocol, runtime_checkable

from torch import Tensor, nn

# The loop's own metrics columns; a recipe's loss terms may not use these names.
RESERVED_TERMS = frozenset({"step", "loss", "lr", "grad_norm"})


@runtime_checkable
class Recipe(Protocol):
    """What a training stage provides. Optionally also ``frozen() -> dict[str, nn.Module]``:
    modules used by the loss but not trained (moved to the device, eval mode, no grads,
    not checkpointed), ``per_sample_mean = True`` where the loss is a mean of per-sample
    terms, which lets the loop split a batch into micro-batches (``micro_batch``), and
    ``compile_units() -> list[nn.Module]`` where the loss enters its modules through methods
    other than ``forward`` (see ``compile_units`` below)."""

    def modules(self) -> dict[str, nn.Module]:
        """Trainable modules by name; all are optimized, EMA-averaged and checkpointed."""
        ...

    def loss(self, batch: Any, step: int) -> tuple[Tensor, Mapping[str, float | Tensor]]:
        """Scalar loss to minimise and named terms to log (floats or 0-d tensors; the names
        step, loss, lr and grad_norm are the loop's own columns)."""
        ...


def recipe_modules(recipe: Any) -> tuple[dict[str, nn.Module], dict[str, nn.Module]]:
    """The recipe's trainable and frozen modules, checked: at least one trainable, all nn.Module, disjoint."""
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


def compile_units(recipe: Any, trainable: Mapping[str, nn.Module], frozen: Mapping[str, nn.Module]) -> list[nn.Module]:
    """The modules ``compile: true`` compiles: those the loss calls. ``torch.compile`` of a module compiles its
    ``forward``; a loss that calls ``gae.encode`` runs ``gae.encoder`` and never ``gae.forward``, so such a recipe
    names what it calls in ``compile_units()``. Default: every trainable and frozen module (tests/test_compile_units.py
    checks each recipe's list covers every module its step enters)."""
    if hasattr(recipe, "compile_units"):
        return list(recipe.compile_units())
    return [*trainable.values(), *frozen.values()]


def trainable_parameters(modules: Mapping[str, nn.Module]) -> list[nn.Parameter]:
    """Parameters that require grad, each once, in module then registration order."""
    params: list[nn.Parameter] = []
    seen: set[int] = set()
    for m in modules.values():
        for p in m.parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                params.append(p)
    return params


def checked_loss(recipe: Any, loss: Any, terms: Mapping[str, Any], check_names: bool) -> Tensor:
    """``loss`` as a 0-d tensor; a non-scalar loss or (when ``check_names``) a reserved term name is an error."""
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        raise TypeError(f"{type(recipe).__name__}.loss must return a scalar tensor first, "
                        f"got {type(loss).__name__} {tuple(getattr(loss, 'shape', ()))}")
    if check_names and RESERVED_TERMS & set(terms):
        raise ValueError(f"{type(recipe).__name__}.loss: term names {sorted(RESERVED_TERMS & set(terms))} "
                         f"are reserved for the loop's own log columns {sorted(RESERVED_TERMS)}")
    return loss.reshape(())


def terms_to_floats(terms: Mapping[str, float | Tensor]) -> dict[str, float]:
    """Loss terms as Python floats (0-d tensors are read once, in float32 or wider)."""
    return {k: float(v.detach().float().item()) if isinstance(v, Tensor) else float(v) for k, v in terms.items()}
