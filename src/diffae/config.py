"""Typed params: the one source of every knob's type, range, default and meaning.

Every knob of the pipeline lives in params.yaml; its sections are the frozen pydantic dataclasses
below, so a knob is walkable: params.yaml -> rule params -> CLI -> function argument. The JSON
Schema that Snakemake validates (workflow/schemas/params.schema.yaml) is generated from them:

    python -m diffae.config --schema > workflow/schemas/params.schema.yaml

Scalars are strict (no "5" for an integer, no `yes` for a boolean). A float field also accepts a
number written as text, since YAML 1.1 (PyYAML, Snakemake) reads ``1e-4`` as the string "1e-4".
"""
from __future__ import annotations

import argparse
import functools
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import yaml
from pydantic import AllowInfNan, BeforeValidator, ConfigDict, Field, Strict, TypeAdapter, ValidationError
from pydantic import model_validator
from pydantic.dataclasses import dataclass
from pydantic.json_schema import GenerateJsonSchema

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO_ROOT / "workflow" / "schemas" / "params.schema.yaml"
SCHEMA_COMMAND = "python -m diffae.config --schema > workflow/schemas/params.schema.yaml"


class ParamsError(ValueError):
    """A params file is missing, unparsable or invalid; the message names key, value and expectation."""


# ---------------------------------------------------------------- field types
NUMBER_TEXT = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def _number_from_text(value: Any) -> Any:
    """'1e-4' -> 1e-4 (YAML 1.1 reads exponents without a dot as text); anything else unchanged."""
    if isinstance(value, str) and re.fullmatch(NUMBER_TEXT, value.strip()):
        return float(value)
    return value


Int = Annotated[int, Strict()]
PosInt = Annotated[int, Strict(), Field(ge=1)]
Bool = Annotated[bool, Strict()]
Float = Annotated[float, BeforeValidator(_number_from_text), Strict(), AllowInfNan(False)]
Schedule = Literal["linear", "cosine", "const0.008"]

_SECTION = ConfigDict(extra="forbid")


def _seed(what: str) -> Any:
    return Field(ge=0, description=f"seed of {what}")


def _ints(description: str, *, min_length: int = 1) -> Any:
    return Field(min_length=min_length, description=description)


# ---------------------------------------------------------------- data sections
@dataclass(frozen=True, config=_SECTION)
class IlabStandin:
    """Toy vehicles in iLab-20M file naming, generated offline when data.ilab.root is null."""

    n_identities: Int = Field(ge=2, le=12, description="number of vehicle categories")
    n_backgrounds: Int = Field(ge=2, le=200, description="number of backgrounds")
    n_poses: Int = Field(ge=2, le=64, description="number of camera poses")
    image_size: Int = Field(ge=8, le=1024, description="side of the generated square images in pixels")
    jitter: Float = Field(ge=0, le=0.3, description="relative position/scale jitter, so x_T has something to carry")
    seed: Int = _seed("the stand-in generator")


@dataclass(frozen=True, config=_SECTION)
class SplitConfig:
    """Train/test split of the prepared images (DiffuseGAE Sec. 4.1: 80:20)."""

    test_fraction: Float = Field(gt=0, lt=1, description="share of the images held out for testing")
    seed: Int = _seed("the split")


@dataclass(frozen=True, config=_SECTION)
class GroupsConfig:
    """GROUP(C, s) tables of DiffuseGAE Def. 1."""

    s: Int = Field(ge=1, description="s of GROUP(C, s): attributes each partner shares with the centre")
    n_train: Int = Field(ge=1, description="GROUPs drawn from the train split")
    n_test: Int = Field(ge=1, description="GROUPs drawn from the test split")
    seed: Int = _seed("the GROUP draws")


@dataclass(frozen=True, config=_SECTION)
class IlabData:
    """iLab-20M (DiffuseGAE Sec. 4.1), real or stand-in."""

    root: Optional[str] = Field(description="folder of real iLab-20M jpgs (searched recursively); null = stand-in")
    identity: Literal["category", "instance"] = Field(description="file-name field used as the identity attribute")
    image_size: Int = Field(ge=8, le=1024, description="prepared resolution (square resize)")
    standin: IlabStandin = Field(description="the stand-in used when root is null")
    split: SplitConfig = Field(description="train/test split")
    groups: GroupsConfig = Field(description="GROUP tables")


@dataclass(frozen=True, config=_SECTION)
class CelebaStandin:
    """Cartoon faces in CelebA's on-disk format, generated offline when data.celeba.root is null."""

    n_images: Int = Field(ge=8, description="number of generated faces")
    seed: Int = _seed("the stand-in generator")


@dataclass(frozen=True, config=_SECTION)
class CelebaData:
    """CelebA (Diff-AE Sec. 5), real or stand-in."""

    root: Optional[str] = Field(description="folder holding img_align_celeba/ and the list_*.txt files; "
                                            "null = stand-in")
    image_size: Int = Field(ge=8, le=1024, description="prepared resolution (square resize)")
    standin: CelebaStandin = Field(description="the stand-in used when root is null")


@dataclass(frozen=True, config=_SECTION)
class ImageStandin:
    """A procedural stand-in written in the dataset's on-disk format, generated offline when its root is null."""

    n_images: Int = Field(ge=8, description="number of generated images")
    image_size: Int = Field(ge=8, le=1024, description="height of the written images in pixels")
    seed: Int = _seed("the stand-in generator")


@dataclass(frozen=True, config=_SECTION)
class ImageData:
    """An image dataset read by one loader (FFHQ, CelebA-HQ, LSUN), real or stand-in."""

    root: Optional[str] = Field(description="the real dataset in its released layout (README, 'Datasets'); "
                                            "null = stand-in")
    image_size: Int = Field(ge=8, le=1024, description="prepared resolution (centre crop, square resize)")
    limit: Optional[PosInt] = Field(description="read at most this many images (in the loader's order); null = all")
    standin: ImageStandin = Field(description="the stand-in used when root is null")


@dataclass(frozen=True, config=_SECTION)
class CifarStandin:
    """Procedural 32 px classes written as the CIFAR python-pickle release (diffae.data.standin_cifar)."""

    n_train_per_class: Int = Field(ge=1, description="training images per class")
    n_test_per_class: Int = Field(ge=1, description="test images per class")
    seed: Int = _seed("the stand-in generator")


@dataclass(frozen=True, config=_SECTION)
class CifarData:
    """CIFAR-10, DiffSiam's training set and the first column of its Tables 4.1-4.2."""

    root: Optional[str] = Field(description="folder holding cifar-10-batches-py/ (the python-version release); "
                                            "null = stand-in")
    standin: CifarStandin = Field(description="the stand-in used when root is null")


TRANSFER_DATASETS = ("aircraft", "caltech101", "cars", "cifar100", "dtd", "flowers", "food", "pets", "sun397")


@dataclass(frozen=True, config=_SECTION)
class TransferStandin:
    """Procedural stand-ins of the transfer sets, each in its torchvision layout (diffae.data.standin_transfer)."""

    n_classes: Int = Field(ge=5, description="classes per set (5-way episodes need at least 5)")
    n_train_per_class: Int = Field(ge=2, description="training (and validation, where the set has one) images per "
                                                     "class")
    n_test_per_class: Int = Field(ge=2, description="test images per class (10-shot episodes with 15 queries need "
                                                    "25)")
    seed: Int = _seed("the stand-in generator")


@dataclass(frozen=True, config=_SECTION)
class TransferData:
    """The transfer sets of DiffSiam Tables 4.1-4.2, read in their torchvision layouts from one root."""

    root: Optional[str] = Field(description="folder holding each set's released folder (README, 'Datasets'); "
                                            "null = stand-ins")
    datasets: tuple[Literal[TRANSFER_DATASETS], ...] = Field(min_length=1, description="sets evaluated besides "
                                                                                       "CIFAR-10 (thesis: all nine)")
    image_size: Int = Field(ge=8, le=1024, description="resize (shorter side) and centre crop to this size "
                                                       "([UNSPECIFIED]; the encoder's training size)")
    standin: TransferStandin = Field(description="the stand-ins used when root is null")


@dataclass(frozen=True, config=_SECTION)
class DataConfig:
    """Datasets."""

    ilab: IlabData = Field(description="iLab-20M")
    celeba: CelebaData = Field(description="CelebA")
    ffhq: ImageData = Field(description="FFHQ, PNG folders: Diff-AE's training faces")
    celebahq: ImageData = Field(description="CelebA-HQ (CelebAMask-HQ release): Diff-AE's test faces and attributes")
    lsun_horse: ImageData = Field(description="LSUN Horse, LMDB (Diff-AE Table 4)")
    lsun_bedroom: ImageData = Field(description="LSUN Bedroom, LMDB (Diff-AE Table 4; DiffSiam)")
    cifar10: CifarData = Field(description="CIFAR-10 (DiffSiam training set)")
    transfer: TransferData = Field(description="DiffSiam's transfer sets (Tables 4.1-4.2)")

    @model_validator(mode="after")
    def _test_faces_are_not_training_faces(self) -> "DataConfig":
        if self.ffhq.standin.seed == self.celebahq.standin.seed:
            raise ValueError(f"data.ffhq.standin.seed and data.celebahq.standin.seed are both "
                             f"{self.ffhq.standin.seed}: the CelebA-HQ stand-in (test faces) must use another seed "
                             "than the FFHQ stand-in (training faces)")
        return self


@dataclass(frozen=True, config=_SECTION)
class MetricsConfig:
    """Weights of the metric networks (FID Inception, LPIPS AlexNet/VGG)."""

    weights_dir: Optional[str] = Field(description="folder with the metric networks' weight files; null = torch hub")
    allow_random_weights: Bool = Field(description="seeded random metric nets when weights are absent "
                                                   "(flagged in reports; never for paper presets)")


# ---------------------------------------------------------------- model sections
@dataclass(frozen=True, config=_SECTION)
class DiffusionConfig:
    """Gaussian diffusion (Diff-AE Table 5 / DiffuseGAE Sec. 4)."""

    T: Int = Field(ge=1, description="training diffusion length")
    beta_schedule: Schedule = Field(description="beta schedule of the image diffusion")
    T_eval: Int = Field(ge=1, description="DDIM sampling steps (n_steps, not the training T) of DiffuseGAE Table 2, Figs 6-9")
    T_recon: tuple[PosInt, ...] = _ints("DDIM sampling step counts of the Diff-AE Table 2 columns")
    clip_x0: Bool = Field(description="clamp predicted x0 to [-1, 1] when sampling and inverting images")


@dataclass(frozen=True, config=_SECTION)
class UNetConfig:
    """Keyword arguments of diffae.nets.UNet (image_size and cond_dim come from data and encoder)."""

    base_channels: Int = Field(ge=1, description="channels of the first level")
    channel_mult: tuple[PosInt, ...] = _ints("channel multiplier per resolution level")
    num_res_blocks: Int = Field(ge=1, description="residual blocks per level")
    attn_resolutions: tuple[PosInt, ...] = _ints("resolutions with self-attention", min_length=0)
    dropout: Float = Field(ge=0, le=1, description="dropout in residual blocks")
    num_heads: Int = Field(ge=1, description="attention heads")
    embed_channels: Int = Field(ge=1, description="width of the time/condition embedding")
    z_shift: Bool = Field(description="AdaGN z shift z_b (DiffuseGAE Eq. 8); Diff-AE has only the z scale")


@dataclass(frozen=True, config=_SECTION)
class EncoderConfig:
    """`kind` picks diffae.nets.build_encoder's class; the rest are its keyword arguments."""

    kind: Literal["halfunet", "alter_resnet"] = Field(description="halfunet (Diff-AE) or alter_resnet "
                                                                 "(DiffuseGAE Fig. 3)")
    base_channels: Int = Field(ge=1, description="channels of the first level")
    channel_mult: tuple[PosInt, ...] = _ints("channel multiplier per resolution level")
    num_res_blocks: Int = Field(ge=1, description="residual blocks per level")
    attn_resolutions: tuple[PosInt, ...] = _ints("resolutions with self-attention", min_length=0)
    z_dim: Int = Field(ge=1, description="width of the semantic code z_sem")


@dataclass(frozen=True, config=_SECTION)
class LatentConfig:
    """Latent DDIM MLP with skips (Diff-AE Sec. 4, Table 6)."""

    hidden: Int = Field(ge=1, description="MLP width")
    num_layers: Int = Field(ge=2, description="MLP layers")
    beta_schedule: Schedule = Field(description="beta schedule of the latent diffusion")


@dataclass(frozen=True, config=_SECTION)
class GAEConfig:
    """Group-supervised AutoEncoder on z_sem (DiffuseGAE Sec. 3.4, Fig. 1b)."""

    dis_dim: Int = Field(ge=1, description="z_dis width (DiffuseGAE Sec. 4: 100)")
    partition: tuple[PosInt, ...] = _ints("z_dis part sizes in the order of the dataset's attributes; "
                                          "must sum to dis_dim")
    hidden: Int = Field(ge=1, description="MLP width")
    n_mlp: Int = Field(ge=1, description="MLP layers")
    n_bottleneck: Int = Field(ge=0, description="bottleneck layers")
    norm: Literal["layer", "group"] = Field(description="normalisation of the MLP layers")

    @model_validator(mode="after")
    def _partition_fills_dis_dim(self) -> "GAEConfig":
        if sum(self.partition) != self.dis_dim:
            raise ValueError(f"partition {list(self.partition)} sums to {sum(self.partition)}, "
                             f"expected dis_dim = {self.dis_dim}")
        return self


@dataclass(frozen=True, config=_SECTION)
class GZSNetConfig:
    """GZS-Net pixel autoencoder (also AE + DS); its latent is model.gae.dis_dim with the same partition."""

    base_channels: Int = Field(ge=1, description="channels of the first level")
    fc_hidden: Int = Field(ge=1, description="width of the fully connected layer")


@dataclass(frozen=True, config=_SECTION)
class DiffSiamNets:
    """DiffSiam's networks (thesis §4.2.2; spec §2.3); the shift decoder copies the frozen DM's architecture."""

    encoder_width: Int = Field(ge=1, description="ResNet-10 stage-1 width; the code is 8x this wide (thesis: 64 -> "
                                                 "512)")
    z_dim: Optional[PosInt] = Field(description="code width; null = 8 x encoder_width (a linear head otherwise)")
    n_segments: Int = Field(ge=1, description="equal segments of the code (thesis: 64)")
    pred_hidden: Int = Field(ge=1, description="SimSiam predictor hidden width ([UNSPECIFIED]; DiTi: 128)")
    projector: Bool = Field(description="SimSiam projector before the predictor (ambiguity A5; the thesis names "
                                        "none: false)")


@dataclass(frozen=True, config=_SECTION)
class ModelConfig:
    """Network architectures."""

    unet: UNetConfig = Field(description="conditional DDIM decoder; the DDIM baseline is the same UNet without z")
    encoder: EncoderConfig = Field(description="semantic encoder")
    latent: LatentConfig = Field(description="latent DDIM")
    gae: GAEConfig = Field(description="GAE")
    gzsnet: GZSNetConfig = Field(description="GZS-Net and AE + DS")
    diffsiam: DiffSiamNets = Field(description="DiffSiam's encoder, partition and SimSiam head")


# ---------------------------------------------------------------- training sections
@dataclass(frozen=True, config=_SECTION)
class TrainConfig:
    """Knobs of the generic training loop diffae.train.loop.train for one stage (the seed is top level)."""

    steps: Int = Field(ge=1, description="total optimizer updates")
    batch_size: Int = Field(ge=1, description="global batch size (split over ranks under torchrun)")
    lr: Float = Field(gt=0, description="peak learning rate")
    optimizer: Literal["adam", "adamw", "sgd"] = Field(description="Adam (Diff-AE Table 5), AdamW (Table 6) or SGD "
                                                                  "with momentum (DiffSiam on CIFAR, decision A7)")
    weight_decay: Float = Field(ge=0, description="decoupled for AdamW, L2 for Adam")
    ema_decay: Float = Field(ge=0, lt=1, description="EMA decay; 0 disables the EMA (final.pt then holds the "
                                                     "raw weights)")
    ema_warmup: Bool = Field(description="ramp the EMA decay as min(decay, (1+s)/(10+s)); needed for short runs, "
                                         "where a constant decay keeps much of the initialisation")
    grad_clip: Float = Field(ge=0, description="max global gradient norm over all trainable parameters; 0 disables")
    ckpt_every: Int = Field(ge=1, description="write checkpoints/last.pt every this many updates (and at the end)")
    log_every: Int = Field(ge=1, description="log metrics every this many updates (and at the end)")
    amp: Bool = Field(description="bf16 autocast around the loss on CUDA (ignored on CPU)")
    channels_last: Bool = Field(description="channels_last memory format for modules and 4-D batch tensors")
    compile: Bool = Field(description="torch.compile every module in place")
    compile_mode: Literal["default", "reduce-overhead"] = Field(
        "default", description="torch.compile mode when compile is on: default, or reduce-overhead, which replays "
                               "each compiled graph (forward, backward) as one CUDA graph, for small stages whose "
                               "steps are bound by kernel launches (CUDA only; default elsewhere). Not with "
                               "micro_batch or activation_checkpointing")
    activation_checkpointing: Bool = Field(
        False, description="recompute the UNet's and encoders' block activations in the backward pass instead of "
                           "keeping them (same gradients, a fraction of the memory, about a third more compute): "
                           "for a batch that is not a per-sample mean and does not fit, e.g. fine-tuning")
    warmup_steps: Int = Field(ge=0, description="linear lr warmup from lr/warmup_steps to lr; 0 disables")
    lr_schedule: Literal["constant", "cosine"] = Field("constant", description="after the warmup: constant lr, or "
                                                       "cosine decay to 0 at the last step (SimSiam)")
    momentum: Float = Field(0.9, ge=0, lt=1, description="SGD momentum (optimizer: sgd only)")
    micro_batch: Optional[PosInt] = Field(
        None, description="per-rank micro-batch: each rank's share of batch_size runs in chunks of this many samples "
                          "whose gradients add up (gradient accumulation), so a paper batch fits one GPU and N GPUs "
                          "keep the same effective batch; null = the whole share at once. Recipes whose loss is a "
                          "per-sample mean only (Diff-AE, DDIM, latent DDIM)")

    @model_validator(mode="after")
    def _cuda_graphs_replay_whole_steps(self) -> "TrainConfig":
        # a CUDA graph's outputs are overwritten by its next replay: the gradients of one micro-batch would be by the
        # next one's, and a checkpointed block replays its forward inside the backward
        if self.compile_mode == "reduce-overhead" and (self.micro_batch or self.activation_checkpointing):
            raise ValueError("compile_mode: reduce-overhead replays CUDA graphs and needs one forward and backward "
                             "per update: set micro_batch to null and activation_checkpointing to false, or use "
                             "compile_mode: default")
        return self


@dataclass(frozen=True, config=_SECTION)
class TrainStages:
    """One training section per stage."""

    diffae: TrainConfig = Field(description="Diff-AE: semantic encoder + conditional DDIM (Diff-AE Eq. 6)")
    ddim: TrainConfig = Field(description="DDIM baseline")
    diffae_zoo: TrainConfig = Field(description="Diff-AE on each dataset of diffae_zoo.datasets (FFHQ: Diff-AE "
                                                "Tables 1, 2, 4; CelebA-64, LSUN Horse/Bedroom: Table 4)")
    ddim_zoo: TrainConfig = Field(description="DDIM baseline on each dataset of diffae_zoo.datasets")
    gae: TrainConfig = Field(description="GAE on GROUP latents (DiffuseGAE Eq. 11)")
    finetune: TrainConfig = Field(description="joint fine-tuning (DiffuseGAE Eq. 12)")
    gzsnet: TrainConfig = Field(description="GZS-Net baseline")
    aeds: TrainConfig = Field(description="AE + DS baseline")
    latent_ddim: TrainConfig = Field(description="latent DDIM (Diff-AE Eq. 9; Table 6): on the iLab Diff-AE's z_sem "
                                                 "and on each zoo dataset's")
    diffsiam_dm: TrainConfig = Field(description="DiffSiam's frozen DM: the DDIM baseline trained on CIFAR-10 "
                                                 "(decision A8; thesis: Ho et al.'s DDPM)")
    diffsiam: TrainConfig = Field(description="every DiffSiam run and its SimSiam/PDAE baselines (thesis CIFAR-10: "
                                              "400k steps, batch 128, lr 0.05; SGD + cosine by decision A7)")
    diffsiam_gen: TrainConfig = Field(description="the generative DiffSiam/PDAE runs over a zoo dataset's DDIM (thesis: "
                                                  "Adam 1e-4, batch 128; CelebA 290k, FFHQ 500k, Bedroom 540k steps)")


@dataclass(frozen=True, config=_SECTION)
class GAELoss:
    """Weights of DiffuseGAE Eq. (11)."""

    lambda_ss: Float = Field(ge=0, description="weight of the swap-and-share term")
    lambda_ur: Float = Field(ge=0, description="weight of the unit-reconstruction term")


@dataclass(frozen=True, config=_SECTION)
class FinetuneLoss:
    """Weights of DiffuseGAE Eq. (12)."""

    gamma: Float = Field(ge=0, description="weight of the diffusion term")
    lambda_ss: Float = Field(ge=0, description="weight of the swap-and-share term")
    lambda_ur: Float = Field(ge=0, description="weight of the unit-reconstruction term")


@dataclass(frozen=True, config=_SECTION)
class GZSLoss:
    """Weights of the GZS-Net losses."""

    w_recon: Float = Field(ge=0, description="reconstruction")
    w_swap: Float = Field(ge=0, description="attribute swap")
    w_cycle: Float = Field(ge=0, description="cycle swap")


@dataclass(frozen=True, config=_SECTION)
class AEDSLoss:
    """Weights of the AE + DS losses."""

    w_recon: Float = Field(ge=0, description="reconstruction")
    w_cls: Float = Field(ge=0, description="per-part attribute cross-entropy")


@dataclass(frozen=True, config=_SECTION)
class LossConfig:
    """Loss weights per stage."""

    gae: GAELoss = Field(description="GAE")
    finetune: FinetuneLoss = Field(description="joint fine-tuning")
    gzsnet: GZSLoss = Field(description="GZS-Net")
    aeds: AEDSLoss = Field(description="AE + DS")


# ---------------------------------------------------------------- evaluation sections
@dataclass(frozen=True, config=_SECTION)
class ReconEval:
    """Diff-AE Table 2 on held-out test images."""

    n_images: Int = Field(ge=1, description="test images reconstructed")
    batch_size: Int = Field(ge=1, description="images per batch")
    seed: Int = _seed("the image choice and x_T noise")


@dataclass(frozen=True, config=_SECTION)
class GroupsEval:
    """DiffuseGAE Table 2 on evaluation GROUPs (T = diffusion.T_eval)."""

    n_groups: Int = Field(ge=1, description="evaluation GROUPs; <= data.ilab.groups.n_test")
    batch_size: Int = Field(ge=1, description="GROUPs per batch")
    seed: Int = _seed("the GROUP choice and x_T noise")


@dataclass(frozen=True, config=_SECTION)
class ProbeEval:
    """DiffuseGAE Table 1: linear classifiers on latent codes, 80:20 split."""

    max_iter: Int = Field(ge=1, description="solver iterations")
    C: Float = Field(gt=0, description="inverse L2 regularisation strength")


@dataclass(frozen=True, config=_SECTION)
class TSNEEval:
    """DiffuseGAE Figs 2 and 5 (openTSNE)."""

    perplexity: Float = Field(gt=0, description="t-SNE perplexity")
    max_points: Int = Field(ge=1, description="points embedded at most (a seeded subset beyond)")
    seed: Int = _seed("t-SNE and the subset")


@dataclass(frozen=True, config=_SECTION)
class PPLEval:
    """Perceptual path length, DiffuseGAE Eq. (13) / Fig. 10."""

    n_pairs: Int = Field(ge=2, description="latent pairs")
    eps: Float = Field(gt=0, description="interpolation step")
    timesteps: tuple[PosInt, ...] = _ints("DDIM steps of the curve")
    batch_size: Int = Field(ge=1, description="pairs per batch")
    seed: Int = _seed("the pairs")


@dataclass(frozen=True, config=_SECTION)
class FiguresEval:
    """Editing grids (DiffuseGAE Figs 6-9)."""

    n_examples: Int = Field(ge=1, description="rows per figure")
    n_interp: Int = Field(ge=3, description="columns of an interpolation")
    seed: Int = _seed("the example choice")


@dataclass(frozen=True, config=_SECTION)
class UncondEval:
    """Diff-AE Table 4 (§5.7): FID of unconditional samples, same T for the latent DDIM and the decoder;
    Figs 20-22 (samples) and Fig. 9 (their nearest training images)."""

    n_samples: Int = Field(ge=2, description="generated images per row and T, and real reference images "
                                             "(paper: 50,000 each)")
    timesteps: tuple[PosInt, ...] = _ints("DDIM steps T of the columns (paper: 10, 20, 50, 100)")
    autoenc_source: Literal["held_out", "reference"] = Field(
        description="images whose z_sem the '+ autoencoding' row decodes: held_out = images of the dataset "
                    "disjoint from the FID reference (paper: 'the test set'); reference = the reference images "
                    "themselves (official code)")
    n_neighbours: Int = Field(ge=1, description="nearest training images shown per sample in Fig. 9")
    n_shown: Int = Field(ge=1, description="samples shown in Figs 9 and 20-22")
    batch_size: Int = Field(ge=1, description="images per batch")
    seed: Int = _seed("the reference choice, z_T and x_T noise")


@dataclass(frozen=True, config=_SECTION)
class DiffAEPPLEval:
    """Diff-AE App. F (Eq. 10): PPL of interpolations between real FFHQ images, DDIM vs Diff-AE."""

    n_pairs: Int = Field(ge=2, description="image pairs (paper: 200)")
    T: PosInt = Field(description="DDIM steps of inversion and decoding ([UNSPECIFIED] by the paper; ours)")
    eps: Float = Field(gt=0, description="interpolation step (paper: 1e-4)")
    batch_size: Int = Field(ge=1, description="pairs per batch")
    seed: Int = _seed("the pairs and alpha")


@dataclass(frozen=True, config=_SECTION)
class DiffAEFiguresEval:
    """Diff-AE Figs 3, 4, 6, 10, 14-16 (real images through the zoo models)."""

    n_examples: Int = Field(ge=1, description="rows (input images or pairs) per figure")
    n_variations: Int = Field(ge=2, description="decodings with x_T ~ N(0, I) per row of Figs 3 and 10")
    n_interp: Int = Field(ge=3, description="columns of an interpolation (Figs 4, 14-16)")
    T: PosInt = Field(description="DDIM steps of inversion and decoding (official notebooks: 20 for "
                                  "interpolation; [UNSPECIFIED] by the paper)")
    T_trajectory: PosInt = Field(description="DDIM steps of Fig. 6's trajectory (paper: 10)")
    seed: Int = _seed("the image choice and x_T noise")


@dataclass(frozen=True, config=_SECTION)
class ClassifierConfig:
    """A linear classifier on z-normalised z_sem (Diff-AE App. A.2, E; diffae.eval.attributes)."""

    recipe: Literal["minibatch", "full_batch"] = Field(
        description="minibatch = the official recipe (batches of images with a random flip, samples_seen in all); "
                    "full_batch = Adam on all images and their mirrors at once for full_batch_steps (small data)")
    lr: Float = Field(gt=0, description="Adam learning rate (paper: 1e-3)")
    batch_size: Int = Field(ge=1, description="images per batch (official: 32; PU: this many of each class)")
    samples_seen: Int = Field(ge=1, description="images drawn in all by the minibatch recipe (official: 300,000)")
    full_batch_steps: Int = Field(ge=1, description="Adam steps of the full_batch recipe")
    ema_decay: Float = Field(ge=0, lt=1, description="EMA of the weights (0 = none, the paper; official code: 0.9999)")
    seed: Int = _seed("the initialisation and the batches")


@dataclass(frozen=True, config=_SECTION)
class AttributesEval:
    """Diff-AE Table 8 (App. E): 40 linear classifiers on the FFHQ Diff-AE's z_sem of CelebA-HQ."""

    test_fraction: Float = Field(gt=0, lt=1, description="CelebA-HQ test split (paper: 0.3)")
    split_seed: Int = _seed("the train/test split ([UNSPECIFIED] by the paper)")
    classifier: ClassifierConfig = Field(description="how the classifiers are fitted")


@dataclass(frozen=True, config=_SECTION)
class ManipulationEval:
    """Diff-AE Tables 9-10 and Figs 5, 13, 17: manipulation of CelebA-HQ test images (Eq. 11)."""

    attributes: tuple[str, ...] = Field(min_length=1, description="Table 9 attributes (paper: Male, Smiling, "
                                                                  "Wavy_Hair, Young, Blond_Hair)")
    identity_attributes: tuple[str, ...] = Field(description="Table 10 attributes (paper: Male, Smiling, "
                                                             "Wavy_Hair, Young)")
    n_images: Int = Field(ge=2, description="test negatives manipulated per attribute, at most ([UNSPECIFIED])")
    T_invert: PosInt = Field(description="DDIM steps of the x_T inversion (Eq. 8; [UNSPECIFIED], ours: 100)")
    T: PosInt = Field(description="DDIM steps of decoding ([UNSPECIFIED], ours: 100)")
    strengths: tuple[Float, ...] = Field(min_length=1, description="figure strengths s of z + s·sqrt(D)·w/|w| "
                                                                   "(official demo: 0.3)")
    n_examples: Int = Field(ge=1, description="example images per attribute and source in the figures")
    batch_size: Int = Field(ge=1, description="images per batch")
    seed: Int = _seed("the choice of negatives")


@dataclass(frozen=True, config=_SECTION)
class FewShotEval:
    """Diff-AE Table 3 (§5.6) and Figs 18-19: few-shot class-conditional generation on CelebA-64."""

    classes: tuple[Literal["Male", "Female", "Blond", "Non-Blond"], ...] = Field(
        min_length=1, description="target classes (paper: Male, Female, Blond, Non-Blond)")
    n_labelled: Int = Field(ge=1, description="binary scenario: positives and negatives each (paper: 50)")
    n_positive_pu: Int = Field(ge=1, description="PU scenario: labelled positives (paper: 100)")
    n_unlabelled: Int = Field(ge=1, description="PU scenario: unlabelled images taken as negatives (paper: 10,000)")
    n_repeats: Int = Field(ge=1, description="repeats, each redrawing subset, classifier and samples (paper: 3)")
    n_samples: Int = Field(ge=2, description="accepted samples per cell (paper: 5,000)")
    n_naive: Int = Field(ge=2, description="random images of the whole set for the naive row ([UNSPECIFIED], "
                                           "ours: 5,000)")
    n_reference: Optional[Int] = Field(ge=2, description="class images FID compares against, at most (null = all, "
                                                         "the paper)")
    T: PosInt = Field(description="DDIM steps of the latent DDIM and the decoder (paper: 100)")
    n_shown: Int = Field(ge=1, description="samples per class in Figs 18-19")
    classifier: ClassifierConfig = Field(description="how the few-shot classifiers are fitted ([UNSPECIFIED]; "
                                                     "default the official recipe)")
    batch_size: Int = Field(ge=1, description="images per batch")
    seed: Int = _seed("subsets, classifiers, z_T and x_T")


@dataclass(frozen=True, config=_SECTION)
class TransferLinearEval:
    """DiffSiam Table 4.1: L-BFGS logistic regression on frozen features, C chosen on a validation split ([89])."""

    wd_grid: tuple[Float, Float, PosInt] = Field(description="weight decays logspace(start, stop, num); C = 1/wd "
                                                             "(paper protocol: -6, 5, 45)")
    val_fraction: Float = Field(gt=0, lt=1, description="share of train held out for choosing C where a set has no "
                                                        "validation split")
    max_iter: Int = Field(ge=1, description="L-BFGS iterations per fit")


@dataclass(frozen=True, config=_SECTION)
class TransferFewShotEval:
    """DiffSiam Table 4.2: a linear head per 5-way episode on frozen features, vectorised across episodes."""

    ways: Int = Field(ge=2, description="classes per episode (thesis: 5)")
    shots: tuple[PosInt, ...] = _ints("support images per class (thesis: 1, 5, 10)")
    queries: Int = Field(ge=1, description="query images per class (thesis: 15)")
    episodes: Int = Field(ge=2, description="episodes per set and shot (thesis: 2,000)")
    epochs: Int = Field(ge=1, description="SGD epochs per head (thesis: 100)")
    batch_size: Int = Field(ge=1, description="support images per SGD step (thesis: 4)")
    lr: Float = Field(gt=0, description="SGD learning rate (thesis: 0.01)")
    momentum: Float = Field(ge=0, lt=1, description="SGD momentum ([UNSPECIFIED]; ours: 0.9)")
    weight_decay: Float = Field(ge=0, description="L2 weight decay (thesis: 0.001)")
    seed: Int = _seed("the episodes and the heads' initialisation")


@dataclass(frozen=True, config=_SECTION)
class DiffSiamFiguresEval:
    """DiffSiam Figs 1.1, 4.1-4.4 (Algorithm 2 on the runs with a decoder) and 4.9 (training loss curves)."""

    runs: tuple[str, ...] = Field(min_length=1, description="diffsiam.runs compared in Figs 4.1-4.4, top to bottom "
                                                            "(thesis: PDAE above DiffSiam)")
    loss_runs: tuple[str, ...] = Field(min_length=1, description="diffsiam.runs whose Eq. 3.11 loss Fig. 4.9 plots "
                                                                 "(thesis: Hier. and Hier.-Detach)")
    n_pairs: Int = Field(ge=1, description="image pairs per figure")
    segment_ranges: tuple[tuple[Int, Int], ...] = Field(
        min_length=1, description="segment ranges [lo, hi) of Algorithm 2's S, 0-based (thesis Fig. 4.1 text: 0-2, "
                                  "0-4, 0-6, 6-10, 16-24, 24-32, 32-64 of 64)")
    scales: tuple[Float, ...] = Field(min_length=1, description="Algorithm 2's lambda per column (Fig. 4.1 caption: "
                                                                "1/4, 2/4, 3/4, 1; its text: 1/3, 2/3, 1)")
    n_interp: Int = Field(ge=3, description="columns of the full-z interpolation (Figs 4.3-4.4)")
    T: PosInt = Field(description="DDIM steps of inversion and generation ([UNSPECIFIED]; DiTi: 1000 / 100)")
    lost_t: tuple[Int, ...] = _ints("Fig. 1.1's t1 < t2 < ... ([UNSPECIFIED]; ours: 100, 300, 500, 700 of 1000)")
    shift_form: Literal["train", "guidance"] = Field(
        description="sampling weight of g: the training w_t as Algorithm 2 prints it, or PDAE's guidance weight")
    sample_mask: Literal["full", "step_block"] = Field(
        description="g sees the full code at every step (Algorithm 2 as printed) or the current block's segments "
                    "(DiTi's masked_guided_ddim)")
    invert_with_guidance: bool = Field(description="ambiguity A9: invert through the frozen DM alone (false, the "
                                                   "thesis) or the z-guided model (PDAE, DiTi)")
    seed: Int = _seed("the image pairs and Fig. 1.1's noise")


ZOO_DATASETS = ("ffhq", "celeba", "lsun_horse", "lsun_bedroom")


@dataclass(frozen=True, config=_SECTION)
class DiffSiamManipulationEval:
    """DiffSiam Figs 4.5-4.7: Algorithm 3 (z + lambda sigma w/|w|) with ProbMask classifiers (Figs 4.5-4.6) and
    without a mask (Fig. 4.7), on the generative runs of eval.diffsiam_figures.runs."""

    attributes: dict[Literal[ZOO_DATASETS], tuple[str, ...]] = Field(
        description="dataset -> attributes of its labels to manipulate (thesis Fig. 4.5: Wearing_Hat and others not "
                    "named; Fig. 4.6 Bedroom: indoor lighting, rusty, cluttered space, carpet)")
    keep: dict[Literal[ZOO_DATASETS], PosInt] = Field(
        description="dataset -> d', the dimensions ProbMask keeps (thesis: CelebA 16, Bedroom 32 of d = 512)")
    keep_attribute: dict[str, PosInt] = Field(
        description="attribute -> its own d' (thesis: Wearing_Hat 128)")
    full_dim: tuple[Literal[ZOO_DATASETS], ...] = Field(
        description="datasets manipulated also without ProbMask (all d dimensions; thesis Fig. 4.7: CelebA)")
    scales: tuple[Float, ...] = Field(
        min_length=1, description="lambda / sqrt(d) on each side of the original, which sits in the centre "
                                  "([UNSPECIFIED]; PDAE/DiTi: 0.3)")
    n_images: Int = Field(ge=1, description="images manipulated per attribute (test split where the labels have one)")
    T: PosInt = Field(description="DDIM steps of inversion and generation ([UNSPECIFIED]; DiTi: 500 / 200)")
    epochs: Int = Field(ge=1, description="classifier epochs (DiTi: 10)")
    batch_size: Int = Field(ge=1, description="classifier batch (DiTi: 128)")
    lr: Float = Field(gt=0, description="Adam learning rate of weights and mask scores (DiTi: 1e-4)")
    ema_decay: Float = Field(ge=0, lt=1, description="EMA of the classifier weights (DiTi: 0.999)")
    seed: Int = _seed("the classifiers, their masks and the images")

    @model_validator(mode="after")
    def _datasets_agree(self) -> "DiffSiamManipulationEval":
        missing = [d for d in self.attributes if d not in self.keep]
        if missing:
            raise ValueError(f"eval.diffsiam_manipulation.keep: no d' for {missing}")
        unlabelled = [d for d in self.full_dim if d not in self.attributes]
        if unlabelled:
            raise ValueError(f"eval.diffsiam_manipulation.full_dim: {unlabelled} have no attributes")
        return self


@dataclass(frozen=True, config=_SECTION)
class EvalConfig:
    """Evaluation settings."""

    compile: Bool = Field(description="torch.compile the diffusion decoders of the DDIM evaluation paths (Diff-AE "
                                      "Tables 2 and 4, both PPLs, DiffuseGAE Table 2 and editing grids): the same "
                                      "numbers to float rounding, several times faster on a GPU (issue 14)")
    recon: ReconEval = Field(description="Diff-AE Table 2")
    groups: GroupsEval = Field(description="DiffuseGAE Table 2")
    probe: ProbeEval = Field(description="DiffuseGAE Table 1")
    tsne: TSNEEval = Field(description="DiffuseGAE Figs 2 and 5")
    ppl: PPLEval = Field(description="DiffuseGAE Fig. 10")
    figures: FiguresEval = Field(description="DiffuseGAE Figs 6-9")
    uncond: UncondEval = Field(description="Diff-AE Table 4, Figs 9, 20-22")
    diffae_ppl: DiffAEPPLEval = Field(description="Diff-AE App. F PPL")
    diffae_figures: DiffAEFiguresEval = Field(description="Diff-AE Figs 3, 4, 6, 10, 14-16")
    attributes: AttributesEval = Field(description="Diff-AE Table 8")
    manipulation: ManipulationEval = Field(description="Diff-AE Tables 9-10, Figs 5, 13, 17")
    fewshot: FewShotEval = Field(description="Diff-AE Table 3, Figs 18-19")
    transfer_linear: TransferLinearEval = Field(description="DiffSiam Table 4.1")
    transfer_fewshot: TransferFewShotEval = Field(description="DiffSiam Table 4.2")
    diffsiam_figures: DiffSiamFiguresEval = Field(description="DiffSiam Figs 1.1, 4.1-4.4, 4.9")
    diffsiam_manipulation: DiffSiamManipulationEval = Field(description="DiffSiam Figs 4.5-4.7")


# ---------------------------------------------------------------- Diff-AE ablation
@dataclass(frozen=True, config=_SECTION)
class ZsemAblation:
    """Diff-AE Table 2 rows b-e: the faces Diff-AE with narrower z_sem, trained on 48M of the main run's 130M images."""

    z_dims: tuple[PosInt, ...] = _ints("z_sem widths, one model each (paper: 512, 256, 128, 64 = rows b-e)")
    steps_fraction: Float = Field(gt=0, le=1, description="fraction of train.diffae_zoo.steps each trains "
                                                          "(paper: 48/130)")


# ---------------------------------------------------------------- Diff-AE per dataset

@dataclass(frozen=True, config=_SECTION)
class OfficialModels:
    """A zoo dataset's models from the official Diff-AE release (each its Lightning last.ckpt; null = train it)."""

    diffae: Optional[str] = Field(None, description="the autoencoder: <data>128_autoenc(_130M)/last.ckpt, or the "
                                                    "<data>128_autoenc_latent one, which holds the same autoencoder")
    ddim: Optional[str] = Field(None, description="the DDIM baseline: <data>128_ddpm(_130M)/last.ckpt")
    latent_ddim: Optional[str] = Field(None, description="the latent DDIM: <data>128_autoenc_latent/last.ckpt (its "
                                                         "latent net and z_sem statistics; needs diffae imported too)")

    @model_validator(mode="after")
    def _latent_needs_its_autoencoder(self) -> "OfficialModels":
        if self.latent_ddim and not self.diffae:
            raise ValueError("diffae_zoo.init_from: latent_ddim samples the release autoencoder's z_sem; set diffae "
                             "too (the same <data>128_autoenc_latent/last.ckpt holds it)")
        return self


@dataclass(frozen=True, config=_SECTION)
class DiffAEZoo:
    """Diff-AE's models per dataset (spec 0.2): Diff-AE, the DDIM baseline and a latent DDIM on each, with
    train.diffae_zoo, train.ddim_zoo, train.latent_ddim and the resolution data.<dataset>.image_size."""

    datasets: tuple[Literal[ZOO_DATASETS], ...] = Field(
        min_length=1, description="datasets that get the three models (paper: ffhq, celeba, lsun_horse, "
                                  "lsun_bedroom; a paper preset runs those whose root it sets)")
    steps_fraction: dict[Literal[ZOO_DATASETS], Float] = Field(
        description="fraction of train.diffae_zoo.steps and train.ddim_zoo.steps a dataset's Diff-AE and DDIM "
                    "train (absent = 1; paper presets train one dataset each, with its own steps)")
    init_from: dict[Literal[ZOO_DATASETS], OfficialModels] = Field(
        description="official release checkpoints used in place of training a dataset's models (the release covers "
                    "ffhq, lsun_horse and lsun_bedroom at 128 px; README, on diffae_zoo.init_from)")

    @model_validator(mode="after")
    def _fractions_in_range(self) -> "DiffAEZoo":
        bad = {k: v for k, v in self.steps_fraction.items() if not 0 < v <= 1}
        if bad:
            raise ValueError(f"diffae_zoo.steps_fraction values must lie in (0, 1], got {bad}")
        return self


# ---------------------------------------------------------------- DiffSiam
@dataclass(frozen=True, config=_SECTION)
class DiffSiamRun:
    """One trained encoder of DiffSiam's tables (diffae.train.recipes.diffsiam)."""

    method: Literal["diffsiam", "simsiam", "pdae"] = Field(description="DiffSiam; the SimSiam baseline (L_SimSiam "
                                                                       "only); PDAE (full z at every t, no SimSiam)")
    variant: Literal["hierarchical", "sequential", "hierarchical_detach"] = Field(
        description="which segments the decoder sees (DiffSiam only): z_1..z_k, z_k alone, or z_1..z_k with "
                    "z_1..z_{k-1} detached")
    k_mode: Literal["timestep_block", "extra_steps"] = Field(
        description="decision A1: k = the block of t (default) or the literal Algorithm 1 (k drawn apart, t + k "
                    "steps of noise, the networks told t)")


@dataclass(frozen=True, config=_SECTION)
class DiffSiamConfig:
    """DiffSiam (thesis Algorithm 1): the runs to train and evaluate, with the choices the thesis leaves open."""

    runs: dict[str, DiffSiamRun] = Field(min_length=1, description="run name -> method; each trains one encoder on "
                                                                   "CIFAR-10 and fills one row of Tables 4.1-4.2")
    simsiam_weight: Float = Field(ge=0, description="weight of L_SimSiam (Eq. 3.12: 1; DiTi's code: 0.01; A6)")
    generative_datasets: tuple[Literal[ZOO_DATASETS], ...] = Field(
        description="diffae_zoo datasets on which the runs of eval.diffsiam_figures.runs are trained too, over the "
                    "dataset's DDIM baseline (train.diffsiam_gen), for the generation figures (thesis: FFHQ, Bedroom "
                    "for Figs 4.1-4.4, CelebA for 4.5 and 4.7); run only with the CIFAR-10 chain")

    @model_validator(mode="after")
    def _run_names_are_slugs(self) -> "DiffSiamConfig":
        bad = [k for k in self.runs if not k.replace("_", "").isalnum() or not k.islower()]
        if bad:
            raise ValueError(f"diffsiam.runs names {bad} must be lower-case letters, digits and underscores "
                             "(they name folders and Snakemake wildcards)")
        return self


# ---------------------------------------------------------------- cluster job sizes
@dataclass(frozen=True, config=_SECTION)
class CpuJob:
    """What a CPU job asks the scheduler for."""

    mem_mb: Int = Field(ge=1, description="memory in MB")
    runtime: Int = Field(ge=1, description="wall-clock limit in minutes")


@dataclass(frozen=True, config=_SECTION)
class GpuJob:
    """What a GPU job asks the scheduler for."""

    gpus: Int = Field(ge=0, le=64, description="GPUs per job; 0 = ask for none (tiny models share the machine's "
                                               "device, `device: auto` still takes a GPU it finds); training "
                                               "jobs with more than one launch through torchrun")
    mem_mb: Int = Field(ge=1, description="memory in MB")
    runtime: Int = Field(ge=1, description="wall-clock limit in minutes")


@dataclass(frozen=True, config=_SECTION)
class ClusterConfig:
    """Snakemake resources of each kind of job, for a scheduler (the SLURM profile passes them to sbatch) and for
    GPU sharing on a workstation. Read by the workflow only: changing them reruns nothing."""

    train: GpuJob = Field(description="training rules (train_*, finetune)")
    gpu: GpuJob = Field(description="encoders and the DDIM evaluations (encode_*, eval_table2, eval_ppl, ...)")
    cpu: CpuJob = Field(description="everything else: data preparation, probes, t-SNE, reports")


# ---------------------------------------------------------------- the whole file
@dataclass(frozen=True, config=ConfigDict(extra="forbid", title="diffae-repro params"))
class Params:
    """Every knob of the pipeline. Snakemake validates its config against the schema generated from this
    class and diffae.config validates every params file it loads; unknown keys are errors."""

    preset: str = Field(pattern=r"^(embedded|smoke|paper-[a-z0-9-]+|[a-z0-9-]+)$",
                        description="name of the preset; paper-* presets refuse null dataset roots and random "
                                    "metric weights")
    seed: Int = _seed("model initialisation, the global RNGs and the batch order of every training stage")
    device: Literal["auto", "cpu", "cuda"] = Field(description="auto = cuda when available, else cpu")
    on_checkpoint_mismatch: Literal["restart", "refuse"] = Field(
        description="a training stage whose checkpoints/last.pt was written for other data, architecture or "
                    "trajectory settings: restart (keep the old one in checkpoints/stale/) or refuse")
    data: DataConfig = Field(description="datasets")
    metrics: MetricsConfig = Field(description="metric networks")
    diffusion: DiffusionConfig = Field(description="Gaussian diffusion")
    model: ModelConfig = Field(description="architectures")
    train: TrainStages = Field(description="training loop knobs per stage")
    losses: LossConfig = Field(description="loss weights")
    eval: EvalConfig = Field(description="evaluation")
    zsem_ablation: ZsemAblation = Field(description="Diff-AE Table 2 rows b-e")
    diffae_zoo: DiffAEZoo = Field(description="Diff-AE models per dataset (Table 4, PPL, figures)")
    diffsiam: DiffSiamConfig = Field(description="DiffSiam runs (Tables 4.1-4.2)")
    cluster: ClusterConfig = Field(description="what each job asks a scheduler for")

    @model_validator(mode="after")
    def _eval_groups_within_test_groups(self) -> "Params":
        n_eval, n_test = self.eval.groups.n_groups, self.data.ilab.groups.n_test
        if n_eval > n_test:
            raise ValueError(f"eval.groups.n_groups = {n_eval} exceeds data.ilab.groups.n_test = {n_test} "
                             "(evaluation groups are drawn from the test GROUP table)")
        return self

    @model_validator(mode="after")
    def _diffsiam_figure_runs_exist(self) -> "Params":
        runs, fig = self.diffsiam.runs, self.eval.diffsiam_figures
        for key, names in (("runs", fig.runs), ("loss_runs", fig.loss_runs)):
            unknown = [r for r in names if r not in runs]
            if unknown:
                raise ValueError(f"eval.diffsiam_figures.{key}: {unknown} are not in diffsiam.runs ({sorted(runs)})")
        outside = [d for d in self.diffsiam.generative_datasets if d not in self.diffae_zoo.datasets]
        if outside:
            raise ValueError(f"diffsiam.generative_datasets: {outside} are not in diffae_zoo.datasets "
                             f"({list(self.diffae_zoo.datasets)}), whose DDIM each run freezes")
        simsiam = [r for r in (*fig.runs, *fig.loss_runs) if runs[r].method == "simsiam"]
        if simsiam:
            raise ValueError(f"eval.diffsiam_figures: {sorted(set(simsiam))} are SimSiam runs, which have no decoder "
                             "and no Eq. 3.11 loss")
        return self

    @property
    def source(self) -> str:
        """The file these params were loaded from."""
        return getattr(self, "_source", "<dict>")

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
        import torch

        if self.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ParamsError(f"{self.source}: device: cuda, but torch sees no CUDA GPU "
                              "(torch.cuda.is_available() is False); run on a GPU node or set device: auto")
        return self.device


# ---------------------------------------------------------------- validation
_BOUNDS = {"less_than": "exclusive maximum", "less_than_equal": "maximum", "greater_than": "exclusive minimum",
           "greater_than_equal": "minimum", "too_short": "minimum length", "too_long": "maximum length"}


@functools.cache
def _adapter(cls: type) -> TypeAdapter:
    return TypeAdapter(cls)


def _description(cls: type, loc: tuple) -> str | None:
    """The description of the field at ``loc`` below section class ``cls`` (of the list, for an item)."""
    info = None
    for key in loc:
        if isinstance(key, int):
            break
        fields = getattr(cls, "__pydantic_fields__", None)
        if fields is None or key not in fields:
            return None
        info = fields[key]
        cls = info.annotation
    return info.description if info is not None else None


def _format_error(err: dict, cls: type, source: str) -> str:
    """One line per violation: file, key path, bad value and what was expected."""
    loc = tuple(err["loc"])
    path = ".".join(map(str, loc)) or "<top level>"
    parent = ".".join(map(str, loc[:-1])) or "<top level>"
    kind = err["type"]
    if kind == "unexpected_keyword_argument":
        return f"{source}: at {parent}: '{loc[-1]}' was unexpected (unknown keys are errors; check the spelling)"
    if kind in ("missing_argument", "missing"):
        return f"{source}: at {parent}: '{loc[-1]}' is a required property"
    if kind == "value_error":
        return f"{source}: at {path}: {err['ctx']['error']}"
    value = err["input"]
    shown = type(value).__name__ if isinstance(value, (dict, list)) else repr(value)
    bound = f" ({_BOUNDS[kind]})" if kind in _BOUNDS else ""
    described = _description(cls, loc)
    expected = f"; {path}: {described}" if described else ""
    return f"{source}: key {path}={shown} is invalid: {err['msg']}{bound}{expected}"


def parse(cls: type, raw: Any, source: str = "<dict>") -> Any:
    """Validate ``raw`` (a mapping) as section ``cls``; ParamsError lists every violation."""
    if not isinstance(raw, dict):
        raise ParamsError(f"{source}: top level must be a mapping, got {type(raw).__name__}")
    try:
        return _adapter(cls).validate_python(raw)
    except ValidationError as err:
        lines = sorted(_format_error(e, cls, source) for e in err.errors())
        raise ParamsError("invalid params:\n  " + "\n  ".join(lines)) from None


def from_dict(raw: Any, source: str = "<dict>") -> Params:
    """Validate a raw params mapping and build its typed view."""
    params = parse(Params, raw, source)
    object.__setattr__(params, "_source", source)  # not a params key: set past the frozen guard
    return params


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


# ---------------------------------------------------------------- the generated JSON Schema
class _ParamsJsonSchema(GenerateJsonSchema):
    """JSON Schema 2020-12 as Snakemake reads it: no per-field titles; a float is a number or NumberText."""

    _TEXT = {"$comment": "NumberText"}  # placeholder: pydantic resolves only the $refs it wrote itself

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def float_schema(self, schema: Any) -> dict:
        return {"anyOf": [super().float_schema(schema), dict(self._TEXT)]}

    def generate(self, schema: Any, mode: Any = "validation") -> dict:
        out = self._tidy(super().generate(schema, mode))
        out["$defs"]["NumberText"] = {"description": "a number written as text (YAML 1.1 reads 1e-4 as a string)",
                                      "type": "string", "pattern": NUMBER_TEXT}
        return {"$schema": self.schema_dialect, **out}

    def _tidy(self, tree: Any) -> Any:
        """``tree`` with the placeholder as a $ref to NumberText and each description on one line."""
        if tree == self._TEXT:
            return {"$ref": "#/$defs/NumberText"}
        if isinstance(tree, dict):
            return {k: " ".join(v.split()) if k == "description" and isinstance(v, str) else self._tidy(v)
                    for k, v in tree.items()}
        if isinstance(tree, list):
            return [self._tidy(v) for v in tree]
        return tree


def json_schema() -> dict:
    """The JSON Schema of a params file, generated from :class:`Params`."""
    return _adapter(Params).json_schema(schema_generator=_ParamsJsonSchema)


def schema_yaml() -> str:
    """The text of workflow/schemas/params.schema.yaml."""
    header = f"# Generated from diffae.config.Params; do not edit. Regenerate with:\n#   {SCHEMA_COMMAND}\n"
    return header + yaml.safe_dump(json_schema(), sort_keys=False, width=120, default_flow_style=None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m diffae.config", description="the params JSON Schema")
    ap.add_argument("--schema", action="store_true", help="print the JSON Schema (YAML) of a params file")
    args = ap.parse_args(argv)
    if not args.schema:
        ap.print_help()
        return 2
    sys.stdout.write(schema_yaml())
    return 0


if __name__ == "__main__":
    sys.exit(main())
