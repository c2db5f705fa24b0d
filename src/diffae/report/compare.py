"""Compare the CSV tables of two result trees, value by value.

    python -m diffae.report.compare OLD_REPORTS NEW_REPORTS [--atol 0] [--ignore-columns note,diagnosis]

Used to show that a change of wiring leaves every number of a run as it was: each CSV under OLD must
exist under NEW with the same columns, the same rows and equal values (numbers within ``atol``,
everything else exactly). Exit status 0 when they agree, 1 with one line per difference otherwise.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def compare_frames(old: pd.DataFrame, new: pd.DataFrame, where: str, atol: float = 0.0,
                   ignore: frozenset[str] = frozenset()) -> list[str]:
    """Differences between two tables (columns, shape, then cell by cell)."""
    cols_old, cols_new = [c for c in old.columns if c not in ignore], [c for c in new.columns if c not in ignore]
    if cols_old != cols_new:
        return [f"{where}: columns differ: {cols_old} vs {cols_new}"]
    if len(old) != len(new):
        return [f"{where}: {len(old)} rows vs {len(new)}"]
    out = []
    for col in cols_old:
        a, b = old[col], new[col]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            x, y = a.to_numpy(dtype=np.float64), b.to_numpy(dtype=np.float64)
            bad = ~(np.isclose(x, y, rtol=0.0, atol=atol, equal_nan=True))
        else:
            bad = (a.astype(str) != b.astype(str)).to_numpy()
        for i in np.flatnonzero(bad)[:5]:
            out.append(f"{where}: row {i} column {col!r}: {a.iloc[i]!r} vs {b.iloc[i]!r}")
        if bad.sum() > 5:
            out.append(f"{where}: column {col!r}: {int(bad.sum()) - 5} more differences")
    return out


def compare_trees(old_dir: str | Path, new_dir: str | Path, atol: float = 0.0,
                  ignore: frozenset[str] = frozenset()) -> tuple[int, list[str]]:
    """(number of CSVs compared, differences) for every CSV below `old_dir`."""
    old_dir, new_dir = Path(old_dir), Path(new_dir)
    files = sorted(p.relative_to(old_dir) for p in old_dir.rglob("*.csv"))
    if not files:
        raise FileNotFoundError(f"no CSV files under {old_dir}")
    diffs = []
    for rel in files:
        if not (new_dir / rel).is_file():
            diffs.append(f"{rel}: missing under {new_dir}")
            continue
        diffs += compare_frames(pd.read_csv(old_dir / rel), pd.read_csv(new_dir / rel), str(rel), atol, ignore)
    return len(files), diffs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--atol", type=float, default=0.0, help="absolute tolerance for numbers (default: exact)")
    ap.add_argument("--ignore-columns", default="", help="comma-separated columns left out (e.g. note)")
    args = ap.parse_args(argv)
    ignore = frozenset(c for c in args.ignore_columns.split(",") if c)
    n, diffs = compare_trees(args.old, args.new, args.atol, ignore)
    for line in diffs:
        print(line)
    print(f"{n} tables compared, {len(diffs)} differences")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
