"""The training metrics log: ``metrics.csv`` (always) plus dvclive (optional), written by rank 0."""
from __future__ import annotations

import contextlib
import csv
import json
import logging
from pathlib import Path
from typing import Any, Mapping

from diffae.utils.atomic import atomic_write_text

log = logging.getLogger(__name__)


class MetricsLog:
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
