"""The `diffae` command line: params flow to stages, real roots replace stand-ins, errors are readable."""
import inspect
import json

import pytest
import yaml

from diffae.cli import COMMANDS, build_parser, main, resolve_target, run_command
from diffae.command_policy import DERIVATIONS
from diffae.command_spec import (
    Command,
    FromConst,
    FromDerived,
    FromFlag,
    FromParam,
    FromView,
    derived,
    flag,
    param,
    view,
)
from diffae.config import SCHEMA_PATH, load_params
from diffae.data.standin_ilab import write_standin_ilab
from diffae.params_view import ParamsView, UndeclaredParamError, covers
from diffae.train.loop import NonFiniteLossError


def test_every_rule_command_exists(repo):
    text = "".join(p.read_text() for p in (repo / "workflow/rules").glob("*.smk"))
    import re

    used = set(re.findall(r'"diffae ([a-z0-9-]+) ', text))
    assert used and used <= set(COMMANDS), used - set(COMMANDS)
    build_parser()  # every command registers cleanly


def test_real_root_is_read_instead_of_the_standin(repo, tmp_path, params_file):
    real = tmp_path / "ilab_real"
    write_standin_ilab(real, n_identities=2, n_backgrounds=3, n_poses=2, image_size=16, jitter=0.0, seed=5)
    params = params_file("smoke.yaml", **{"data.ilab.root": str(real)})
    out = tmp_path / "prepared"
    assert main(["prepare-ilab", "--params", str(params), "--standin", str(tmp_path / "absent"), "--out", str(out)]) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["source"] == "real" and meta["root"] == str(real)
    assert meta["cardinality"] == {"identity": 2, "background": 3, "pose": 2}


def test_missing_root_and_bad_params_exit_with_a_message(repo, tmp_path, capsys, params_file):
    params = params_file("smoke.yaml", **{"data.ilab.root": str(tmp_path / "nowhere")})
    rc = main(["prepare-ilab", "--params", str(params), "--standin", "x", "--out", str(tmp_path / "o")])
    assert rc == 1 and "nowhere" in capsys.readouterr().err
    bad = params_file("smoke.yaml", **{"data.ilab.split.test_fraction": 2})
    rc = main(["split-ilab", "--params", str(bad), "--prepared", "x", "--out", "y"])
    err = capsys.readouterr().err
    assert rc == 2 and "data.ilab.split.test_fraction" in err


def test_paper_preset_refuses_standins(repo, tmp_path, capsys):
    rc = main(["prepare-ilab", "--params", str(repo / "presets/paper-ilab.yaml"), "--standin", "x",
               "--out", str(tmp_path / "o")])
    assert rc == 2 and "data.ilab.root" in capsys.readouterr().err


# ---------------------------------------------------------------- the command table
def _schema_node(schema, node):
    while "$ref" in node:
        target = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _covered(key, reads):
    return any(covers(declared, key) for declared in reads)


def test_declared_keys_exist_in_the_schema_and_do_not_overlap():
    schema = yaml.safe_load(SCHEMA_PATH.read_text())
    for command in COMMANDS.values():
        for key in command.reads:
            node = schema
            for part in key.split("."):
                props = _schema_node(schema, node).get("properties", {})
                assert part in props, f"{command.name}: params key {key} is not in the schema"
                node = props[part]
            others = [k for k in command.reads if k != key and covers(k, key)]
            assert not others, f"{command.name}: {key} is already covered by {others}"


def test_every_argument_source_is_declared():
    for command in COMMANDS.values():
        dests = {f.dest for f in command.all_flags}
        for name, source in command.kwargs.items():
            where = f"{command.name}: argument {name}"
            if isinstance(source, FromParam):
                assert _covered(source.key, command.reads) or any(k.startswith(source.key + ".")
                                                                  for k in command.reads), f"{where}: {source.key}"
            elif isinstance(source, FromFlag):
                assert source.name.replace("-", "_") in dests, f"{where}: no flag --{source.name}"
            elif isinstance(source, FromDerived):
                d = DERIVATIONS[source.name]
                missing = [k for k in d.reads if not _covered(k, command.reads)]
                assert not missing, f"{where}: derived {source.name} reads undeclared {missing}"
                assert set(d.flags) <= dests, f"{where}: derived {source.name} needs flags {d.flags}"
            elif isinstance(source, FromConst):  # a fixed value needs nothing declared; plain data or None
                assert source.value is None or isinstance(source.value, (str, int, float, bool)), where
            else:
                assert isinstance(source, FromView), f"{where}: unknown source {source!r}"


def test_every_target_accepts_its_keyword_arguments():
    for command in COMMANDS.values():
        fn = resolve_target(command.target)
        try:
            inspect.signature(fn).bind(**dict.fromkeys(command.kwargs))
        except TypeError as err:
            raise AssertionError(f"{command.name} -> {command.target}: {err}") from None


def test_reading_an_undeclared_key_names_the_command_and_the_key(repo):
    params = load_params(repo / "presets/smoke.yaml")
    v = ParamsView(params, ("data.ilab.image_size", "train.diffae", "diffusion.T"), "some-command")
    assert v.data.ilab.image_size == params.data.ilab.image_size
    assert v.train.diffae is params.train.diffae  # a declared section comes back whole
    assert v.diffusion.T == params.diffusion.T
    for read, key in ((lambda: v.seed, "seed"), (lambda: v.data.ilab.identity, "data.ilab.identity"),
                      (lambda: v.diffusion.T_eval, "diffusion.T_eval"), (lambda: v.train.gae, "train.gae"),
                      (lambda: v.torch_device(), "device"), (lambda: v.is_paper, "preset")):
        with pytest.raises(UndeclaredParamError, match=f"diffae some-command read params key '{key}'"):
            read()


def _reads_seed(params):
    return params.seed


RECORDED = {}


def _record(**kwargs):
    RECORDED.update(kwargs)


def test_a_command_reading_beyond_its_entry_fails(repo, tmp_path, params_file):
    """The called function gets the restricted view: a read the entry does not declare is an error."""
    smoke = params_file("smoke.yaml")
    strict = Command(name="t", help="", target=f"{__name__}:_reads_seed", kwargs={"params": view()},
                     reads=("preset",))
    with pytest.raises(UndeclaredParamError, match="'seed'"):
        run_command(strict, load_params(smoke), {})
    enough = Command(name="t", help="", target=f"{__name__}:_reads_seed", kwargs={"params": view()},
                     reads=("seed",))
    assert run_command(enough, load_params(smoke), {}) == load_params(smoke).seed


def test_keyword_arguments_come_from_params_flags_and_derivations(repo, tmp_path, params_file):
    params = load_params(params_file("smoke.yaml", device="cpu"))
    command = Command(name="t", help="", target=f"{__name__}:_record", reads=("diffusion.T", "device"),
                      outputs=("out",),
                      kwargs={"diff": param("diffusion"), "out": flag("out"), "device": derived("torch_device")})
    run_command(command, params, {"out": "o"})
    assert RECORDED["out"] == "o" and RECORDED["device"] == "cpu"
    assert isinstance(RECORDED["diff"], ParamsView) and RECORDED["diff"].T == params.diffusion.T
    with pytest.raises(UndeclaredParamError, match="diffusion.clip_x0"):
        _ = RECORDED["diff"].clip_x0


def test_commands_pin_torch_threads_whatever_launched_them(repo):
    """Snakemake sets OMP_NUM_THREADS to a rule's threads, DVC sets nothing: the CLI pins the count itself."""
    import torch

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        main(["fetch-weights", "--params", str(repo / "presets/smoke.yaml")])  # fails early: no target folder
        assert torch.get_num_threads() == COMMANDS["fetch-weights"].threads == 1
        main(["fetch-weights", "--params", str(repo / "presets/smoke.yaml"), "--threads", "2"])
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("error, expected", [
    (OSError(28, "No space left on device", "data/models/diffae/final.pt"),
     "no space left on the disk writing data/models/diffae/final.pt"),
    (PermissionError(13, "Permission denied", "reports/table2.csv"), "permission denied writing reports/table2.csv"),
    (OSError(30, "Read-only file system", "data/eval/ppl.csv"), "the file system is read-only"),
    (RuntimeError("[enforce fail at inline_container.cc:672] . PytorchStreamWriter failed writing file data/0: "
                  "file write failed"), "most likely a full disk"),
    (NonFiniteLossError(12, {"l_simple": float("nan")}, 10), "non-finite loss at step 12 (l_simple=nan); last "
                                                             "checkpoint kept at step 10"),
])
def test_disk_and_permission_failures_are_one_readable_line(repo, monkeypatch, capsys, error, expected):
    def fail(**kwargs):
        raise error

    monkeypatch.setattr("diffae.command_steps.fetch_metric_weights", fail)
    assert main(["fetch-weights", "--params", str(repo / "presets/smoke.yaml"), "--dir", "w"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("diffae fetch-weights: ") and expected in err and "Traceback" not in err


def test_a_bug_keeps_its_traceback(repo, monkeypatch):
    def fail(**kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr("diffae.command_steps.fetch_metric_weights", fail)
    with pytest.raises(KeyError):
        main(["fetch-weights", "--params", str(repo / "presets/smoke.yaml"), "--dir", "w"])


def test_device_cuda_without_a_gpu_is_a_params_error(repo, tmp_path, params_file):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    params = load_params(params_file("smoke.yaml", device="cuda"))
    with pytest.raises(Exception, match="device: cuda, but torch sees no CUDA GPU"):
        params.torch_device()


def test_a_report_command_runs_without_importing_torch(repo, tmp_path):
    """Threads are pinned through the environment, so commands that need no torch never import it."""
    import subprocess
    import sys

    import pandas as pd

    numbers = tmp_path / "n.csv"
    pd.DataFrame({"method": ["Diff-AE"], "T": [10], "ppl": [1.0], "n_pairs": [4], "eps": [1e-4],
                   "feature_net": ["x"]}).to_csv(numbers, index=False)
    code = ("import sys; from diffae.cli import main; "
            f"rc = main(['figure-ppl', '--params', {str(repo / 'presets/smoke.yaml')!r}, '--numbers', {str(numbers)!r}, "
            f"'--out', {str(tmp_path / 'f.png')!r}, '--csv', {str(tmp_path / 'f.csv')!r}]); "
            "import os; print(rc, 'torch' in sys.modules, os.environ['OMP_NUM_THREADS'])")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.stdout.split() == ["0", "False", "1"], res.stderr[-2000:]
    assert (tmp_path / "f.png").stat().st_size > 1000
