"""params.yaml, presets and the schema."""
from pathlib import Path

import jsonschema
import pytest
import yaml

from diffae.config import SCHEMA_PATH, ParamsError, from_dict, load_params, main, schema_yaml

REPO = Path(__file__).resolve().parents[1]
PRESETS = sorted((REPO / "presets").glob("*.yaml"))


def test_presets_exist():
    names = {p.name for p in PRESETS}
    assert {"embedded.yaml", "smoke.yaml", "paper-ilab.yaml"} <= names


@pytest.mark.parametrize("path", PRESETS + [REPO / "params.yaml"], ids=lambda p: p.name)
def test_every_preset_validates(path):
    params = load_params(path)
    assert params.preset == yaml.safe_load(path.read_text())["preset"]


def test_embedded_preset_is_params_yaml():
    assert (REPO / "presets/embedded.yaml").read_text() == (REPO / "params.yaml").read_text()


def test_paper_preset_has_paper_settings():
    p = load_params(REPO / "presets/paper-ilab.yaml")
    assert p.is_paper and p.data.ilab.image_size == 128
    assert p.data.ilab.root is None and not p.metrics.allow_random_weights
    with pytest.raises(ParamsError, match=r"data\.ilab\.root"):
        p.require_root("ilab")


def _raw():
    return yaml.safe_load((REPO / "params.yaml").read_text())


def test_bad_value_names_key_value_and_expectation():
    raw = _raw()
    raw["data"]["ilab"]["split"]["test_fraction"] = 1.5
    with pytest.raises(ParamsError) as err:
        from_dict(raw, "bad.yaml")
    msg = str(err.value)
    assert "bad.yaml" in msg and "data.ilab.split.test_fraction" in msg and "1.5" in msg and "maximum" in msg


def test_unknown_and_missing_keys_are_errors():
    raw = _raw()
    raw["data"]["ilab"]["colour"] = "red"
    del raw["data"]["ilab"]["groups"]["seed"]
    with pytest.raises(ParamsError) as err:
        from_dict(raw, "bad.yaml")
    msg = str(err.value)
    assert "'colour' was unexpected" in msg and "'seed' is a required property" in msg


def test_wrong_type_and_enum():
    raw = _raw()
    raw["data"]["ilab"]["identity"] = "shape"
    raw["seed"] = "zero"
    with pytest.raises(ParamsError) as err:
        from_dict(raw)
    assert "data.ilab.identity" in str(err.value) and "seed" in str(err.value)


def test_typed_view_types():
    p = load_params(REPO / "params.yaml")
    assert isinstance(p.data.ilab.groups.n_train, int)
    assert p.data.ilab.standin.n_identities * p.data.ilab.standin.n_backgrounds * p.data.ilab.standin.n_poses > 0


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ParamsError, match="not found"):
        load_params(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_params(bad)


def test_committed_schema_is_the_generated_one(capsys):
    assert SCHEMA_PATH.read_text() == schema_yaml(), f"regenerate: python -m diffae.config --schema > {SCHEMA_PATH}"
    assert main(["--schema"]) == 0 and capsys.readouterr().out == schema_yaml()


@pytest.mark.parametrize("path", PRESETS + [REPO / "params.yaml"], ids=lambda p: p.name)
def test_schema_accepts_what_the_typed_view_accepts(path):
    """Snakemake validates with the committed schema (Draft 2020-12), diffae with the typed view."""
    validator = jsonschema.Draft202012Validator(yaml.safe_load(SCHEMA_PATH.read_text()))
    raw = yaml.safe_load(path.read_text())
    assert list(validator.iter_errors(raw)) == []
    raw["train"]["gae"]["lr"] = "4e-5"  # YAML 1.1 reads an exponent without a dot as text
    assert list(validator.iter_errors(raw)) == []
    assert from_dict(raw).train.gae.lr == 4e-5
    raw["train"]["gae"]["lr"] = True
    assert list(validator.iter_errors(raw)) != []
    with pytest.raises(ParamsError, match=r"train\.gae\.lr=True"):
        from_dict(raw)


def test_cross_key_rules():
    raw = _raw()
    raw["model"]["gae"]["partition"] = [60, 20, 10]
    with pytest.raises(ParamsError, match=r"model\.gae: partition \[60, 20, 10\] sums to 90, expected dis_dim = 100"):
        from_dict(raw, "bad.yaml")
    raw = _raw()
    n_test = raw["data"]["ilab"]["groups"]["n_test"]
    raw["eval"]["groups"]["n_groups"] = n_test + 1
    expected = rf"eval\.groups\.n_groups = {n_test + 1} exceeds data\.ilab\.groups\.n_test = {n_test}"
    with pytest.raises(ParamsError, match=expected):
        from_dict(raw, "bad.yaml")


def test_params_are_frozen():
    p = load_params(REPO / "params.yaml")
    with pytest.raises(AttributeError):
        p.train.diffae.lr = 1.0
    assert p.source == str(REPO / "params.yaml")


def test_yaml_exponent_without_dot_is_a_number(tmp_path):
    """PyYAML reads `1e-4` as a string (YAML 1.1 wants `1.0e-4`); the params still hold the number."""
    text = (REPO / "presets/smoke.yaml").read_text()
    path = tmp_path / "p.yaml"
    path.write_text(text.replace("lr: 0.0002", "lr: 1e-4", 1))
    assert yaml.safe_load(path.read_text())["train"]["diffae"]["lr"] == "1e-4"
    assert load_params(path).train.diffae.lr == 1e-4
