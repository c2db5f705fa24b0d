import functools
import itertools
import os
import shutil
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def dvc_stages(repo):
    """dvc.yaml's stages with each `foreach` (over a params.yaml list or dict) expanded to DVC's `name@item` stages
    and each `matrix` to DVC's `name@value1-value2` stages."""
    params = yaml.safe_load((repo / "params.yaml").read_text())

    def lookup(ref):
        return functools.reduce(lambda node, key: node[key], ref[2:-1].split("."), params)

    stages = {}
    for name, stage in yaml.safe_load((repo / "dvc.yaml").read_text())["stages"].items():
        if "matrix" in stage:
            axes = {k: lookup(v) for k, v in stage["matrix"].items()}
            body = yaml.safe_dump({k: v for k, v in stage.items() if k != "matrix"})
            for combo in itertools.product(*axes.values()):
                text = body
                for key, value in zip(axes, combo):
                    text = text.replace(f"${{item.{key}}}", str(value))
                stages[f"{name}@{'-'.join(map(str, combo))}"] = yaml.safe_load(text)
            continue
        if "foreach" not in stage:
            stages[name] = stage
            continue
        items = lookup(stage["foreach"])
        for item in items:  # a list gives ${item}; a dict gives ${key} (DVC's names: name@key)
            text = yaml.safe_dump(stage["do"])
            text = text.replace("${key}", str(item)) if isinstance(items, dict) else text.replace("${item}", str(item))
            stages[f"{name}@{item}"] = yaml.safe_load(text)
    return stages


def copy_checkout(repo: Path, dst: Path) -> Path:
    """A copy of the checkout at ``dst`` without its outputs, caches and venv (sources are copied whole)."""
    skip = {repo: {".venv", "data", "reports", "results", "logs", ".snakemake", ".pytest_cache"},
            repo / ".dvc": {"cache", "tmp"}}

    def ignore(folder, names):
        # A git worktree's `.git` is a pointer file to the main repository: a copy of it would let the tests'
        # git and DVC commands write into this checkout's branch, so the copy gets no repository of its own.
        worktree = [n for n in names if n == ".git" and (Path(folder) / n).is_file()]
        return {n for n in names if n in skip.get(Path(folder), ()) or n == "__pycache__"} | set(worktree)

    shutil.copytree(repo, dst, ignore=ignore)
    return dst


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def tool_env() -> dict:
    """Environment in which `snakemake`, `dvc` and `diffae` of this venv are on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture
def empty_hub(tmp_path, monkeypatch):
    """Point the torch hub cache at an empty folder and make any download attempt fail."""
    import torch

    hub = tmp_path / "hub"
    hub.mkdir()
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(hub))

    def no_download(*args, **kwargs):
        raise AssertionError(f"a download was attempted: {args}")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_download)
    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)
    monkeypatch.setattr("torchvision.models._api.load_state_dict_from_url", no_download)
    monkeypatch.setattr("pytorch_fid.inception.load_state_dict_from_url", no_download)
    return hub


@pytest.fixture
def params_file(tmp_path):
    """Write a copy of a preset with dotted-key edits (``"data.ilab.root": "/x"``) to tmp; returns its path."""

    def write(preset: str, name: str = "params.yaml", **edits) -> Path:
        raw = yaml.safe_load((REPO / "presets" / preset).read_text())
        for dotted, value in edits.items():
            node = raw
            *path, last = dotted.split(".")
            for k in path:
                node = node[k]
            node[last] = value
        out = tmp_path / name
        out.write_text(yaml.safe_dump(raw))
        return out

    return write


@pytest.fixture
def one_thread():
    """Tests of bit-exact training numbers run torch on one thread (and restore the count after)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)



def pytest_addoption(parser):
    parser.addoption("--cluster", action="store_true",
                     help="run the SLURM cluster tests (tests/test_cluster.py; `make test-cluster`)")


def pytest_collection_modifyitems(config, items):
    """Cluster tests need a running SLURM: they run with --cluster only, and then nothing else does."""
    want = config.getoption("--cluster")
    keep = [item for item in items if (item.get_closest_marker("cluster") is not None) == want]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep
