"""Diff-AE Tables 5 and 6 (hyper-parameters of the decoder + encoder, and of the latent DDIM), from the paper
presets `presets/paper-diffae-<dataset>.yaml`, beside the paper's values, with a `matches_paper` column.

Each preset fills the column of its dataset; columns without a preset keep the paper's value and an empty
`preset` cell (matches_paper NA). Official-code settings the tables do not list (2 res blocks, dropout 0.1, EMA
0.9999) are in the presets' comments.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import pandas as pd
import yaml

from diffae.report.tables import write_table

# Table 5 columns and Table 6 columns, and the preset file of each (none yet where absent).
TABLE5_COLUMNS = ("CelebA 64", "FFHQ 64", "FFHQ 128", "Horse 128", "Bedroom 128", "FFHQ 256")
TABLE6_COLUMNS = {"CelebA 64": "CelebA", "FFHQ 128": "FFHQ", "Horse 128": "Horse", "Bedroom 128": "Bedroom"}
PRESET_COLUMN = {"paper-diffae-celeba64": "CelebA 64", "paper-diffae-ffhq64": "FFHQ 64",
                 "paper-diffae-ffhq128": "FFHQ 128", "paper-diffae-horse128": "Horse 128",
                 "paper-diffae-bedroom128": "Bedroom 128", "paper-diffae-ffhq256": "FFHQ 256"}

_DECODER = {"CelebA 64": (128, 64, [1, 2, 4, 8], 72e6, [1, 2, 4, 8, 8]),
            "FFHQ 64": (128, 64, [1, 2, 4, 8], 48e6, [1, 2, 4, 8, 8]),
            "FFHQ 128": (128, 128, [1, 1, 2, 3, 4], 130e6, [1, 1, 2, 3, 4, 4]),
            "Horse 128": (128, 128, [1, 1, 2, 3, 4], 130e6, [1, 1, 2, 3, 4, 4]),
            "Bedroom 128": (128, 128, [1, 1, 2, 3, 4], 120e6, [1, 1, 2, 3, 4, 4]),
            "FFHQ 256": (64, 128, [1, 1, 2, 2, 4, 4], 90e6, [1, 1, 2, 2, 4, 4, 4])}


def _table5(column: str) -> dict[str, Any]:
    batch, base, mult, images, enc_mult = _DECODER[column]
    return {"batch size": batch, "base channels": base, "channel multipliers": mult, "attention resolution": [16],
            "images trained": images, "encoder base channels": base, "encoder attention resolution": [16],
            "encoder channel multipliers": enc_mult, "z_sem size": 512, "beta scheduler": "linear",
            "learning rate": 1e-4, "optimizer": "adam, no weight decay", "training T": 1000}


_LATENT = {"CelebA": (512, 300e6, 10, "adamw, weight decay 0.01"), "FFHQ": (256, 100e6, 10, "adamw, weight decay 0.01"),
           "Horse": (2048, 2000e6, 20, "adam, no weight decay"), "Bedroom": (2048, 2000e6, 20, "adam, no weight decay")}


def _table6(column: str) -> dict[str, Any]:
    batch, z_seen, layers, optimizer = _LATENT[column]
    return {"batch size": batch, "z_sem trained": z_seen, "MLP layers": layers, "MLP hidden size": 2048,
            "z_sem size": 512, "beta scheduler": "const0.008", "learning rate": 1e-4, "optimizer": optimizer,
            "training T": 1000}


def _optimizer(section: dict) -> str:
    decay = section["weight_decay"]
    return f"{section['optimizer']}, " + (f"weight decay {decay:g}" if decay else "no weight decay")


def preset_table5(raw: dict) -> dict[str, Any]:
    """Table 5's settings as a paper preset sets them (the faces Diff-AE's training section)."""
    unet, enc, train = raw["model"]["unet"], raw["model"]["encoder"], raw["train"]["diffae_zoo"]
    return {"batch size": train["batch_size"], "base channels": unet["base_channels"],
            "channel multipliers": list(unet["channel_mult"]), "attention resolution": list(unet["attn_resolutions"]),
            "images trained": train["steps"] * train["batch_size"], "encoder base channels": enc["base_channels"],
            "encoder attention resolution": list(enc["attn_resolutions"]),
            "encoder channel multipliers": list(enc["channel_mult"]), "z_sem size": enc["z_dim"],
            "beta scheduler": raw["diffusion"]["beta_schedule"], "learning rate": train["lr"],
            "optimizer": _optimizer(train), "training T": raw["diffusion"]["T"]}


def preset_table6(raw: dict) -> dict[str, Any]:
    """Table 6's settings as a paper preset sets them (the latent DDIM)."""
    latent, train = raw["model"]["latent"], raw["train"]["latent_ddim"]
    return {"batch size": train["batch_size"], "z_sem trained": train["steps"] * train["batch_size"],
            "MLP layers": latent["num_layers"], "MLP hidden size": latent["hidden"],
            "z_sem size": raw["model"]["encoder"]["z_dim"], "beta scheduler": latent["beta_schedule"],
            "learning rate": train["lr"], "optimizer": _optimizer(train), "training T": raw["diffusion"]["T"]}


def _matches(paper: Any, ours: Any) -> bool:
    if isinstance(paper, float) and paper >= 1e6:  # "130M images": the preset's steps x batch, to within a batch
        return abs(float(ours) - paper) / paper < 1e-3
    return paper == ours


def _rows(columns: Iterable[str], paper_of, ours_by_column: dict[str, dict]) -> list[dict]:
    rows = []
    for column in columns:
        ours = ours_by_column.get(column)
        for setting, paper in paper_of(column).items():
            value = None if ours is None else ours[setting]
            rows.append({"dataset": column, "setting": setting, "paper": _cell(paper), "preset": _cell(value),
                         "matches_paper": pd.NA if value is None else _matches(paper, value)})
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and value >= 1e6:
        return f"{value / 1e6:g}M"
    return str(value)


def hparam_tables(presets: Iterable[str | Path], table5_csv: str | Path, table6_csv: str | Path
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write Tables 5 and 6 from the given paper-diffae presets (unknown names are an error)."""
    t5, t6 = {}, {}
    for path in presets:
        raw = yaml.safe_load(Path(path).read_text())
        column = PRESET_COLUMN.get(raw.get("preset"))
        if column is None:
            raise ValueError(f"{path}: preset {raw.get('preset')!r} is not a Diff-AE paper preset; expected one of "
                             f"{sorted(PRESET_COLUMN)}")
        t5[column] = preset_table5(raw)
        if column in TABLE6_COLUMNS:
            t6[TABLE6_COLUMNS[column]] = preset_table6(raw)
    return (write_table(_rows(TABLE5_COLUMNS, _table5, t5), table5_csv),
            write_table(_rows(TABLE6_COLUMNS.values(), _table6, t6), table6_csv))
