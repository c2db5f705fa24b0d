"""`diffae <command>`: one entry point; each Snakemake rule / DVC stage calls one command.

The CLI parses arguments, loads params and calls a stage function. It holds no math.
"""
from __future__ import annotations

import argparse
import functools
import importlib
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from diffae.command_policy import DERIVATIONS
from diffae.command_spec import (
    Command,
    FromDerived,
    FromFlag,
    FromParam,
    FromView,
    Source,
)
from diffae.commands import COMMANDS
from diffae.config import ParamsError, load_params
from diffae.params_view import ParamsView

log = logging.getLogger("diffae")


def build_parser() -> argparse.ArgumentParser:
    """argparse from the command table: shared --params/--threads, then each command's flags."""
    parser = argparse.ArgumentParser(prog="diffae", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="<command>")
    for command in COMMANDS.values():
        p = sub.add_parser(command.name, help=command.help, description=command.help)
        p.add_argument("--params", default="params.yaml", help="params file (params.yaml or a preset)")
        p.add_argument("--threads", type=int, default=None,
                       help=f"CPU threads for torch (default {command.threads}, pinned: numbers then do not depend "
                            "on the launcher)")
        for f in command.all_flags:
            p.add_argument(f"--{f.name}", required=f.required, choices=f.choices, help=f.help or None)
    return parser


def resolve_target(target: str) -> Callable:
    """The function named by "package.module:function"."""
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _value(source: Source, params: ParamsView, flags: dict[str, Any]) -> Any:
    if isinstance(source, FromParam):
        return functools.reduce(getattr, source.key.split("."), params)
    if isinstance(source, FromFlag):
        return flags[source.name.replace("-", "_")]
    if isinstance(source, FromDerived):
        return DERIVATIONS[source.name].fn(params, flags)
    if isinstance(source, FromView):
        return params
    raise TypeError(f"unknown argument source {source!r}")


def run_command(command: Command, params: Any, flags: dict[str, Any]) -> Any:
    """Call the command's target with keyword arguments filled from a view of `params` limited to its reads."""
    view = ParamsView(params, command.reads, command.name)
    kwargs = {name: _value(source, view, flags) for name, source in command.kwargs.items()}
    result = resolve_target(command.target)(**kwargs)
    if command.done:
        log.info(command.done.format(result=result, **flags))
    return result


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s diffae %(command)s: %(message)s"
                        .replace("%(command)s", args.command))
    import torch

    torch.set_num_threads(args.threads or COMMANDS[args.command].threads)
    try:
        params = load_params(args.params)
        run_command(COMMANDS[args.command], params, vars(args))
    except ParamsError as err:
        print(f"diffae {args.command}: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # readable one-line error; the traceback only with DIFFAE_DEBUG=1
        if os.environ.get("DIFFAE_DEBUG"):
            raise
        from diffae.data.errors import DatasetError

        if isinstance(err, (DatasetError, FileNotFoundError)):
            print(f"diffae {args.command}: {err}", file=sys.stderr)
            return 1
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
