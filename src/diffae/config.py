"""Typed view of params.yaml, validated against workflow/schemas/params.schema.yaml.

Every knob of the pipeline lives in params.yaml (single source). This module validates a params
file against the JSON schema and builds frozen dataclasses per section, so a knob is walkable:
params.yaml -> rule params -> CLI -> function argument.
"""
from __future__ import annotations

import dataclasses
import os
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO_ROOT / "workflow" / "schemas" / "params.schema.yaml"


class ParamsError(ValueError):
    """A params file is missing, unparsable or violates the schema; the message names key, value and expectation."""


# ---------------------------------------------------------------- sections
@dataclass(frozen=True)
class IlabStandin:
    n_identities: int
    n_backgrounds: int
    n_poses: int
    image_size: int
    jitter: float
    seed: int


@dataclass(frozen=True)
class SplitConfig:
    test_fraction: float
    seed: int


@dataclass(frozen=True)
class GroupsConfig:
    s: int
    n_train: int
    n_test: int
    seed: int


@dataclass(frozen=True)
class IlabData:
    root: Optional[str]
    identity: str
    image_size: int
    standin: IlabStandin
    split: SplitConfig
    groups: GroupsConfig


@dataclass(frozen=True)
class CelebaStandin:
    n_images: int
    seed: int


@dataclass(frozen=True)
class CelebaData:
    root: Optional[str]
    image_size: int
    standin: CelebaStandin


@dataclass(frozen=True)
class DataConfig:
    ilab: IlabData
    celeba: CelebaData


@dataclass(frozen=True)
class MetricsConfig:
    weights_dir: Optional[str]
    allow_random_weights: bool


@dataclass(frozen=True)
class DiffusionConfig:
    T: int
    beta_schedule: str
    T_eval: int
    T_recon: tuple[int, ...]
    clip_x0: bool


@dataclass(frozen=True)
class UNetConfig:
    """Keyword arguments of diffae.nets.UNet (image_size and cond_dim come from data and encoder)."""
    base_channels: int
    channel_mult: tuple[int, ...]
    num_res_blocks: int
    attn_resolutions: tuple[int, ...]
    dropout: float
    num_heads: int
    embed_channels: int
    z_shift: bool


@dataclass(frozen=True)
class EncoderConfig:
    """`kind` picks diffae.nets.build_encoder's class; the rest are its keyword arguments."""
    kind: str
    base_channels: int
    channel_mult: tuple[int, ...]
    num_res_blocks: int
    attn_resolutions: tuple[int, ...]
    z_dim: int


@dataclass(frozen=True)
class LatentConfig:
    hidden: int
    num_layers: int
    beta_schedule: str


@dataclass(frozen=True)
class GAEConfig:
    dis_dim: int
    partition: tuple[int, ...]
    hidden: int
    n_mlp: int
    n_bottleneck: int
    norm: str


@dataclass(frozen=True)
class GZSNetConfig:
    base_channels: int
    fc_hidden: int


@dataclass(frozen=True)
class ModelConfig:
    unet: UNetConfig
    encoder: EncoderConfig
    latent: LatentConfig
    gae: GAEConfig
    gzsnet: GZSNetConfig


@dataclass(frozen=True)
class TrainConfig:
    """Knobs of diffae.train.loop.LoopConfig for one stage (the seed comes from the top level)."""
    steps: int
    batch_size: int
    lr: float
    optimizer: str
    weight_decay: float
    ema_decay: float
    ema_warmup: bool
    grad_clip: float
    ckpt_every: int
    log_every: int
    amp: bool
    channels_last: bool
    compile: bool
    warmup_steps: int


@dataclass(frozen=True)
class TrainStages:
    diffae: TrainConfig
    ddim: TrainConfig
    gae: TrainConfig
    finetune: TrainConfig
    gzsnet: TrainConfig
    aeds: TrainConfig
    latent_ddim: TrainConfig


@dataclass(frozen=True)
class GAELoss:
    lambda_ss: float
    lambda_ur: float


@dataclass(frozen=True)
class FinetuneLoss:
    gamma: float
    lambda_ss: float
    lambda_ur: float


@dataclass(frozen=True)
class GZSLoss:
    w_recon: float
    w_swap: float
    w_cycle: float


@dataclass(frozen=True)
class AEDSLoss:
    w_recon: float
    w_cls: float


@dataclass(frozen=True)
class LossConfig:
    gae: GAELoss
    finetune: FinetuneLoss
    gzsnet: GZSLoss
    aeds: AEDSLoss


@dataclass(frozen=True)
class ReconEval:
    n_images: int
    batch_size: int
    seed: int
    invert_n: int


@dataclass(frozen=True)
class GroupsEval:
    n_groups: int
    batch_size: int
    seed: int


@dataclass(frozen=True)
class ProbeEval:
    max_iter: int
    C: float


@dataclass(frozen=True)
class TSNEEval:
    perplexity: float
    max_points: int
    seed: int


@dataclass(frozen=True)
class PPLEval:
    n_pairs: int
    eps: float
    timesteps: tuple[int, ...]
    batch_size: int
    seed: int


@dataclass(frozen=True)
class FiguresEval:
    n_examples: int
    n_interp: int
    seed: int


@dataclass(frozen=True)
class EvalConfig:
    recon: ReconEval
    groups: GroupsEval
    probe: ProbeEval
    tsne: TSNEEval
    ppl: PPLEval
    figures: FiguresEval


@dataclass(frozen=True)
class Params:
    preset: str
    seed: int
    device: str
    data: DataConfig
    metrics: MetricsConfig
    diffusion: DiffusionConfig
    model: ModelConfig
    train: TrainStages
    losses: LossConfig
    eval: EvalConfig
    source: str = field(default="<dict>", compare=False)

    @property
    def is_paper(self) -> bool:
        return self.preset.startswith("paper-")

    def require_root(self, key: str) -> str:
        """Return data.<key>.root; paper presets fail at once when it is null (no stand-ins there)."""
        section = getattr(self.data, key)
        if section.root is None:
            raise ParamsError(
                f"{self.source}: data.{key}.root is null, but preset {self.preset!r} needs the real dataset; "
                f"set data.{key}.root to the folder holding it (see README, 'Datasets')"
            )
        return section.root

    def torch_device(self) -> str:
        """`device: auto` -> cuda when available, else cpu."""
        if self.device != "auto":
            return self.device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"


# ---------------------------------------------------------------- loading
def load_schema() -> dict:
    if not SCHEMA_PATH.is_file():
        raise ParamsError(f"schema not found at {SCHEMA_PATH}; is the package installed from a checkout (pip install -e .)?")
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _format_error(err, source: str) -> str:
    path = ".".join(str(p) for p in err.absolute_path) or "<top level>"
    value = err.instance
    shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    if err.validator == "additionalProperties":
        return f"{source}: at {path}: {err.message} (unknown key; check spelling against the schema)"
    if err.validator == "required":
        return f"{source}: at {path}: {err.message}"
    expected = err.schema.get("description") or f"{err.validator} {err.validator_value!r}"
    return f"{source}: key {path} has bad value {shown}: {err.message} (expected {expected})"


def validate(raw: dict, source: str = "<dict>") -> None:
    """Validate a raw params dict; raise ParamsError listing every violation with key path, value, expectation."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ParamsError("invalid params:\n  " + "\n  ".join(_format_error(e, source) for e in errors))


def _build(cls, value: Any):
    """Recursively build a (frozen) dataclass from a validated dict."""
    if dataclasses.is_dataclass(cls) and isinstance(value, dict):
        hints = typing.get_type_hints(cls)
        kwargs = {f.name: _build(hints[f.name], value[f.name]) for f in dataclasses.fields(cls) if f.name in value}
        return cls(**kwargs)
    origin = typing.get_origin(cls)
    if origin is tuple or (origin is None and cls is tuple):
        return tuple(value)
    if isinstance(value, list):
        return tuple(value)
    return value


def _check_consistency(raw: dict, source: str) -> None:
    """Cross-key rules JSON Schema cannot express."""
    gae = raw["model"]["gae"]
    if sum(gae["partition"]) != gae["dis_dim"]:
        raise ParamsError(f"{source}: model.gae.partition {gae['partition']} sums to {sum(gae['partition'])}, "
                          f"expected model.gae.dis_dim = {gae['dis_dim']}")
    n_eval, n_test = raw["eval"]["groups"]["n_groups"], raw["data"]["ilab"]["groups"]["n_test"]
    if n_eval > n_test:
        raise ParamsError(f"{source}: eval.groups.n_groups = {n_eval} exceeds data.ilab.groups.n_test = {n_test} "
                          "(evaluation groups are drawn from the test GROUP table)")


def from_dict(raw: dict, source: str = "<dict>") -> Params:
    if not isinstance(raw, dict):
        raise ParamsError(f"{source}: top level must be a mapping, got {type(raw).__name__}")
    validate(raw, source)
    _check_consistency(raw, source)
    params = _build(Params, raw)
    return dataclasses.replace(params, source=source)


def load_params(path: str | os.PathLike = "params.yaml") -> Params:
    """Load and validate a params file (params.yaml or a preset)."""
    path = Path(path)
    if not path.is_file():
        raise ParamsError(f"params file {path} not found")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ParamsError(f"{path}: not valid YAML: {err}") from err
    return from_dict(raw, source=str(path))

