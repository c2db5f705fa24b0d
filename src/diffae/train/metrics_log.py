"""The training metrics log, ``metrics.csv``, written by rank 0: the one log of a training run. DVC declares it
as a plot of each training stage (dvc.yaml), so `dvc plots show` / `dvc plots diff` draw the curves."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Mapping

from diffae.utils.atomic import atomic_write_text


class MetricsLog:
    """``metrics.csv``: one row per logged step, one column per loss term; every row is on disk when ``log``
    returns (nothing to close).

    Rows beyond ``resume_step`` (logged by a killed run after its last checkpoint) are
    dropped on start, so a resumed run has one row per logged step.
    """

    def __init__(self, out_dir: Path, resume_step: int) -> None:
        self.path = out_dir / "metrics.csv"
        self.fieldnames: list[str] = []
        self.rows: list[dict[str, str]] = []
        if self.path.exists():
            self._truncate(resume_step)

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


def _int(s: str | None) -> int | None:
    try:
        return int(s) if s is not None else None
    except ValueError:
        return None


def _row_step(row: Mapping[str, str | None]) -> int | None:
    return _int(row.get("step"))
