"""Atomic writes: all or nothing, and ordinary file permissions."""
import os
import stat

import pytest

from diffae.utils.atomic import atomic_path, atomic_write_text


def test_atomic_write_gets_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.txt", "hello")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").read_text() == "hello"
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644


def test_failed_write_leaves_the_target_and_no_temporary(tmp_path):
    target = tmp_path / "t.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.txt"]


def test_equal_checkpoints_are_equal_bytes(tmp_path):
    """torch.save names its archive after the file it writes; save_atomic must not leak the temporary name."""
    import torch

    from diffae.train.checkpoint import save_atomic

    obj = {"w": torch.arange(6.0).view(2, 3), "meta": {"k": 1}}
    save_atomic(obj, tmp_path / "a.pt")
    save_atomic(obj, tmp_path / "b" / "last.pt")
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b" / "last.pt").read_bytes()
