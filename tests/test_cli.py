"""The `diffae` command line: params flow to stages, real roots replace stand-ins, errors are readable."""
import json

import yaml

from diffae.cli import COMMANDS, build_parser, main
from diffae.data.standin_ilab import write_standin_ilab


def _params(repo, tmp_path, **edits):
    raw = yaml.safe_load((repo / "presets/smoke.yaml").read_text())
    for dotted, value in edits.items():
        node = raw
        *path, last = dotted.split(".")
        for k in path:
            node = node[k]
        node[last] = value
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_every_rule_command_exists(repo):
    text = "".join(p.read_text() for p in (repo / "workflow/rules").glob("*.smk"))
    import re

    used = set(re.findall(r'"diffae ([a-z0-9-]+) ', text))
    assert used and used <= set(COMMANDS), used - set(COMMANDS)
    build_parser()  # every command registers cleanly


def test_real_root_is_read_instead_of_the_standin(repo, tmp_path):
    real = tmp_path / "ilab_real"
    write_standin_ilab(real, n_identities=2, n_backgrounds=3, n_poses=2, image_size=16, jitter=0.0, seed=5)
    params = _params(repo, tmp_path, **{"data.ilab.root": str(real)})
    out = tmp_path / "prepared"
    assert main(["prepare-ilab", "--params", str(params), "--standin", str(tmp_path / "absent"), "--out", str(out)]) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["source"] == "real" and meta["root"] == str(real)
    assert meta["cardinality"] == {"identity": 2, "background": 3, "pose": 2}


def test_missing_root_and_bad_params_exit_with_a_message(repo, tmp_path, capsys):
    params = _params(repo, tmp_path, **{"data.ilab.root": str(tmp_path / "nowhere")})
    rc = main(["prepare-ilab", "--params", str(params), "--standin", "x", "--out", str(tmp_path / "o")])
    assert rc == 1 and "nowhere" in capsys.readouterr().err
    bad = _params(repo, tmp_path, **{"data.ilab.split.test_fraction": 2})
    rc = main(["split-ilab", "--params", str(bad), "--prepared", "x", "--out", "y"])
    err = capsys.readouterr().err
    assert rc == 2 and "data.ilab.split.test_fraction" in err


def test_paper_preset_refuses_standins(repo, tmp_path, capsys):
    rc = main(["prepare-ilab", "--params", str(repo / "presets/paper-ilab.yaml"), "--standin", "x",
               "--out", str(tmp_path / "o")])
    assert rc == 2 and "data.ilab.root" in capsys.readouterr().err
