"""`diffae eval-diffsiam-transfer`: one trained encoder on CIFAR-10 and the transfer sets, both protocols of
DiffSiam Tables 4.1 (many-shot linear, diffae.eval.transfer_linear) and 4.2 (5-way few-shot, diffae.eval.fewshot).

Features are the frozen encoder's codes of images resized and centre-cropped to ``image_size`` in the encoder's own
range [-1, 1] (spec §2.8: [89] normalises with ImageNet statistics; we use the encoder's training normalisation).
Few-shot episodes come from each set's test split; Flowers has no Table 4.2 column (as printed), so it gets none.
Writes one long CSV of numbers (one row per protocol, set and shot count) for the report stage.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from diffae.artifacts import load_trained
from diffae.data.stages import resolve_raw
from diffae.data.transfer import HAS_VAL, METRIC, load_transfer
from diffae.eval.encode import encode_images
from diffae.eval.fewshot import fewshot_accuracy, sample_episodes
from diffae.eval.transfer_linear import many_shot_linear_eval, wd_grid
from diffae.utils.atomic import atomic_path

log = logging.getLogger(__name__)

NO_FEWSHOT = frozenset({"flowers"})  # Table 4.2 has no Flowers column


def _features(encoder: torch.nn.Module, name: str, root: Path, split: str, image_size: int,
              device: str) -> tuple[np.ndarray, np.ndarray]:
    images, labels, _ = load_transfer(name, root, split, image_size)
    return encode_images(encoder, images, batch_size=256, device=device, progress=False), labels


def evaluate_transfer(*, model: str, cifar10_root: Optional[str], cifar10_standin: str,
                      transfer_root: Optional[str], transfer_standin: str, datasets: Sequence[str], image_size: int,
                      linear: Any, fewshot: Any, preset: str, device: str, out: str) -> pd.DataFrame:
    """Evaluate the encoder of ``model`` (a DiffSiam-stage final.pt) on CIFAR-10 and ``datasets``; write ``out``."""
    trained = load_trained(model, device=device)
    encoder, info = trained["encoder"], trained.meta.get("diffsiam", {})
    roots = {"cifar10": resolve_raw(cifar10_root, cifar10_standin)[0]}
    transfer = resolve_raw(transfer_root, transfer_standin)[0]
    rows = []
    base = {"run": Path(model).parent.name, "method": info.get("method"), "variant": info.get("variant"),
            "k_mode": info.get("k_mode"), "preset": preset, "seed": fewshot.seed,
            "encoder": f"ResNet-10 width {trained.meta['nets']['encoder']['kwargs']['width']}, z {info.get('z_dim')}"}
    for name in tqdm(["cifar10", *datasets], desc="transfer sets", unit="set"):
        root = roots.get(name, transfer)
        x_train, y_train = _features(encoder, name, root, "train", image_size, device)
        x_test, y_test = _features(encoder, name, root, "test", image_size, device)
        x_val = y_val = None
        if name in HAS_VAL:
            x_val, y_val = _features(encoder, name, root, "val", image_size, device)
        res = many_shot_linear_eval(x_train, y_train, x_test, y_test, x_val=x_val, y_val=y_val,
                                    val_fraction=linear.val_fraction, seed=fewshot.seed, metric=METRIC[name],
                                    wd=wd_grid(*linear.wd_grid), max_iter=linear.max_iter)
        rows.append({**base, "protocol": "many_shot", "dataset": name, "shots": None, "metric": res.metric,
                     "accuracy": res.accuracy, "std": None, "ci95": None, "n_episodes": None, "best_C": res.best_C,
                     "n_train": res.n_train + res.n_val, "n_test": res.n_test})
        log.info("%s many-shot %s: %.2f %% (C = %.3g)", name, res.metric, res.accuracy, res.best_C)
        if name in NO_FEWSHOT:
            continue
        for shots in fewshot.shots:
            episodes = sample_episodes(y_test, fewshot.episodes, fewshot.ways, shots, fewshot.queries, fewshot.seed)
            fs = fewshot_accuracy(x_test, episodes, epochs=fewshot.epochs, batch_size=fewshot.batch_size,
                                  lr=fewshot.lr, momentum=fewshot.momentum, weight_decay=fewshot.weight_decay,
                                  seed=fewshot.seed, device=device)
            rows.append({**base, "protocol": "few_shot", "dataset": name, "shots": shots, "metric": "top1",
                         "accuracy": fs.mean, "std": fs.std, "ci95": fs.ci95, "n_episodes": fewshot.episodes,
                         "best_C": None, "n_train": None, "n_test": len(y_test)})
            log.info("%s %d-shot: %.2f +- %.2f %%", name, shots, fs.mean, fs.ci95)
    df = pd.DataFrame(rows)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        df.to_csv(tmp, index=False, float_format="%.6g")
    return df
