"""`diffae <command>`: one entry point; each Snakemake rule / DVC stage calls one command.

The CLI parses arguments, loads params and calls a stage function. It holds no math.
"""
from __future__ import annotations

import argparse
import errno
import functools
import importlib
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from diffae.command_policy import DERIVATIONS
from diffae.command_spec import (
    Command,
    FromConst,
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
    if isinstance(source, FromConst):
        return source.value
    raise TypeError(f"unknown argument source {source!r}")


def run_command(command: Command, params: Any, flags: dict[str, Any]) -> Any:
    """Call the command's target with keyword arguments filled from a view of `params` limited to its reads."""
    t0 = time.perf_counter()
    view = ParamsView(params, command.reads, command.name)
    kwargs = {name: _value(source, view, flags) for name, source in command.kwargs.items()}
    result = resolve_target(command.target)(**kwargs)
    if command.done:
        log.info(command.done.format(result=result, **flags))
    log.info("done in %.1f s", time.perf_counter() - t0)
    return result


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s diffae %(command)s: %(message)s"
                        .replace("%(command)s", args.command))
    pin_threads(args.threads or COMMANDS[args.command].threads)
    try:
        params = load_params(args.params)
        run_command(COMMANDS[args.command], params, vars(args))
    except ParamsError as err:
        print(f"diffae {args.command}: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # readable one-line error; the traceback only with DIFFAE_DEBUG=1
        message = None if os.environ.get("DIFFAE_DEBUG") else readable_error(err)
        if message is None:
            raise
        print(f"diffae {args.command}: {message}", file=sys.stderr)
        return 1
    return 0


def pin_threads(n: int) -> None:
    """CPU threads for torch and the BLAS libraries, before torch is imported (commands that never import it,
    the report commands, do not pay its ~3 s start-up) or directly when it already is."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


_OS_ERRORS = {errno.ENOSPC: "no space left on the disk", errno.EDQUOT: "disk quota exceeded",
              errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
              errno.EPERM: "permission denied"}


def _os_error(err: BaseException) -> OSError | None:
    """The OSError behind an exception (torch wraps failed writes in RuntimeError)."""
    seen = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, OSError) and err.errno in _OS_ERRORS:
            return err
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return None


def readable_error(err: Exception) -> str | None:
    """A one-line message for failures a user can act on; None for bugs (shown with their traceback)."""
    from diffae.data.errors import DatasetError
    from diffae.train.loop import NonFiniteLossError, StaleCheckpointError

    if isinstance(err, (DatasetError, FileNotFoundError, NonFiniteLossError, StaleCheckpointError)):
        return str(err)
    os_err = _os_error(err)
    if os_err is not None:
        where = f" writing {os_err.filename}" if os_err.filename else ""
        return (f"{_OS_ERRORS[os_err.errno]}{where} ({os_err.strerror}); nothing half-written was kept: "
                "free space or fix the permissions and run the same command again, it resumes")
    if isinstance(err, RuntimeError) and ("No space left" in str(err) or "file write failed" in str(err)):
        return f"writing a file failed, most likely a full disk ({str(err).splitlines()[0]}); free space and rerun"
    return None


if __name__ == "__main__":
    sys.exit(main())
