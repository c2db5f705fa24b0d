"""A read-only view of the params restricted to the keys one `diffae` command declares.

A command's table entry (diffae.commands) lists the dotted params keys it reads; Snakemake and DVC
track exactly those keys. The view makes the list binding: reading any other key raises
`UndeclaredParamError`, naming the command and the key, so an untracked knob cannot slip in.

- A declared key (or anything below it) comes back as the stored value, e.g. the `model.unet`
  section object when `model.unet` is declared.
- A section of which only some keys are declared comes back as a narrower view.
- Methods and properties of the params class (`torch_device()`, `is_paper`, `require_root()`) run
  against the view, so the keys they touch must be declared too.
"""
from __future__ import annotations

import inspect
import types
from typing import Any

# Not a knob: the params file's path, used in error messages only.
PROVENANCE = frozenset({"source", "_source"})


class UndeclaredParamError(LookupError):
    """A command read a params key its table entry does not declare."""

    def __init__(self, command: str, key: str):
        super().__init__(f"diffae {command} read params key {key!r}, which its entry in diffae.commands does not "
                         f"declare: add it to that entry's reads (Snakemake and DVC then track it too)")
        self.command, self.key = command, key


def covers(declared: str, key: str) -> bool:
    """Whether declaring `declared` makes `key` readable: the same key or one below it."""
    return key == declared or key.startswith(declared + ".")


class ParamsView:
    """Attribute access to `params` limited to `reads` (dotted keys); see the module docstring."""

    def __init__(self, params: Any, reads: tuple[str, ...], command: str, prefix: str = ""):
        object.__setattr__(self, "_params", params)
        object.__setattr__(self, "_reads", tuple(reads))
        object.__setattr__(self, "_command", command)
        object.__setattr__(self, "_prefix", prefix)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        member = inspect.getattr_static(type(self._params), name, None)
        if isinstance(member, property):
            return member.fget(self)
        if inspect.isfunction(member):
            return types.MethodType(member, self)
        if not self._prefix and name in PROVENANCE:
            return getattr(self._params, name)
        key = self._prefix + name
        if any(covers(declared, key) for declared in self._reads):
            return getattr(self._params, name)
        if any(declared.startswith(key + ".") for declared in self._reads):
            return ParamsView(getattr(self._params, name), self._reads, self._command, prefix=key + ".")
        raise UndeclaredParamError(self._command, key)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"params are read-only (diffae {self._command} tried to set {self._prefix + name})")

    def __repr__(self) -> str:
        shown = [k for k in self._reads if k.startswith(self._prefix)]
        return f"ParamsView(diffae {self._command}: {', '.join(shown)})"
