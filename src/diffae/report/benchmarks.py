"""What each rule of a run cost: the Snakemake `benchmark:` files (`logs/benchmarks/<rule>.tsv`) as one table.

`python -m diffae.report.benchmarks [TREE]` prints a markdown table (rule, wall time, peak memory, CPU time),
slowest first, with the total; TREE is `.` for params.yaml's run or `results/<preset>` for a preset's. The
README's cost table is made with it, and a cluster's `set-resources` can be sized from it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd


def read_benchmarks(tree: str | Path) -> pd.DataFrame:
    """One row per rule: wall seconds (`s`), peak resident memory in MB (`max_rss`), CPU seconds."""
    folder = Path(tree) / "logs" / "benchmarks"
    files = sorted(folder.glob("*.tsv"))
    if not files:
        raise FileNotFoundError(f"no benchmark files in {folder} (run the pipeline first)")
    rows = []
    for f in files:
        b = pd.read_csv(f, sep="\t")
        missing = {"s", "max_rss"} - set(b.columns)
        if missing:
            raise ValueError(f"{f}: not a Snakemake benchmark file, missing columns {sorted(missing)}")
        rows.append({"rule": f.stem, "wall_s": float(b["s"].mean()),
                     "max_rss_mb": pd.to_numeric(b["max_rss"], errors="coerce").max(),
                     "cpu_s": pd.to_numeric(b.get("cpu_time", pd.Series([float("nan")])), errors="coerce").mean()})
    return pd.DataFrame(rows).sort_values("wall_s", ascending=False, ignore_index=True)


def _duration(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


def to_markdown(df: pd.DataFrame) -> str:
    lines = ["| rule | wall time | peak memory | CPU time |", "|---|---|---|---|"]
    for r in df.itertuples():
        mem = "?" if pd.isna(r.max_rss_mb) else f"{r.max_rss_mb:.0f} MB"
        cpu = "?" if pd.isna(r.cpu_s) else _duration(r.cpu_s)
        lines.append(f"| `{r.rule}` | {_duration(r.wall_s)} | {mem} | {cpu} |")
    lines.append(f"| all rules, one after another | {_duration(df.wall_s.sum())} | | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m diffae.report.benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("tree", nargs="?", default=".", help="the run's output tree (. or results/<preset>)")
    args = ap.parse_args(argv)
    try:
        sys.stdout.write(to_markdown(read_benchmarks(args.tree)))
    except (FileNotFoundError, ValueError) as err:
        print(f"benchmarks: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
