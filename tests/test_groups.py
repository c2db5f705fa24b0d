"""GROUP(C, s) construction (DiffuseGAE Def. 1, Eq. (9)) and the group figure."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from diffae.data.errors import DatasetError
from diffae.data.groups import (
    GroupConstructionError,
    build_groups,
    partner_columns,
    read_groups,
    write_groups,
)
from diffae.data.ilab import ILAB_ATTRIBUTES, load_ilab, scan_ilab
from diffae.data.splits import split_indices
from diffae.data.standin_ilab import write_standin_ilab
from diffae.report.group_figure import draw_groups


def _assert_group_property(labels: pd.DataFrame, groups: pd.DataFrame, attributes, s: int) -> None:
    """Every partner shares exactly its element's attributes with the centre and differs in all others."""
    values = labels[list(attributes)].to_numpy()
    centres = groups["center"].to_numpy()
    for e in itertools.combinations(attributes, s):
        partner = groups["partner_" + "+".join(e)].to_numpy()
        assert not np.any(partner == centres)
        for k, a in enumerate(attributes):
            same = values[partner, k] == values[centres, k]
            assert same.all() if a in e else (~same).all(), (e, a)
    for k, a in enumerate(attributes):  # the table carries the centre's values
        assert (groups[a].to_numpy() == values[centres, k]).all()


def _random_labels(n: int, cards=(5, 7, 4, 3), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({f"a{k}": rng.integers(0, c, n) for k, c in enumerate(cards)})


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    root = tmp_path_factory.mktemp("ilab")
    write_standin_ilab(root, n_identities=3, n_backgrounds=4, n_poses=5, image_size=16)
    return root


def test_groups_on_standin(standin):
    labels = scan_ilab(standin)
    groups, stats = build_groups(labels, ILAB_ATTRIBUTES, np.arange(len(labels)), n_groups=40, seed=1)
    assert list(groups.columns) == ["center", "partner_identity", "partner_background", "partner_pose",
                                    *ILAB_ATTRIBUTES]
    assert len(groups) == 40 and groups["center"].is_unique
    assert stats == {"requested": 40, "built": 40, "skipped_centres": 0, "candidates": len(labels)}
    _assert_group_property(labels, groups, ILAB_ATTRIBUTES, 1)


@pytest.mark.parametrize("s", [1, 2])
def test_groups_on_random_table_with_four_attributes(s):
    labels = _random_labels(600)
    attrs = list(labels.columns)
    groups, stats = build_groups(labels, attrs, np.arange(600), n_groups=200, s=s, seed=0)
    assert len(groups) == 200
    assert [c for c in groups.columns if c.startswith("partner_")] == partner_columns(attrs, s)
    assert len(partner_columns(attrs, s)) == {1: 4, 2: 6}[s]
    assert "partner_a0+a1" in groups.columns if s == 2 else "partner_a0" in groups.columns
    _assert_group_property(labels, groups, attrs, s)


def test_seeded_and_partners_vary():
    labels = _random_labels(400, seed=2)
    attrs = list(labels.columns)
    a, _ = build_groups(labels, attrs, np.arange(400), 100, seed=5)
    b, _ = build_groups(labels, attrs, np.arange(400), 100, seed=5)
    c, _ = build_groups(labels, attrs, np.arange(400), 100, seed=6)
    assert a.equals(b) and not a.equals(c)
    # partners are drawn among all valid ones, not always the first: many distinct partners appear
    assert a["partner_a0"].nunique() > 50


def test_centres_and_partners_come_from_candidates_and_splits_never_mix():
    labels = _random_labels(1000, seed=3)
    attrs = list(labels.columns)
    split = split_indices(len(labels), 0.2, seed=0)
    train, test = np.flatnonzero(split == "train"), np.flatnonzero(split == "test")
    g_train, _ = build_groups(labels, attrs, train, 300, seed=0)
    g_test, _ = build_groups(labels, attrs, test, 60, seed=0)
    members_train = set(g_train[["center", *partner_columns(attrs)]].to_numpy().ravel())
    members_test = set(g_test[["center", *partner_columns(attrs)]].to_numpy().ravel())
    assert members_train <= set(train) and members_test <= set(test)
    assert not members_train & members_test
    _assert_group_property(labels, g_test, attrs, 1)


def _factorial_with_ghosts(n_ghosts: int) -> pd.DataFrame:
    rows = [(f"id{i}", f"b{b}", f"p{p}") for i in range(3) for b in range(3) for p in range(3)]
    rows += [(f"ghost{k}", f"b{k % 3}", f"p{(k + 1) % 3}") for k in range(n_ghosts)]  # unique identity
    return pd.DataFrame(rows, columns=list(ILAB_ATTRIBUTES))


def test_too_few_groups_raises_named_error():
    labels = _factorial_with_ghosts(1)
    with pytest.raises(GroupConstructionError, match="n_groups") as info:
        build_groups(labels, ILAB_ATTRIBUTES, np.arange(len(labels)), n_groups=28)
    msg = str(info.value)
    assert "only 27" in msg and "28" in msg and "1 centres" in msg
    assert isinstance(info.value, DatasetError)


def test_skipped_centres_are_counted():
    labels = _factorial_with_ghosts(27)  # the 27 ghosts lack an identity partner
    groups, stats = build_groups(labels, ILAB_ATTRIBUTES, np.arange(len(labels)), n_groups=27, seed=0)
    assert set(groups["center"]) == set(range(27))  # exactly the non-ghost centres
    assert stats["built"] == 27 and stats["skipped_centres"] >= 1
    assert stats["built"] + stats["skipped_centres"] <= stats["candidates"] == 54
    _assert_group_property(labels, groups, ILAB_ATTRIBUTES, 1)


def test_s_equal_m_needs_a_duplicate_sample():
    labels = pd.DataFrame({"a": [0, 0, 1], "b": [5, 5, 6]})
    groups, stats = build_groups(labels, ["a", "b"], np.arange(3), n_groups=2, s=2)
    assert sorted(groups["center"]) == [0, 1] and set(groups["partner_a+b"]) == {0, 1}
    assert stats["skipped_centres"] <= 1


def test_bad_arguments():
    labels = _random_labels(20)
    with pytest.raises(ValueError, match="missing_attr"):
        build_groups(labels, ["a0", "missing_attr"], np.arange(20), 1)
    with pytest.raises(ValueError, match="s must be"):
        build_groups(labels, ["a0", "a1"], np.arange(20), 1, s=3)
    with pytest.raises(ValueError, match="candidates"):
        build_groups(labels, ["a0", "a1"], np.array([0, 25]), 1)


def test_write_read_round_trip_and_validation(tmp_path, standin):
    labels = scan_ilab(standin)
    groups, _ = build_groups(labels, ILAB_ATTRIBUTES, np.arange(len(labels)), 10)
    write_groups(tmp_path / "groups.csv", groups)
    back = read_groups(tmp_path / "groups.csv", attributes=ILAB_ATTRIBUTES)
    pd.testing.assert_frame_equal(back, groups)
    bad = tmp_path / "bad_groups.csv"
    groups.drop(columns=["center"]).to_csv(bad, index=False)
    with pytest.raises(DatasetError, match="center") as info:
        read_groups(bad)
    assert str(bad) in str(info.value)
    with pytest.raises(DatasetError, match="expected"):
        read_groups(tmp_path / "groups.csv", attributes=ILAB_ATTRIBUTES, s=2)


def test_group_figure_writes_png(tmp_path, standin):
    images, labels = load_ilab(standin, image_size=16, progress=False)
    groups, _ = build_groups(labels, ILAB_ATTRIBUTES, np.arange(len(labels)), 4)
    out = tmp_path / "fig" / "groups.png"
    draw_groups(images, labels, groups, ILAB_ATTRIBUTES, out, n_rows=3, caption="stand-in iLab, seed 0")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and 20_000 < len(data) < 2_000_000
    from PIL import Image

    with Image.open(out) as im:
        w, h = im.size
    assert w > h * 0.8 and w >= 600  # 4 columns (centre + 3 partners) by 3 rows
