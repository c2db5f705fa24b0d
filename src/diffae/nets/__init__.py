"""Neural networks (``nn.Module`` only, no I/O): Diff-AE UNet with AdaGN, semantic
encoders (half-UNet, Alter-ResNet), latent MLP, official-checkpoint key mapping."""

from diffae.nets.encoders import ENCODER_KINDS, AlterResNet, HalfUNetEncoder, build_encoder
from diffae.nets.latent_mlp import LatentMLP
from diffae.nets.layers import count_parameters, timestep_embedding
from diffae.nets.official_keys import (
    build_official_autoencoder,
    map_official_state_dict,
    official_config,
)
from diffae.nets.unet import DiffusionAutoencoder, UNet

__all__ = [
    "ENCODER_KINDS",
    "AlterResNet",
    "DiffusionAutoencoder",
    "HalfUNetEncoder",
    "LatentMLP",
    "UNet",
    "build_encoder",
    "build_official_autoencoder",
    "count_parameters",
    "map_official_state_dict",
    "official_config",
    "timestep_embedding",
]
