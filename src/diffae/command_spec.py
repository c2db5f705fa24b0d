"""The shape of one `diffae` command in the command table (diffae.commands): plain data, no behaviour.

A command names the function it calls as a dotted path, the params keys it reads, its path flags
and how each keyword argument of the call is filled:

    param("model.unet")      the value at that params key (a narrower view when only part is declared)
    flag("prepared")         the value given to --prepared
    derived("torch_device")  a named value computed from params and flags (diffae.command_policy)
    view()                   the whole params view, restricted to the declared keys
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Flag:
    """A command-line flag `--name`; path flags are required, options may have choices or be optional."""
    name: str
    help: str = ""
    required: bool = True
    choices: tuple[str, ...] | None = None

    @property
    def dest(self) -> str:
        """The attribute argparse stores the value under."""
        return self.name.replace("-", "_")


@dataclass(frozen=True)
class FromParam:
    key: str


@dataclass(frozen=True)
class FromFlag:
    name: str


@dataclass(frozen=True)
class FromDerived:
    name: str


@dataclass(frozen=True)
class FromView:
    pass


@dataclass(frozen=True)
class FromConst:
    """A fixed argument: one target serving several commands (e.g. the LSUN category)."""

    value: Any


Source = FromParam | FromFlag | FromDerived | FromView | FromConst


def param(key: str) -> FromParam:
    return FromParam(key)


def flag(name: str) -> FromFlag:
    return FromFlag(name)


def derived(name: str) -> FromDerived:
    return FromDerived(name)


def view() -> FromView:
    return FromView()


def const(value: Any) -> FromConst:
    return FromConst(value)


def _flags(items: tuple[str | Flag, ...]) -> tuple[Flag, ...]:
    return tuple(f if isinstance(f, Flag) else Flag(f) for f in items)


@dataclass(frozen=True)
class Command:
    """One `diffae <name>` command.

    target:  "package.module:function", called with keyword arguments only (`kwargs`).
    reads:   dotted params keys the call may read; the rule `params:` and the dvc.yaml `params:` list exactly these.
    inputs / outputs: path flags read / written (plain names or Flag); options: other flags.
    done:    optional log line after success, formatted with `result` (the return value) and the flags.
    threads: torch CPU threads the command runs with, pinned so its numbers do not depend on how it was
             launched (Snakemake sets OMP_NUM_THREADS to a rule's threads, DVC sets nothing); --threads overrides.
    """
    name: str
    help: str
    target: str
    kwargs: Mapping[str, Source]
    reads: tuple[str, ...] = ()
    inputs: tuple[str | Flag, ...] = ()
    outputs: tuple[str | Flag, ...] = ()
    options: tuple[Flag, ...] = ()
    done: str = ""
    threads: int = 1
    all_flags: tuple[Flag, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", _flags(self.inputs))
        object.__setattr__(self, "outputs", _flags(self.outputs))
        object.__setattr__(self, "all_flags", self.options + self.inputs + self.outputs)
