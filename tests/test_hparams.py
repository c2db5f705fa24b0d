"""Diff-AE Tables 5 and 6 from the paper presets: every setting of each presets/paper-diffae-*.yaml matches the
paper's column of its dataset; a changed value is caught; columns without a preset are NA."""
import pandas as pd
import pytest
import yaml

from conftest import REPO

from diffae.report.hparams import PRESET_COLUMN, TABLE6_COLUMNS, hparam_tables

DIFFAE_PAPER_PRESETS = sorted(REPO.glob("presets/paper-diffae-*.yaml"))


def test_ffhq128_preset_matches_tables_5_and_6(repo, tmp_path):
    t5, t6 = hparam_tables([repo / "presets/paper-diffae-ffhq128.yaml"], tmp_path / "t5.csv", tmp_path / "t6.csv")
    ffhq5, ffhq6 = t5[t5["dataset"] == "FFHQ 128"], t6[t6["dataset"] == "FFHQ"]
    assert len(ffhq5) == 13 and ffhq5["matches_paper"].astype(bool).all(), ffhq5[~ffhq5["matches_paper"].astype(bool)]
    assert len(ffhq6) == 9 and ffhq6["matches_paper"].astype(bool).all(), ffhq6[~ffhq6["matches_paper"].astype(bool)]
    images = ffhq5.set_index("setting").loc["images trained"]
    assert images["paper"] == "130M" and images["preset"] == "130M"
    others = t5[t5["dataset"] != "FFHQ 128"]
    assert others["matches_paper"].isna().all() and (others["preset"].fillna("") == "").all()
    assert set(t5["dataset"]) == {"CelebA 64", "FFHQ 64", "FFHQ 128", "Horse 128", "Bedroom 128", "FFHQ 256"}
    assert pd.read_csv(tmp_path / "t5.csv").shape == t5.shape


def test_a_preset_off_the_paper_is_flagged(repo, tmp_path):
    raw = yaml.safe_load((repo / "presets/paper-diffae-ffhq128.yaml").read_text())
    raw["model"]["encoder"]["channel_mult"] = [1, 2, 4, 8, 8]
    raw["train"]["latent_ddim"]["weight_decay"] = 0.0
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(raw))
    t5, t6 = hparam_tables([tmp_path / "p.yaml"], tmp_path / "t5.csv", tmp_path / "t6.csv")
    wrong5 = t5[t5["matches_paper"].eq(False)]["setting"].tolist()
    wrong6 = t6[t6["matches_paper"].eq(False)]["setting"].tolist()
    assert wrong5 == ["encoder channel multipliers"] and wrong6 == ["optimizer"]


def test_a_preset_of_no_diffae_dataset_is_refused(repo, tmp_path):
    with pytest.raises(ValueError, match="paper-ilab.*not a Diff-AE paper preset"):
        hparam_tables([repo / "presets/paper-ilab.yaml"], tmp_path / "t5.csv", tmp_path / "t6.csv")


def test_a_diffae_paper_preset_exists_for_each_table6_dataset():
    names = {path.stem for path in DIFFAE_PAPER_PRESETS}
    assert {"paper-diffae-ffhq128", "paper-diffae-celeba64", "paper-diffae-horse128",
            "paper-diffae-bedroom128"} <= names <= set(PRESET_COLUMN)


@pytest.mark.parametrize("preset", DIFFAE_PAPER_PRESETS, ids=lambda path: path.stem)
def test_each_diffae_paper_preset_matches_tables_5_and_6(preset, tmp_path):
    """The preset's Table 5 column (13 settings) and, where the paper has one, its Table 6 column (9 settings) all
    match the paper; it trains its own dataset at the column's resolution."""
    raw = yaml.safe_load(preset.read_text())
    assert raw["preset"] == preset.stem
    column = PRESET_COLUMN[preset.stem]
    t5, t6 = hparam_tables([preset], tmp_path / "t5.csv", tmp_path / "t6.csv")
    ours5 = t5[t5["dataset"] == column]
    wrong5 = ours5[~ours5["matches_paper"].astype(bool)]
    assert len(ours5) == 13 and wrong5.empty, wrong5
    assert t5[t5["dataset"] != column]["matches_paper"].isna().all()
    if column in TABLE6_COLUMNS:
        ours6 = t6[t6["dataset"] == TABLE6_COLUMNS[column]]
        wrong6 = ours6[~ours6["matches_paper"].astype(bool)]
        assert len(ours6) == 9 and wrong6.empty, wrong6
    (dataset,) = raw["diffae_zoo"]["datasets"]
    assert raw["data"][dataset]["root"] is None
    assert raw["data"][dataset]["image_size"] == int(column.split()[-1])
    assert raw["train"]["ddim_zoo"]["steps"] == raw["train"]["diffae_zoo"]["steps"]
