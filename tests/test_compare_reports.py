"""diffae.report.compare: two result trees agree exactly, or every difference is listed."""
import pandas as pd

from diffae.report.compare import compare_trees, main


def _tree(root, value, note="x"):
    (root / "sub").mkdir(parents=True)
    pd.DataFrame({"model": ["a", "b"], "mse": [0.5, value], "note": [note, note]}).to_csv(root / "t.csv", index=False)
    pd.DataFrame({"k": [1]}).to_csv(root / "sub" / "u.csv", index=False)


def test_identical_trees_agree(tmp_path, capsys):
    _tree(tmp_path / "a", 0.25)
    _tree(tmp_path / "b", 0.25)
    assert compare_trees(tmp_path / "a", tmp_path / "b") == (2, [])
    assert main([str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert "2 tables compared, 0 differences" in capsys.readouterr().out


def test_a_changed_number_a_missing_file_and_ignored_columns(tmp_path):
    _tree(tmp_path / "a", 0.25)
    _tree(tmp_path / "b", 0.2500001, note="y")
    (tmp_path / "b" / "sub" / "u.csv").unlink()
    n, diffs = compare_trees(tmp_path / "a", tmp_path / "b")
    assert n == 2 and len(diffs) == 4  # mse row 1, note rows 0 and 1, the missing file
    assert any("row 1 column 'mse'" in d for d in diffs) and any("missing" in d for d in diffs)
    _, diffs = compare_trees(tmp_path / "a", tmp_path / "b", atol=1e-6, ignore=frozenset({"note"}))
    assert diffs == ["sub/u.csv: missing under " + str(tmp_path / "b")]
    assert main([str(tmp_path / "a"), str(tmp_path / "b")]) == 1
