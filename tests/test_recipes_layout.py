"""One module per training stage; the helpers the stages share live once, on their own floor."""
import importlib
import inspect

import numpy as np
import pandas as pd
import pytest
import torch

from diffae.artifacts import Trained
from diffae.data.prepared import save_prepared
from diffae.data.splits import held_out_images, split_images, write_split
from diffae.nets.partition import Partition

STAGES = ("diffae", "ddim", "latent_ddim", "gae", "finetune", "gzsnet", "aeds", "diffsiam")


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_module_has_a_recipe_and_a_keyword_only_run(stage):
    module = importlib.import_module(f"diffae.train.recipes.{stage}")
    params = inspect.signature(module.run).parameters.values()
    assert params and all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)
    recipes = [obj for name, obj in vars(module).items()
               if name.endswith("Recipe") and inspect.isclass(obj) and obj.__module__ == module.__name__]
    assert len(recipes) == 1 and {"modules", "loss"} <= set(vars(recipes[0]))


def test_partition_dict_roundtrip_and_errors():
    p = Partition(("identity", "background", "pose"), (3, 2, 1))
    assert p.to_dict() == {"names": ["identity", "background", "pose"], "sizes": [3, 2, 1]}
    assert Partition.from_dict(p.to_dict(), dim=6) == p
    with pytest.raises(ValueError, match="z.npz: meta\\['partition'\\] = None; expected"):
        Partition.from_dict(None, where="z.npz: meta['partition']")
    with pytest.raises(ValueError, match="sum to 6 but the latent has width 7"):
        Partition.from_dict(p.to_dict(), dim=7)


def test_trained_artifact_reads_its_partition(tmp_path):
    p = Partition(("a", "b"), (2, 2))
    assert Trained(modules={}, meta={"partition": p.to_dict()}, path=tmp_path).partition == p
    with pytest.raises(ValueError, match="meta\\['partition'\\]"):
        Trained(modules={}, meta={}, path=tmp_path).partition


@pytest.fixture
def prepared(tmp_path):
    n = 10
    images = np.arange(n, dtype=np.uint8)[:, None, None, None] * np.ones((1, 2, 2, 3), np.uint8)
    labels = pd.DataFrame({"file": [f"{i}.png" for i in range(n)], "pose": ["p"] * n})
    save_prepared(tmp_path / "prep", images, labels, {"dataset": "t", "source": "standin", "attributes": ["pose"]})
    split = np.array(["train"] * 6 + ["test"] * 4)
    write_split(tmp_path / "split.csv", split)
    return tmp_path / "prep", tmp_path / "split.csv"


def test_split_images_are_uint8_nchw_rows_of_one_side(prepared):
    images, idx = split_images(*prepared, "test")
    assert idx.tolist() == [6, 7, 8, 9] and images.dtype == torch.uint8 and images.shape == (4, 3, 2, 2)
    assert images[:, 0, 0, 0].tolist() == [6, 7, 8, 9]


def test_held_out_images_are_seeded_test_rows_in_row_order(prepared):
    x = held_out_images(*prepared, n=3, seed=1)
    rows = ((x[:, 0, 0, 0] + 1) * 127.5).round().long().tolist()
    assert len(rows) == 3 and rows == sorted(rows) and set(rows) <= {6, 7, 8, 9}
    assert torch.equal(x, held_out_images(*prepared, n=3, seed=1))
    assert held_out_images(*prepared, n=6, seed=1).shape[0] == 6  # fewer test images than asked: reused


def test_a_stale_split_is_named(prepared, tmp_path):
    write_split(tmp_path / "short.csv", np.array(["train", "test"]))
    with pytest.raises(ValueError, match="short.csv: 2 rows .* has 10 samples; rerun the split"):
        split_images(prepared[0], tmp_path / "short.csv", "train")
