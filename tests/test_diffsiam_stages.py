"""DiffSiam stages end to end on tiny inputs: stand-ins -> prepared CIFAR-10 -> a run -> transfer numbers."""
from __future__ import annotations

import pandas as pd
import pytest
import torch
from _tiny_artifacts import tiny_artifacts
from _tiny_recipe import train_config

from diffae.artifacts import load_trained
from diffae.config import parse, DiffSiamRun, DiffSiamNets, TransferFewShotEval, TransferLinearEval, DiffusionConfig
from diffae.data.prepared import load_prepared
from diffae.data.stages import prepare_cifar10
from diffae.data.standin_cifar import write_standin_cifar
from diffae.data.standin_transfer import write_standin_transfer_sets
from diffae.data.transfer import load_transfer
from diffae.eval.transfer_eval import evaluate_transfer
from diffae.train.recipes import diffsiam


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("diffsiam")
    write_standin_cifar(root / "cifar10_standin", "cifar10", n_train_per_class=3, n_test_per_class=8, seed=0)
    n = write_standin_transfer_sets(root / "transfer_standin", ["dtd", "flowers", "cifar100"], n_classes=5,
                                    n_train_per_class=3, n_test_per_class=8, image_size=8, seed=0)
    prepare_cifar10(None, root / "cifar10_standin", root / "prepared")
    runs = {"hier": parse(DiffSiamRun, {"method": "diffsiam", "variant": "hierarchical", "k_mode": "timestep_block"})}
    nets = parse(DiffSiamNets, {"encoder_width": 2, "z_dim": None, "n_segments": 4, "pred_hidden": 4,
                                "projector": False})
    diff = parse(DiffusionConfig, {"T": 50, "beta_schedule": "linear", "T_eval": 5, "T_recon": [5], "clip_x0": True})
    final = diffsiam.run(run="hier", runs=runs, simsiam_weight=1.0, nets=nets, prepared=str(root / "prepared"),
                         dm=str(tiny_artifacts(root)["ddim"]), out_dir=str(root / "hier"),
                         train_cfg=train_config(steps=2, batch_size=8, lr=0.05, optimizer="sgd", ema_decay=0.0),
                         diff_cfg=diff, seed=0, device="cpu", on_mismatch="refuse")
    with pytest.raises(ValueError, match="no run 'seq'"):
        diffsiam.run(run="seq", runs=runs, simsiam_weight=1.0, nets=nets, prepared=str(root / "prepared"), dm=None,
                     out_dir=str(root / "seq"), train_cfg=train_config(steps=1, batch_size=8, lr=0.05), diff_cfg=diff,
                     seed=0, device="cpu", on_mismatch="refuse")
    return root, final, n


def test_standins_and_prepared_cifar10(trained):
    root, _, n = trained
    assert n == 5 * (3 + 3 + 8) * 2 + 5 * (3 + 8)  # dtd and flowers have a validation split, CIFAR-100 none
    prepared = load_prepared(root / "prepared")
    assert prepared.images.shape == (30, 32, 32, 3) and set(prepared.labels["label"]) == set(range(10))
    images, labels, classes = load_transfer("dtd", root / "transfer_standin", "test", 8)
    assert images.shape == (40, 8, 8, 3) and len(classes) == 5


def test_a_run_records_its_choices_and_keeps_the_dm(trained):
    _, final, _ = trained
    model = load_trained(final)
    assert set(model.modules) == {"encoder", "shift", "head"}
    assert model.meta["diffsiam"]["variant"] == "hierarchical" and model.meta["diffsiam"]["n_segments"] == 4
    assert model["encoder"](torch.zeros(2, 3, 8, 8)).shape == (2, 16)


def test_transfer_numbers_cover_both_protocols(trained, tmp_path):
    root, final, _ = trained
    linear = parse(TransferLinearEval, {"wd_grid": [-2, 2, 3], "val_fraction": 0.2, "max_iter": 200})
    fewshot = parse(TransferFewShotEval, {"ways": 5, "shots": [1, 5], "queries": 3, "episodes": 4, "epochs": 2,
                                          "batch_size": 4, "lr": 0.01, "momentum": 0.9, "weight_decay": 0.001,
                                          "seed": 0})
    out = tmp_path / "hier.csv"
    df = evaluate_transfer(model=str(final), cifar10_root=None, cifar10_standin=str(root / "cifar10_standin"),
                           transfer_root=None, transfer_standin=str(root / "transfer_standin"),
                           datasets=["dtd", "flowers", "cifar100"], image_size=8, linear=linear, fewshot=fewshot,
                           preset="embedded", device="cpu", out=str(out))
    written = pd.read_csv(out)
    assert list(written.columns) == list(df.columns) and len(written) == len(df)
    many = df[df["protocol"] == "many_shot"].set_index("dataset")
    assert list(many.index) == ["cifar10", "dtd", "flowers", "cifar100"]
    assert many.loc["flowers", "metric"] == "mean_per_class" and many.loc["dtd", "metric"] == "top1"
    assert many["accuracy"].between(0, 100).all() and many["best_C"].notna().all()
    few = df[df["protocol"] == "few_shot"]
    assert "flowers" not in set(few["dataset"])  # Table 4.2 has no Flowers column
    assert len(few) == 3 * 2 and (few["n_episodes"] == 4).all() and (few["ci95"] >= 0).all()
    assert set(df["run"]) == {"hier"} and (df["method"] == "diffsiam").all()
