"""The one implementation of the diffusion math used by every stage (DESIGN.md §3)."""
from diffae.diffusion.ddim import DDIM, Trajectory
from diffae.diffusion.gaussian import GaussianDiffusion
from diffae.diffusion.interpolate import lerp, slerp
from diffae.diffusion.noise import sample_noise
from diffae.diffusion.schedules import SCHEDULES, make_betas, respace_betas, respaced_timesteps

__all__ = [
    "DDIM",
    "GaussianDiffusion",
    "SCHEDULES",
    "Trajectory",
    "lerp",
    "make_betas",
    "respace_betas",
    "respaced_timesteps",
    "sample_noise",
    "slerp",
]
