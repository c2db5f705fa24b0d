"""Training and sampling throughput of the diffusion autoencoder (prints numbers; no assertions).

  python benchmarks/throughput.py                      # all configs, CPU (and CUDA when present)
  python benchmarks/throughput.py --configs embedded-32 --devices cpu --batch 8

Training = forward + backward + Adam step of encoder + conditional UNet on L_simple (Diff-AE Eq. 6).
Sampling = DDIM steps per second x batch (one UNet forward each; encoder run once).
Configs: embedded-32 (params.yaml), paper-64 (Diff-AE Table 5, FFHQ/CelebA 64) and paper-128 (Table 5,
FFHQ 128; Diff-AE Table 7 reports 41.65 img/s per V100 for training). On CUDA the bf16 autocast,
channels_last and torch.compile variants are measured too.
"""
from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

import torch

from diffae.config import load_params
from diffae.diffusion import DDIM, GaussianDiffusion
from diffae.nets import UNet, build_encoder
from diffae.nets.layers import count_parameters

REPO = Path(__file__).resolve().parents[1]


def configs() -> dict[str, dict]:
    p = load_params(REPO / "params.yaml")
    u, e = p.model.unet, p.model.encoder
    return {
        "embedded-32": dict(size=p.data.ilab.image_size, base=u.base_channels, mult=u.channel_mult,
                            res=u.num_res_blocks, attn=u.attn_resolutions, embed=u.embed_channels,
                            enc_base=e.base_channels, enc_mult=e.channel_mult, enc_res=e.num_res_blocks),
        "paper-64": dict(size=64, base=64, mult=(1, 2, 4, 8), res=2, attn=(16,), embed=512, enc_base=64,
                         enc_mult=(1, 2, 4, 8, 8), enc_res=2),
        "paper-128": dict(size=128, base=128, mult=(1, 1, 2, 3, 4), res=2, attn=(16,), embed=512, enc_base=128,
                          enc_mult=(1, 1, 2, 3, 4, 4), enc_res=2),
    }


def build(c: dict, device: str):
    enc = build_encoder("halfunet", image_size=c["size"], base_channels=c["enc_base"], channel_mult=c["enc_mult"],
                        num_res_blocks=c["enc_res"], attn_resolutions=c["attn"], z_dim=512)
    unet = UNet(image_size=c["size"], base_channels=c["base"], channel_mult=c["mult"], num_res_blocks=c["res"],
                attn_resolutions=c["attn"], cond_dim=512, embed_channels=c["embed"], dropout=0.0)
    return enc.to(device), unet.to(device)


def timed(fn, iters: int, device: str) -> float:
    fn()  # warm-up (and compile)
    if device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    if device == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - t0) / iters


def run(name: str, c: dict, device: str, batch: int, iters: int, amp: bool, channels_last: bool, compile_: bool):
    torch.manual_seed(0)
    enc, unet = build(c, device)
    diffusion = GaussianDiffusion.from_schedule("linear", 1000)
    mf = torch.channels_last if channels_last else torch.contiguous_format
    enc, unet = enc.to(memory_format=mf), unet.to(memory_format=mf)
    if compile_:
        enc.compile()
        unet.compile()
    opt = torch.optim.Adam(list(enc.parameters()) + list(unet.parameters()), lr=1e-4)
    x = torch.randn(batch, 3, c["size"], c["size"], device=device).contiguous(memory_format=mf)
    autocast = (torch.autocast(device_type=device, dtype=torch.bfloat16) if amp else contextlib.nullcontext())

    def train_step():
        with autocast:
            loss = diffusion.training_loss(unet, x, cond=enc(x)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    ddim = DDIM(diffusion, 2, clip_x0=True)

    @torch.no_grad()
    def sample_steps():
        with autocast:
            ddim.sample(unet, x, cond=enc(x))

    t_train = timed(train_step, iters, device)
    t_sample = timed(sample_steps, iters, device) / 2
    n_params = count_parameters(enc) + count_parameters(unet)
    print(f"{name:12s} {device:5s} amp={int(amp)} cl={int(channels_last)} compile={int(compile_)} "
          f"params={n_params / 1e6:6.2f}M batch={batch:3d}  train {batch / t_train:8.2f} img/s   "
          f"DDIM sampling {batch / t_sample:8.2f} img-steps/s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", nargs="+", default=list(configs()))
    ap.add_argument("--devices", nargs="+", default=["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, CPU threads {torch.get_num_threads()}, "
          f"CUDA {torch.cuda.get_device_name() if torch.cuda.is_available() else 'none'}")
    table = configs()
    for name in args.configs:
        for device in args.devices:
            variants = [(False, False, False)]
            if device == "cpu":
                variants.append((True, False, False))
            else:
                variants += [(True, False, False), (True, True, False), (True, True, True)]
            for amp, cl, comp in variants:
                run(name, table[name], device, args.batch, args.iters, amp, cl, comp)


if __name__ == "__main__":
    main()
