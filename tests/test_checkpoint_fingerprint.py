"""A checkpoint belongs to its inputs: last.pt is resumed only by the run that wrote it (same data, modules,
meta and trajectory settings); any other run starts fresh with the old file kept aside, or is refused."""
from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from diffae.artifacts import load_final
from diffae.data.groups import GroupImages
from diffae.train.checkpoint import load_checkpoint, save_atomic
from diffae.train.fingerprint import data_digest, differences, run_fingerprint
from diffae.train.loop import StaleCheckpointError, train

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("_tiny_recipe", HERE / "_tiny_recipe.py")
tiny = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tiny)

META = {"kind": "tiny", "partition": {"names": ["a", "b"], "sizes": [4, 4]}}


pytestmark = pytest.mark.usefixtures("one_thread")


def _cfg(**kw):
    return tiny.train_config(**{"steps": 6, "batch_size": 8, "lr": 1e-2, "ckpt_every": 3, "log_every": 1,
                                "ema_decay": 0.9, **kw})


def _run(out, *, recipe=None, data=None, cfg=None, meta=META, seed=3, **kw):
    return train(recipe or tiny.TinyRecipe(), data if data is not None else tiny.make_dataset(), cfg or _cfg(), out,
                 seed=seed, progress=False, meta=meta, **kw)


def _weights(path):
    return load_final(path)["modules"]


def _same(a, b):
    return all(torch.equal(a[m][k], b[m][k]) for m in a for k in a[m])


class WideRecipe(tiny.TinyRecipe):
    """The tiny recipe with a wider hidden layer: another architecture, same module names."""

    def __init__(self):
        super().__init__()
        with torch.random.fork_rng():
            torch.manual_seed(1)
            self.enc = nn.Sequential(nn.Linear(tiny.DIM, 32), nn.ReLU(), nn.Dropout(0.2))
            self.head = nn.Linear(32, tiny.DIM)


CHANGES = {  # fresh arguments per call: a recipe's modules are trained in place
    "data": lambda: dict(data=tiny.make_dataset(seed=1)),
    "settings": lambda: dict(cfg=_cfg(lr=5e-3)),
    "seed": lambda: dict(seed=4),
    "meta (partition)": lambda: dict(meta={**META, "partition": {"names": ["a", "b"], "sizes": [6, 2]}}),
    "architecture": lambda: dict(recipe=WideRecipe()),
    "steps lowered below the checkpoint": lambda: dict(cfg=_cfg(steps=2)),
}
WHY = {"data": "training data differ", "settings": "lr: 0.01 -> 0.005", "seed": "seed: 3 -> 4",
       "meta (partition)": "artifact description differs", "architecture": "architecture differs",
       "steps lowered below the checkpoint": "beyond steps=2"}


@pytest.mark.parametrize("case", list(CHANGES))
def test_a_changed_run_starts_fresh_and_keeps_the_old_checkpoint(tmp_path, caplog, case):
    out, ref = tmp_path / "run", tmp_path / "ref"
    _run(out)
    old = load_checkpoint(out / "checkpoints" / "last.pt")
    caplog.set_level(logging.WARNING, logger="diffae.train.loop")
    res = _run(out, **CHANGES[case]())
    assert res.resumed_from is None, "a checkpoint of another run was resumed"
    assert WHY[case] in caplog.text and "starting fresh" in caplog.text
    stale = list((out / "checkpoints" / "stale").glob("last-*.pt"))
    assert len(stale) == 1 and load_checkpoint(stale[0])["step"] == old["step"]
    _run(ref, **CHANGES[case]())  # the same changed run in an empty folder
    assert _same(_weights(out / "final.pt"), _weights(ref / "final.pt"))


@pytest.mark.parametrize("case", ["data", "architecture", "steps lowered below the checkpoint"])
def test_refuse_policy_names_the_difference_and_touches_nothing(tmp_path, case):
    out = tmp_path / "run"
    _run(out)
    before = (out / "checkpoints" / "last.pt").read_bytes()
    with pytest.raises(StaleCheckpointError, match=WHY[case]) as err:
        _run(out, on_mismatch="refuse", **CHANGES[case]())
    assert "on_checkpoint_mismatch" in str(err.value)
    assert (out / "checkpoints" / "last.pt").read_bytes() == before
    assert not (out / "checkpoints" / "stale").exists()


def test_the_same_run_resumes_and_more_steps_continue_it(tmp_path):
    out, ref = tmp_path / "run", tmp_path / "ref"
    _run(out)
    assert _run(out).resumed_from == 6  # nothing changed: only final.pt is checked
    res = _run(out, cfg=_cfg(steps=9))
    assert res.resumed_from == 6 and res.step == 9
    _run(ref, cfg=_cfg(steps=9))
    assert _same(_weights(out / "final.pt"), _weights(ref / "final.pt"))
    # moving the inputs elsewhere (provenance paths in meta) is not a change
    assert _run(out, cfg=_cfg(steps=9), meta={**META, "latents": "/elsewhere/z.npz"}).resumed_from == 9


def test_a_checkpoint_without_fingerprint_is_not_resumed(tmp_path, caplog):
    out = tmp_path / "run"
    _run(out)
    path = out / "checkpoints" / "last.pt"
    ck = load_checkpoint(path)
    del ck["fingerprint"]
    save_atomic(ck, path)
    caplog.set_level(logging.WARNING, logger="diffae.train.loop")
    assert _run(out).resumed_from is None
    assert "records no fingerprint" in caplog.text


def test_bad_policy_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="on_mismatch='sometimes'"):
        _run(tmp_path, on_mismatch="sometimes")


def test_data_digest_sees_content_rows_and_groups():
    x = torch.arange(48, dtype=torch.uint8).view(6, 8)
    d = data_digest(TensorDataset(x))
    assert d == data_digest(TensorDataset(x.clone()))
    assert d != data_digest(TensorDataset(x[[0, 1, 2, 3, 5, 4]]))  # another split: other rows, same values
    y = x.clone()
    y[0, 0] += 1
    assert d != data_digest(TensorDataset(y))
    images = np.zeros((5, 2, 2, 3), np.uint8)
    g1 = GroupImages(images, np.array([[0, 1, 2], [3, 4, 0]]))
    g2 = GroupImages(images, np.array([[0, 1, 2], [3, 0, 4]]))
    assert data_digest(g1) != data_digest(g2)
    with pytest.raises(TypeError, match="fingerprint_arrays"):
        data_digest([x])


def test_differences_read_well():
    mods = {"m": nn.Linear(2, 2)}
    fp = run_fingerprint(TensorDataset(torch.zeros(2, 2)), mods, META, {"lr": 1e-3, "betas": (0.9, 0.999)})
    assert differences(fp, fp) == []
    other = {**fp, "settings": {**fp["settings"], "lr": 2e-3}}
    assert differences(fp, other) == ["lr: 0.001 -> 0.002"]
    assert fp["settings"]["betas"] == [0.9, 0.999]  # stored as a list: the same after a torch.save round trip
