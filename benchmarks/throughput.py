"""Training and sampling throughput, the official Diff-AE recipe side by side with this project's training path
(prints numbers; asserts nothing). `make benchmark` runs it.

  python benchmarks/throughput.py                                  # CPU: embedded-32 and paper-64
  python benchmarks/throughput.py --configs paper-128 --batch 64   # on a GPU: the paper's 128 px model

Per config, at one architecture and batch:
  official  the official recipe: the official architecture (``official_config``, numerically the official model),
            eager, contiguous tensors, fp16 autocast with a GradScaler on CUDA (fp32 on the CPU), Adam, gradient
            clipping at 1, a per-tensor EMA after every step (Diff-AE's released training code, described, not run)
  bare      one step of ours without the loop (recipe loss, backward, clip, optimizer, EMA) with the preset's
            amp / channels_last / compile
  ours      the real path: ``diffae.train.loop.train`` with the Diff-AE recipe and the preset's train section,
            images/s read from its own metrics.csv over the second half of the run (the first holds compilation)
and the ratio ours / official, the loop's overhead over the bare step, peak CUDA memory, compile time (first half
minus second), FLOPs per image (``torch.utils.flop_counter``, forward + backward) and, on CUDA, MFU against the
GPU's dense bf16 peak (``--peak-tflops``). Then DDIM sampling (img-steps/s) both ways, and Diff-AE Table 2's
reconstruction path (encode, invert, decode) through the evaluations' codec, eager and compiled (params
``eval.compile``). The tiny stages (GAE, latent DDIM) in steps/s: a bare step, the loop eager and compiled (and on CUDA
compiled with ``compile_mode: reduce-overhead``, CUDA graphs). Last, a
host-read profile (every ``aten::_local_scalar_dense``, i.e. .item()/float()/bool() of a tensor, by call site) of
runs of 3 and 9 updates of each tiny stage and of the Diff-AE loop: the reads per update beyond the run's end.

Configs: embedded-32 (params.yaml: the iLab Diff-AE and train.diffae), paper-64 (the official architecture at
64 px, Diff-AE Table 5; presets/paper-diffae-celeba64.yaml train.diffae_zoo) and paper-128 (official
ffhq128_autoenc_130M; presets/paper-diffae-ffhq128.yaml train.diffae_zoo).
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import csv
import dataclasses
import math
import statistics
import tempfile
import time
import traceback
from pathlib import Path

import torch
from torch.utils.data import TensorDataset
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode

from diffae.config import load_params
from diffae.diffusion import DDIM, GaussianDiffusion
from diffae.nets import build_encoder, official_config, registry
from diffae.nets.layers import count_parameters
from diffae.nets.unet import UNet
from diffae.train.batches import to_device
from diffae.train.ema import EMA
from diffae.train.loop import _make_optimizer, train
from diffae.train.recipe import recipe_modules
from diffae.train.recipes.diffae import DiffAERecipe
from diffae.train.recipes.gae import GAERecipe
from diffae.train.recipes.latent_ddim import LatentDDIMRecipe
from diffae.utils.compiling import compile_in_place

REPO = Path(__file__).resolve().parents[1]
PEAK_BF16_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L40": 181.0}  # dense, per GPU


def _official_64() -> dict:
    """The official autoencoder at 64 px (Diff-AE Table 5: 64 channels, mult 1-2-4-8, encoder 1-2-4-8-8)."""
    cfg = official_config()
    cfg["decoder"].update(image_size=64, base_channels=64, channel_mult=(1, 2, 4, 8))
    cfg["encoder"].update(image_size=64, base_channels=64, channel_mult=(1, 2, 4, 8, 8))
    return cfg


def configs() -> dict[str, tuple[dict, object]]:
    """name -> (encoder/decoder kwargs, our train section)."""
    p = load_params(REPO / "params.yaml")
    size = p.data.ilab.image_size
    emb = {"encoder": registry.encoder_spec(dataclasses.asdict(p.model.encoder), image_size=size)["kwargs"],
           "decoder": registry.unet_spec(dataclasses.asdict(p.model.unet), image_size=size,
                                         cond_dim=p.model.encoder.z_dim)["kwargs"]}
    return {"embedded-32": (emb, p.train.diffae),
            "paper-64": (_official_64(), load_params(REPO / "presets/paper-diffae-celeba64.yaml").train.diffae_zoo),
            "paper-128": (official_config(), load_params(REPO / "presets/paper-diffae-ffhq128.yaml").train.diffae_zoo)}


def build(arch: dict, device: str):
    enc_kwargs = dict(arch["encoder"])
    enc = build_encoder(enc_kwargs.pop("kind", "halfunet"), **enc_kwargs)
    return enc.to(device), UNet(**arch["decoder"]).to(device)


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


PARTS = ("side-by-side", "sampling", "evaluation", "tiny", "host-reads")
MIN_SECONDS = 3.0  # each timing runs at least this long (``--min-seconds``): millisecond steps need many calls


def timed(fn, iters: int, device: str, warmup: int = 1) -> float:
    """Seconds per call after ``warmup`` calls (which compile, where compiling): at least ``iters`` calls and at
    least ``MIN_SECONDS``."""
    for _ in range(warmup):
        fn()
    _sync(device)
    calls, t0 = 0, time.perf_counter()
    while calls == 0 or time.perf_counter() - t0 < MIN_SECONDS:
        for _ in range(iters):  # rounds of ``iters`` calls, synchronised after each round only
            fn()
        calls += iters
        _sync(device)
    return (time.perf_counter() - t0) / calls


def steps_for(seconds_per_step: float, iters: int) -> int:
    """Updates of a loop run whose second half lasts about ``MIN_SECONDS`` (and holds at least ``iters`` updates)."""
    return 2 * max(iters, math.ceil(MIN_SECONDS / max(seconds_per_step, 1e-6)))


def _peak_mem(device: str) -> str:
    return f"{torch.cuda.max_memory_allocated() / 2**30:5.1f} GiB" if device == "cuda" else "    -    "


def _reset_mem(device: str) -> None:
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def flops_per_image(arch: dict, batch: int) -> float:
    """Forward + backward FLOPs of one training image (counted on CPU at batch 1..2, scaled)."""
    enc, unet = build(arch, "cpu")
    diffusion = GaussianDiffusion.from_schedule("linear", 1000)
    n = min(batch, 2)
    x = torch.randn(n, 3, arch["decoder"]["image_size"], arch["decoder"]["image_size"])
    with FlopCounterMode(display=False) as counter:
        diffusion.training_loss(unet, x, cond=enc(x)).mean().backward()
    return counter.get_total_flops() / n


def official_step(arch: dict, device: str, batch: int):
    """The official recipe's training step (see the module doc)."""
    enc, unet = build(arch, device)
    diffusion = GaussianDiffusion.from_schedule("linear", 1000)
    params = list(enc.parameters()) + list(unet.parameters())
    opt = torch.optim.Adam(params, lr=1e-4)
    ema = [p.detach().clone() for p in params]
    cuda = device == "cuda"
    scaler = torch.amp.GradScaler("cuda") if cuda else None
    size = arch["decoder"]["image_size"]
    x = torch.randn(batch, 3, size, size, device=device)

    def step():
        with torch.autocast("cuda", dtype=torch.float16) if cuda else contextlib.nullcontext():
            loss = diffusion.training_loss(unet, x, cond=enc(x)).mean()
        opt.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
        with torch.no_grad():
            for e, p in zip(ema, params):
                e.mul_(0.9999).add_(p.detach(), alpha=1e-4)

    return step, (enc, unet)


def recipe_step(recipe, modules: dict, batch, cfg, device: str):
    """One update of ``recipe`` without the loop: its loss under the preset's amp, backward, clip, optimizer, EMA."""
    params = [q for m in modules.values() for q in m.parameters() if q.requires_grad]
    opt = _make_optimizer(params, cfg, (0.9, 0.999), torch.device(device))  # the loop's (fused / foreach)
    ema = EMA(modules, max(cfg.ema_decay, 0.5))
    amp = cfg.amp and device == "cuda"

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16) if amp else contextlib.nullcontext():
            loss, _ = recipe.loss(batch, 0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
        opt.step()
        ema.update(0)

    return step


def bare_step(arch: dict, cfg, device: str, batch: int):
    """Our Diff-AE step without the loop, with the preset's channels_last / compile."""
    enc, unet = build(arch, device)
    fmt = torch.channels_last if cfg.channels_last else torch.contiguous_format
    enc, unet = enc.to(memory_format=fmt), unet.to(memory_format=fmt)
    if cfg.compile:
        compile_in_place(enc)
        compile_in_place(unet)
    recipe = DiffAERecipe(enc, unet, GaussianDiffusion.from_schedule("linear", 1000))
    size = arch["decoder"]["image_size"]
    x = torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8, device=device).contiguous(memory_format=fmt)
    return recipe_step(recipe, {"encoder": enc, "unet": unet}, [x], cfg, device)


def loop_throughput(recipe, data, cfg, device: str, steps: int) -> tuple[float, float]:
    """(img/s of the second half, seconds the first half took beyond the second) of a real ``train`` run."""
    half = max(1, steps // 2)
    cfg = dataclasses.replace(cfg, steps=2 * half, log_every=half, ckpt_every=2 * half)
    with tempfile.TemporaryDirectory() as out:
        train(recipe, data, cfg, out, seed=0, device=device, progress=False)
        rows = list(csv.DictReader(open(Path(out) / "metrics.csv")))
    first, second = (float(r["img_per_s_per_rank"]) for r in rows[-2:])
    per_img = cfg.batch_size * half
    return second, per_img / first - per_img / second


_PLUMBING = ("torch/_dynamo/", "torch/_compile.py", "torch/utils/", "torch/optim/optimizer.py", "torch/_tensor.py")


class _HostReads(TorchDispatchMode):
    """Counts reads of tensor values by the host (``aten::_local_scalar_dense``: .item(), float(t), int(t), bool(t)),
    by the innermost call site outside torch's plumbing."""

    def __init__(self) -> None:
        super().__init__()
        self.sites: collections.Counter = collections.Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func is torch.ops.aten._local_scalar_dense.default:
            frames = [f for f in traceback.extract_stack()[:-1] if not any(k in f.filename for k in _PLUMBING)]
            f = frames[-1]
            self.sites[f"{'/'.join(Path(f.filename).parts[-2:])}:{f.name}"] += 1
        return func(*args, **(kwargs or {}))


def host_reads(recipe, data, cfg, device: str, steps: int) -> collections.Counter:
    """Host reads per call site in a real ``train`` run of ``steps`` updates that logs and checkpoints only at its
    end."""
    cfg = dataclasses.replace(cfg, steps=steps, log_every=steps, ckpt_every=steps)
    with tempfile.TemporaryDirectory() as out, _HostReads() as reads:
        train(recipe, data, cfg, out, seed=0, device=device, progress=False)
    return reads.sites


def host_read_profile(name: str, make, device: str) -> None:
    """Host reads of a run of 3 and of 9 updates: their difference / 6 is the reads per update, by call site (none on
    CUDA is the aim; on the CPU Adam reads its step counter, a CPU tensor unless fused, which the loop is on CUDA,
    and the diffusion's timestep range check runs for CPU tensors only). The rest are the run end's log row, non-finite
    guard and checkpoint."""
    short, long = (host_reads(*make(), device, n) for n in (3, 9))
    per_update = {k: (long[k] - short[k]) / 6 for k in long if long[k] != short[k]}
    shown = ", ".join(f"{k} {v:g}" for k, v in sorted(per_update.items(), key=lambda kv: -kv[1])) or "none"
    print(f"  {name}: {sum(short.values())} host reads in a run of 3 updates, {sum(long.values())} in 9; "
          f"per update: {shown}")


def _diffae_run(arch: dict, cfg, device: str, batch: int):
    """(Diff-AE recipe, uint8 images, train section at ``batch``) for the loop."""
    enc, unet = build(arch, device)
    size = arch["decoder"]["image_size"]
    data = TensorDataset(torch.randint(0, 256, (max(batch, 8), 3, size, size), dtype=torch.uint8))
    return DiffAERecipe(enc, unet, GaussianDiffusion.from_schedule("linear", 1000)), data, dataclasses.replace(
        cfg, batch_size=batch)


def one_round(arch: dict, cfg, device: str, batch: int, iters: int) -> dict:
    """Images/s of the official recipe, our bare step and our loop (fresh models each), peak memory and compile time."""
    out = {}
    _reset_mem(device)
    step, (enc, unet) = official_step(arch, device, batch)
    out["official"] = batch / timed(step, iters, device)
    out["params"], out["mem_official"] = count_parameters(enc) + count_parameters(unet), _peak_mem(device)
    del step, enc, unet
    _reset_mem(device)
    bare_s = timed(bare_step(arch, cfg, device, batch), iters, device, warmup=2 if cfg.compile else 1)
    out["bare"] = batch / bare_s
    _reset_mem(device)
    recipe, data, _ = _diffae_run(arch, cfg, device, batch)
    out["ours"], out["compile_s"] = loop_throughput(recipe, data, cfg, device, steps=steps_for(bare_s, iters))
    out["mem_ours"] = _peak_mem(device)
    return out


def side_by_side(name: str, arch: dict, cfg, device: str, batch: int, iters: int, peak_tflops: float | None,
                 rounds: int) -> None:
    """``rounds`` rounds of (official, bare, ours), fresh models each; the median of each, and of each round's ratio
    ours / official (the headline), so that neither a slow moment nor a drift of a shared machine decides the ratio.
    Memory and compile time are the first round's."""
    cfg = dataclasses.replace(cfg, batch_size=batch)
    flops = flops_per_image(arch, batch)
    results = [one_round(arch, cfg, device, batch, iters) for _ in range(rounds)]
    first = results[0]
    med = {k: statistics.median(r[k] for r in results) for k in ("official", "bare", "ours")}
    settings = f"amp={int(cfg.amp)} channels_last={int(cfg.channels_last)} compile={int(cfg.compile)}"
    print(f"\n{name} on {device}: {first['params'] / 1e6:.1f} M params, batch {batch}, ours with {settings}; median of "
          f"{rounds} rounds")
    print(f"  {'':10s} {'img/s':>9s} {'peak mem':>10s} {'TFLOP/s':>8s} {'MFU':>6s}   rounds")
    for what, mem in (("official", first["mem_official"]), ("bare", "    -    "), ("ours", first["mem_ours"])):
        achieved = flops * med[what] / 1e12
        mfu = f"{100 * achieved / peak_tflops:5.1f}%" if peak_tflops else "   -  "
        each = " ".join(f"{r[what]:.2f}" for r in results)
        print(f"  {what:10s} {med[what]:9.2f} {mem:>10s} {achieved:8.3f} {mfu}   {each}")
    ratios = sorted(r["ours"] / r["official"] for r in results)
    print(f"  ours / official = {statistics.median(ratios):.2f}x (median of each round's own ratio, which a drift of "
          f"the machine's speed between rounds does not enter: {' '.join(f'{q:.2f}' for q in ratios)}; ratio of "
          f"the medians {med['ours'] / med['official']:.2f}x); loop overhead over the bare step = "
          f"{100 * (1 - med['ours'] / med['bare']):+.1f}%; compile time ~ {max(first['compile_s'], 0):.1f} s; "
          f"{flops / 1e9:.1f} GFLOP per training image")


def sampling(name: str, arch: dict, cfg, device: str, batch: int, iters: int, compile_ours: bool = True):
    """DDIM steps per second x batch: eager fp16 (official) against ours (bf16, the preset's compile unless
    ``compile_ours`` is false), and the peak memory of ours."""
    out = []
    compiled = cfg.compile and compile_ours
    for what, dtype, compile_ in (("official", torch.float16, False),
                                  ("ours" if compiled else "ours (eager)", torch.bfloat16, compiled)):
        _reset_mem(device)
        enc, unet = build(arch, device)
        enc.eval(), unet.eval()
        if compile_:
            compile_in_place(unet)
        size = arch["decoder"]["image_size"]
        x = torch.randn(batch, 3, size, size, device=device)
        ddim = DDIM(GaussianDiffusion.from_schedule("linear", 1000), 4, clip_x0=True)
        amp = torch.autocast("cuda", dtype=dtype) if device == "cuda" else contextlib.nullcontext()

        @torch.no_grad()
        def sample():
            with amp:
                ddim.sample(unet, x, cond=enc(x))

        out.append(f"{what} {batch * 4 / timed(sample, iters, device, warmup=2 if compile_ else 1):9.1f}")
    print(f"  DDIM sampling, batch {batch:4d}, img-steps/s: {', '.join(out)}; peak memory of ours "
          f"{_peak_mem(device)}")


def evaluation(name: str, arch: dict, device: str, batch: int, iters: int, n_steps: int) -> None:
    """Diff-AE Table 2's path (encode, invert with ``n_steps`` DDIM steps, decode with as many) through the codec
    the evaluations use, eager against params ``eval.compile``: images/s and UNet img-steps/s."""
    from diffae.eval.codecs import DiffAECodec, compiled_for_sampling

    size = arch["decoder"]["image_size"]
    x = torch.rand(batch, 3, size, size, device=device) * 2 - 1
    out = []
    for what in ("eager", "compiled"):
        enc, unet = build(arch, device)
        codec = DiffAECodec("Diff-AE", None, enc.eval(), unet.eval(), GaussianDiffusion.from_schedule("linear", 1000),
                            clip_x0=True)
        if what == "compiled":
            compiled_for_sampling(codec)
        ips = batch / timed(lambda: codec.reconstruct(x, n_steps), iters, device, warmup=2 if what == "compiled" else 1)
        out.append(f"{what} {ips:8.2f} img/s ({ips * 2 * n_steps:8.1f} img-steps/s)")
    print(f"  Table 2 reconstruction, T={n_steps}, batch {batch}: {'; '.join(out)}")


def tiny_runs(params: Path = REPO / "params.yaml") -> dict:
    """name -> a function giving a fresh (recipe, data, train section) of a tiny stage, at the sizes and batches of
    ``params`` (params.yaml's by default; the issue's GPU figures are presets/paper-ilab.yaml's, batch 256)."""
    from diffae.nets.partition import Partition

    p = load_params(params)
    d, sizes = p.model.encoder.z_dim, tuple(p.model.gae.partition)

    def latent_ddim():
        net = registry.build(registry.net_spec("LatentMLP", z_dim=d, hidden=p.model.latent.hidden,
                                               num_layers=p.model.latent.num_layers))
        n = max(512, 2 * p.train.latent_ddim.batch_size)
        return (LatentDDIMRecipe(net, GaussianDiffusion.from_schedule("const0.008", 1000)),
                TensorDataset(torch.randn(n, d)), p.train.latent_ddim)

    def gae():
        g = p.model.gae
        net = registry.build(registry.net_spec("GAE", z_dim=d, dis_dim=g.dis_dim, hidden=g.hidden, n_mlp=g.n_mlp,
                                               n_bottleneck=g.n_bottleneck, norm=g.norm))
        partition = Partition(tuple(f"p{i}" for i in range(len(sizes))), sizes)
        n = max(512, 2 * p.train.gae.batch_size)
        return GAERecipe(net, partition, 1.0, 0.5), TensorDataset(torch.randn(n, 1 + len(sizes), d)), p.train.gae

    return {"latent DDIM": latent_ddim, "GAE": gae}


def tiny_stages(device: str, steps: int, compile_too: bool, params: Path = REPO / "params.yaml") -> None:
    """Tiny stages: steps/s of a bare step, of the loop (eager and, with ``compile_too``, compiled; on CUDA also with
    ``compile_mode: reduce-overhead``, CUDA graphs) and the host-read profile of the loop."""
    for name, make in tiny_runs(params).items():
        recipe, data, cfg = make()
        batch = to_device(data[: cfg.batch_size], torch.device(device), False)
        trainable, _ = recipe_modules(recipe)
        modules = {k: m.to(device).train() for k, m in trainable.items()}
        bare_s = timed(recipe_step(recipe, modules, list(batch), cfg, device), steps, device)
        bare = 1 / bare_s
        line = [f"bare {bare:8.1f}"]
        runs = [("loop", {"compile": False})]
        if compile_too:
            runs.append(("loop compiled", {"compile": True, "compile_mode": "default"}))
            if device == "cuda":  # CUDA graphs; elsewhere the same as the default mode
                runs.append(("loop reduce-overhead", {"compile": True, "compile_mode": "reduce-overhead"}))
        for what, knobs in runs:
            recipe, data, cfg = make()
            torch._dynamo.reset()
            ips, _ = loop_throughput(recipe, data, dataclasses.replace(cfg, **knobs), device,
                                     steps_for(bare_s, steps // 2))
            line.append(f"{what} {ips / cfg.batch_size:8.1f}")
        print(f"  {name} (batch {cfg.batch_size}) steps/s: {', '.join(line)}")
    for name, make in tiny_runs(params).items():
        host_read_profile(name, make, device)


def main() -> None:
    global MIN_SECONDS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", nargs="+", default=None, help="default: embedded-32 and paper-64 on the CPU, "
                                                                "all three on CUDA")
    ap.add_argument("--devices", nargs="+", default=["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
    ap.add_argument("--batch", type=int, default=None, help="default: 4 on the CPU, 64 on CUDA")
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--eval-steps", type=int, default=None, help="DDIM steps of the Table 2 path (default: 4 on the "
                                                                   "CPU, 10 on CUDA)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the side-by-side timing (median; default 3)")
    ap.add_argument("--min-seconds", type=float, default=MIN_SECONDS, help="shortest timing (default 3 s)")
    ap.add_argument("--no-tiny-compile", action="store_true", help="skip the tiny stages' compiled loop")
    ap.add_argument("--peak-tflops", type=float, default=None, help="the GPU's dense bf16 peak for MFU")
    ap.add_argument("--sampling-batches", nargs="+", type=int, default=None, help="DDIM sampling at each of these "
                    "batches (default: --batch; ours compiled at --batch only): where the evaluations' throughput "
                    "stops growing, and their memory")
    ap.add_argument("--tiny-params", type=Path, default=REPO / "params.yaml", help="params file whose GAE and latent "
                    "DDIM sizes and batches the tiny stages take (default params.yaml; presets/paper-ilab.yaml: the "
                    "paper's, batch 256)")
    ap.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS), help="what to run (default: all): the "
                    "side-by-side training, DDIM sampling, Table 2's path, the tiny stages and the Diff-AE loop's "
                    "host reads; e.g. one part per call where each 128 px compile takes minutes")
    args = ap.parse_args()
    MIN_SECONDS = args.min_seconds
    if args.threads:
        torch.set_num_threads(args.threads)
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
    print(f"torch {torch.__version__}, CPU threads {torch.get_num_threads()}, CUDA {gpu}")
    table = configs()
    for device in args.devices:
        names = args.configs or (list(table) if device == "cuda" else ["embedded-32", "paper-64"])
        batch = args.batch or (64 if device == "cuda" else 4)
        peak = args.peak_tflops or (next((v for k, v in PEAK_BF16_TFLOPS.items() if k in gpu), None)
                                    if device == "cuda" else None)
        for name in names if set(args.parts) & {"side-by-side", "sampling", "evaluation"} else ():
            arch, cfg = table[name]
            torch._dynamo.reset()  # as a separate process would: no shapes remembered from another config
            if "side-by-side" in args.parts:
                side_by_side(name, arch, cfg, device, batch, args.iters, peak, args.rounds)
            else:
                print(f"\n{name} on {device}, batch {batch}:")
            if "sampling" in args.parts:
                for b in args.sampling_batches or [batch]:  # compiled at --batch only: each shape compiles anew
                    sampling(name, arch, cfg, device, b, args.iters, compile_ours=b == batch)
            if "evaluation" in args.parts:
                evaluation(name, arch, device, batch, args.iters,
                           n_steps=args.eval_steps or (4 if device == "cpu" else 10))
        if "tiny" in args.parts:
            print(f"\ntiny stages on {device} ({args.tiny_params.name}):")
            tiny_stages(device, steps=20 if device == "cpu" else 200, compile_too=not args.no_tiny_compile,
                        params=args.tiny_params)
        if "host-reads" in args.parts:
            print(f"\nhost reads of the Diff-AE loop on {device} (embedded-32):")
            arch, cfg = table["embedded-32"]
            host_read_profile("Diff-AE", lambda: _diffae_run(arch, cfg, device, batch), device)


if __name__ == "__main__":
    main()
