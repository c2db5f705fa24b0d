"""Resumable evaluation tables: the rows computed so far are kept beside the output in ``<out>.partial.json``,
so a killed evaluation (hours of DDIM sampling at paper scale) resumes at the next unit of work.

The file records a signature of everything the numbers depend on (network weights, data, settings); a run
with another signature discards it, saying so. It is removed once the table is written.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from diffae.eval.tables.numbers import write_numbers
from diffae.utils.atomic import atomic_write_text
from diffae.utils.digest import json_digest

log = logging.getLogger(__name__)


class PartialRows:
    """Rows of a numbers table by unit key ("Diff-AE|T=20"); ``add`` persists after every unit."""

    def __init__(self, out_csv: str | Path, signature: Any) -> None:
        self.out_csv = Path(out_csv)
        self.path = self.out_csv.with_name(self.out_csv.name + ".partial.json")
        self.signature = json_digest(signature)
        self.done: dict[str, list[dict]] = {}
        if self.path.is_file():
            try:
                saved = json.loads(self.path.read_text())
            except (json.JSONDecodeError, UnicodeDecodeError):
                saved = {}
            if saved.get("signature") == self.signature:
                self.done = saved.get("rows", {})
                log.info("resuming %s: %d unit(s) already computed (%s)", self.out_csv, len(self.done), self.path)
            else:
                log.warning("%s was computed for other weights, data or settings: starting over", self.path)

    def __contains__(self, key: str) -> bool:
        return key in self.done

    def get(self, key: str) -> list[dict]:
        return self.done[key]

    def add(self, key: str, rows: Iterable[dict]) -> list[dict]:
        self.done[key] = [dict(r) for r in rows]
        atomic_write_text(self.path, json.dumps({"signature": self.signature, "rows": self.done}))
        return self.done[key]

    def finish(self, rows: Iterable[dict]) -> pd.DataFrame:
        """Write the table and drop the partial file."""
        df = write_numbers(rows, self.out_csv)
        self.path.unlink(missing_ok=True)
        return df
