"""The per-rule cost table from Snakemake benchmark files."""
import pytest

from diffae.report.benchmarks import main, read_benchmarks, to_markdown

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def _bench(folder, rule, s, rss, cpu):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{rule}.tsv").write_text(HEADER + f"{s}\t0:00:00\t{rss}\t1\t1\t1\t0\t0\t50\t{cpu}\n")


def test_rules_sorted_slowest_first_with_total(tmp_path, capsys):
    _bench(tmp_path / "logs" / "benchmarks", "train_diffae", 612.4, 900.5, 610.0)
    _bench(tmp_path / "logs" / "benchmarks", "split_ilab", 2.2, "-", 1.0)
    df = read_benchmarks(tmp_path)
    assert list(df.rule) == ["train_diffae", "split_ilab"] and df.max_rss_mb.isna().tolist() == [False, True]
    md = to_markdown(df)
    assert "| `train_diffae` | 10 min 12 s | 900 MB | 10 min 10 s |" in md
    assert "| `split_ilab` | 2 s | ? | 1 s |" in md and "| all rules, one after another | 10 min 15 s |" in md
    assert main([str(tmp_path)]) == 0 and capsys.readouterr().out == md


def test_missing_or_foreign_files_are_named(tmp_path, capsys):
    assert main([str(tmp_path)]) == 1 and "no benchmark files" in capsys.readouterr().err
    (tmp_path / "logs" / "benchmarks").mkdir(parents=True)
    (tmp_path / "logs" / "benchmarks" / "x.tsv").write_text("a\tb\n1\t2\n")
    with pytest.raises(ValueError, match="x.tsv: not a Snakemake benchmark file"):
        read_benchmarks(tmp_path)
