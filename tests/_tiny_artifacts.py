"""Untrained 8 px Diff-AE, DDIM (and latent DDIM) artifacts for evaluation tests: they only need weights that load."""
import torch

from diffae.nets import registry
from diffae.train.checkpoint import save_final


def tiny_artifacts(folder, seed: int = 0, z_dim: int = 6, latent: bool = False) -> dict:
    """{"diffae", "ddim"[, "latent_ddim"]: path of its final.pt}; the latent DDIM records mean 0.5, std 2."""
    unet = registry.net_spec("UNet", image_size=8, cond_dim=z_dim, base_channels=4, channel_mult=[1, 2],
                             num_res_blocks=1, attn_resolutions=[], dropout=0.0, num_heads=1, embed_channels=8,
                             z_shift=False)
    specs = {"diffae": {"encoder": registry.net_spec("encoder", kind="halfunet", image_size=8, base_channels=4,
                                                     channel_mult=[1, 2], num_res_blocks=1, attn_resolutions=[],
                                                     z_dim=z_dim),
                        "unet": unet},
             "ddim": {"unet": {**unet, "kwargs": {**unet["kwargs"], "cond_dim": None}}}}
    if latent:
        specs["latent_ddim"] = {"latent": registry.net_spec("LatentMLP", z_dim=z_dim, hidden=16, num_layers=3)}
    torch.manual_seed(seed)
    paths = {}
    for kind, nets_specs in specs.items():
        weights = {k: registry.build(v).state_dict() for k, v in nets_specs.items()}
        meta = {"kind": kind, "nets": nets_specs, "diffusion": {"T": 50, "beta_schedule": "linear"}}
        if kind == "latent_ddim":
            meta.update(diffusion={"T": 50, "beta_schedule": "const0.008"}, latent_mean=[0.5] * z_dim,
                        latent_std=[2.0] * z_dim)
        paths[kind] = folder / f"{kind}{seed}.pt"
        save_final(paths[kind], weights, meta, step=1, ema=False, config={})
    return paths
