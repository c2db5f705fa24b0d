import os
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


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

