"""`compile: true` compiles the modules each recipe's step calls (diffae.train.recipe.compile_units).

torch.compile of a module compiles its ``forward``; a loss that enters a network through ``gae.encode`` runs
``gae.encoder`` and never ``gae.forward``, so compiling ``gae`` would change nothing. Here every recipe's step runs
with hooks that record the modules it enters from outside any module (its entry points); the recipe's compile units
must be exactly those."""
from __future__ import annotations

import contextlib

import pytest
import torch
from torch import nn

from diffae.diffusion import GaussianDiffusion
from diffae.nets import build_encoder, registry
from diffae.nets.gzsnet import AttributeHeads, GroupAutoencoder
from diffae.nets.latent_mlp import LatentMLP
from diffae.nets.partition import Partition
from diffae.nets.pdae_shift import PDAEShift
from diffae.nets.resnet10 import ResNet10
from diffae.nets.siamese import SimSiamHead
from diffae.nets.unet import UNet
from diffae.train.recipe import compile_units, recipe_modules
from diffae.train.recipes.aeds import AEDSRecipe
from diffae.train.recipes.ddim import DDIMRecipe
from diffae.train.recipes.diffae import DiffAERecipe
from diffae.train.recipes.diffsiam import DiffSiamRecipe, DiffSiamSettings
from diffae.train.recipes.finetune import FinetuneRecipe
from diffae.train.recipes.gae import GAERecipe
from diffae.train.recipes.gzsnet import GZSNetRecipe
from diffae.train.recipes.latent_ddim import LatentDDIMRecipe

UNET = dict(image_size=16, base_channels=8, channel_mult=(1, 2), num_res_blocks=1, attn_resolutions=(8,),
            embed_channels=16, dropout=0.0)
PARTS = Partition(("a", "b", "c"), (4, 2, 2))


@contextlib.contextmanager
def entry_points(roots: list[nn.Module]):
    """Collects the modules of ``roots``' trees that are called while no other module's forward is running."""
    inside = {id(m) for r in roots for m in r.modules()}
    depth, seen = [0], {}

    def before(module, args):
        if depth[0] == 0 and id(module) in inside:
            seen[id(module)] = module
        depth[0] += 1

    def after(module, args, out):
        depth[0] -= 1

    hooks = (nn.modules.module.register_module_forward_pre_hook(before),
             nn.modules.module.register_module_forward_hook(after))
    try:
        yield seen
    finally:
        for h in hooks:
            h.remove()


def _encoder(z_dim=16):
    return build_encoder("halfunet", image_size=16, base_channels=8, channel_mult=(1, 2), num_res_blocks=1,
                         attn_resolutions=(8,), z_dim=z_dim)


def _gae(z_dim=16):
    return registry.build(registry.net_spec("GAE", z_dim=z_dim, dis_dim=8, hidden=16, n_mlp=2, n_bottleneck=1,
                                            norm="layer"))


def _images(*shape):
    return torch.rand(*shape) * 2 - 1


def _recipes():
    diffusion = GaussianDiffusion.from_schedule("linear", 100)
    siam = {m: DiffSiamRecipe(ResNet10(width=2, z_dim=16), PDAEShift(z_dim=16, **UNET),
                              SimSiamHead(z_dim=16, pred_hidden=8, projector=True), diffusion,
                              DiffSiamSettings(method=m, n_segments=4)) for m in ("diffsiam", "pdae", "simsiam")}
    ae = dict(image_size=16, base_channels=4, latent_dim=8, fc_hidden=8)
    return {
        "diffae": (DiffAERecipe(_encoder(), UNet(cond_dim=16, **UNET), diffusion), [_images(4, 3, 16, 16)]),
        "ddim": (DDIMRecipe(UNet(cond_dim=None, **UNET), diffusion), [_images(4, 3, 16, 16)]),
        "latent_ddim": (LatentDDIMRecipe(LatentMLP(z_dim=16, hidden=32, num_layers=3), diffusion),
                        [torch.randn(8, 16)]),
        "gae": (GAERecipe(_gae(), PARTS, 1.0, 0.5), [torch.randn(5, 4, 16)]),
        "finetune": (FinetuneRecipe(_encoder(), _gae(), UNet(cond_dim=16, **UNET), diffusion, PARTS, torch.zeros(16),
                                    torch.ones(16), 1.0, 0.5, 0.5), [_images(2, 4, 3, 16, 16)]),
        "gzsnet": (GZSNetRecipe(GroupAutoencoder(**ae), PARTS, 1.0, 1.0, 1.0), [_images(2, 4, 3, 16, 16)]),
        "aeds": (AEDSRecipe(GroupAutoencoder(**ae), AttributeHeads(PARTS, (2, 2, 2)), 1.0, 1.0),
                 (_images(4, 3, 16, 16), torch.randint(0, 2, (4, 3)))),
        **{f"diffsiam-{m}": (r, [_images(4, 3, 16, 16)]) for m, r in siam.items()},
    }


@pytest.mark.parametrize("name", sorted(_recipes()))
def test_compile_units_are_the_modules_the_step_enters(name):
    recipe, batch = _recipes()[name]
    trainable, frozen = recipe_modules(recipe)
    torch.manual_seed(0)
    with entry_points([*trainable.values(), *frozen.values()]) as entered:
        loss, _ = recipe.loss(batch, 0)
        loss.backward()
    units = compile_units(recipe, trainable, frozen)
    assert entered, "the step entered none of the recipe's modules"
    assert {id(m) for m in units} == set(entered), (
        f"{name}: compiled {[type(m).__name__ for m in units]}, entered {[type(m).__name__ for m in entered.values()]}")


@pytest.mark.slow
def test_the_loop_compiles_the_units_and_trains_as_eager(tmp_path, monkeypatch):
    """compile: true on the CPU (inductor): the GAE's encoder and decoder are compiled, the top module is not, and
    two updates log the eager run's losses to float rounding."""
    import csv

    from torch.utils.data import TensorDataset

    from _tiny_recipe import train_config

    from diffae.train.loop import train

    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "inductor"))
    data = TensorDataset(torch.randn(16, 4, 16, generator=torch.Generator().manual_seed(0)))
    losses = {}
    for compiled in (False, True):
        torch.manual_seed(0)
        recipe = GAERecipe(_gae(), PARTS, 1.0, 0.5)
        cfg = train_config(steps=2, batch_size=8, lr=1e-3, log_every=1, compile=compiled)
        train(recipe, data, cfg, tmp_path / str(compiled), seed=0, progress=False)
        assert (recipe.gae.encoder._compiled_call_impl is not None) == compiled
        assert recipe.gae._compiled_call_impl is None
        rows = list(csv.DictReader(open(tmp_path / str(compiled) / "metrics.csv")))
        losses[compiled] = [float(r["loss"]) for r in rows]
    assert len(losses[True]) == 2
    assert losses[True] == pytest.approx(losses[False], rel=1e-4)


@pytest.mark.slow
def test_reduce_overhead_marks_each_update_and_trains_as_eager(tmp_path, monkeypatch):
    """compile_mode: reduce-overhead compiles the units in that mode and marks each update as a new CUDA-graph step
    (so the last update's graph outputs may be overwritten); on the CPU, where no graph is captured, it logs the eager
    run's losses to float rounding."""
    import csv

    from torch.utils.data import TensorDataset

    from _tiny_recipe import train_config

    import diffae.train.loop as loop

    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "inductor"))
    modes, marks = [], []
    real_compile, real_mark = loop.compile_in_place, torch.compiler.cudagraph_mark_step_begin
    monkeypatch.setattr(loop, "compile_in_place", lambda m, mode: modes.append(mode) or real_compile(m, mode))
    monkeypatch.setattr(torch.compiler, "cudagraph_mark_step_begin", lambda: marks.append(1) or real_mark())
    data = TensorDataset(torch.randn(16, 4, 16, generator=torch.Generator().manual_seed(0)))
    losses = {}
    for mode in (None, "reduce-overhead"):
        torch.manual_seed(0)
        recipe = GAERecipe(_gae(), PARTS, 1.0, 0.5)
        knobs = {"compile": True, "compile_mode": mode} if mode else {"compile": False}
        loop.train(recipe, data, train_config(steps=3, batch_size=8, lr=1e-3, log_every=1, **knobs),
                   tmp_path / str(mode), seed=0, progress=False)
        losses[mode] = [float(r["loss"]) for r in csv.DictReader(open(tmp_path / str(mode) / "metrics.csv"))]
    assert modes == ["reduce-overhead"] * len(compile_units(recipe, *recipe_modules(recipe)))
    assert len(marks) == 3
    assert losses["reduce-overhead"] == pytest.approx(losses[None], rel=1e-4)


@pytest.mark.parametrize("clash", [{"micro_batch": 4}, {"activation_checkpointing": True}])
def test_reduce_overhead_refuses_micro_batches_and_checkpointed_blocks(clash):
    from _tiny_recipe import train_config

    with pytest.raises(ValueError, match="compile_mode: reduce-overhead"):
        train_config(steps=1, batch_size=8, lr=1e-3, compile=True, compile_mode="reduce-overhead", **clash)
    assert train_config(steps=1, batch_size=8, lr=1e-3, compile=True, **clash).compile_mode == "default"
