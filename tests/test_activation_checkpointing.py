"""Activation checkpointing (diffae.train.activation_checkpointing): same gradients, fewer saved activations."""
from __future__ import annotations

import copy
import csv
import functools

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from _tiny_recipe import TinyRecipe, train_config
from test_compile_units import PARTS, UNET, _gae

from diffae.diffusion import GaussianDiffusion
from diffae.nets import build_encoder
from diffae.nets.layers import AttentionBlock, ResBlock
from diffae.nets.unet import UNet
from diffae.train import activation_checkpointing
from diffae.train.activation_checkpointing import checkpoint_blocks
from diffae.train.loop import train
from diffae.train.recipes.diffae import DiffAERecipe
from diffae.train.recipes.finetune import FinetuneRecipe

DROPOUT_UNET = {**UNET, "dropout": 0.1}  # dropout: the recomputation must draw the same masks


def _finetune() -> FinetuneRecipe:
    torch.manual_seed(0)
    encoder = build_encoder("alter_resnet", image_size=16, base_channels=8, channel_mult=(1, 2), num_res_blocks=2,
                            z_dim=16, dropout=0.1)
    return FinetuneRecipe(encoder, _gae(), UNet(cond_dim=16, **DROPOUT_UNET), GaussianDiffusion.from_schedule(
        "linear", 100), PARTS, torch.zeros(16), torch.ones(16), 1.0, 0.5, 0.5)


def _grads(recipe, batch) -> tuple[float, dict[str, torch.Tensor]]:
    modules = recipe.modules()
    for m in modules.values():
        m.train()
        m.zero_grad(set_to_none=True)
    torch.manual_seed(1)
    loss, _ = recipe.loss(batch, 0)
    loss.backward()
    return loss.item(), {f"{k}.{n}": p.grad for k, m in modules.items() for n, p in m.named_parameters()
                         if p.grad is not None}


def test_checkpointed_blocks_give_the_plain_gradients_with_dropout():
    """Fine-tuning (Alter-ResNet encoder, GAE, conditional UNet, dropout 0.1): the loss and every gradient are the
    plain run's, bit for bit; the weights' names are unchanged."""
    plain = _finetune()
    ckpt = copy.deepcopy(plain)
    keys = {k: list(m.state_dict()) for k, m in ckpt.modules().items()}
    # encoder: 2 ResBlocks at 16 px, a ResBlock and an MSA block at 8 px; UNet: 4 down, 3 middle, 7 up
    assert (checkpoint_blocks(ckpt.encoder), checkpoint_blocks(ckpt.unet), checkpoint_blocks(ckpt.gae)) == (4, 14, 0)
    assert {k: list(m.state_dict()) for k, m in ckpt.modules().items()} == keys
    batch = [torch.rand(2, 4, 3, 16, 16) * 2 - 1]
    loss_a, grads_a = _grads(plain, batch)
    loss_b, grads_b = _grads(ckpt, batch)
    assert loss_a == loss_b
    assert grads_a.keys() == grads_b.keys() and len(grads_a) > 0
    for k in grads_a:
        assert torch.equal(grads_a[k], grads_b[k]), k


def _saved_bytes(unet: UNet, x: torch.Tensor, cond: torch.Tensor) -> int:
    """Bytes of the distinct storages autograd saves for the backward pass of one loss."""
    storages: dict[int, int] = {}

    def pack(t):
        storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t

    t = torch.randint(0, 100, (x.shape[0],))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = unet(x, t, cond).square().mean()
    loss.backward()
    return sum(storages.values())


def test_checkpointing_keeps_a_fraction_of_the_activations():
    torch.manual_seed(0)
    unet = UNet(cond_dim=16, **{**DROPOUT_UNET, "image_size": 32})
    x, cond = torch.randn(4, 3, 32, 32), torch.randn(4, 16)
    plain = _saved_bytes(unet, x, cond)
    checkpoint_blocks(unet)
    checkpointed = _saved_bytes(unet, x, cond)
    assert checkpointed < plain / 4, (checkpointed, plain)


def test_eval_and_no_grad_run_the_blocks_plainly(monkeypatch):
    torch.manual_seed(0)
    unet = UNet(cond_dim=16, **DROPOUT_UNET).eval()
    x, t, cond = torch.randn(2, 3, 16, 16), torch.tensor([3, 70]), torch.randn(2, 16)
    with torch.no_grad():
        before = unet(x, t, cond)
    checkpoint_blocks(unet)
    assert checkpoint_blocks(unet) == 14  # a second call wraps nothing twice
    called = []
    monkeypatch.setattr(activation_checkpointing, "checkpoint", lambda *a, **k: called.append(1))
    with torch.no_grad():
        after = unet(x, t, cond)
    assert torch.equal(before, after) and not called


def _diffae_recipe() -> DiffAERecipe:
    torch.manual_seed(0)
    encoder = build_encoder("halfunet", image_size=16, base_channels=8, channel_mult=(1, 2), num_res_blocks=1,
                            attn_resolutions=(8,), z_dim=16)
    return DiffAERecipe(encoder, UNet(cond_dim=16, **DROPOUT_UNET), GaussianDiffusion.from_schedule("linear", 100))


def _losses(out) -> list[float]:
    return [float(r["loss"]) for r in csv.DictReader(open(out / "metrics.csv"))]


def test_the_loop_trains_alike_with_activation_checkpointing(tmp_path):
    """Three updates of Diff-AE (dropout on) log the same losses and end with the same weights."""
    data = TensorDataset(torch.rand(8, 3, 16, 16) * 2 - 1)
    weights = {}
    for on in (False, True):
        recipe = _diffae_recipe()
        cfg = train_config(steps=3, batch_size=4, lr=1e-3, log_every=1, activation_checkpointing=on)
        train(recipe, data, cfg, tmp_path / str(on), seed=0, progress=False)
        weights[on] = {k: m.state_dict() for k, m in recipe.modules().items()}
        assert isinstance(recipe.unet.input_blocks[1][0].forward, functools.partial) == on
    assert _losses(tmp_path / "True") == _losses(tmp_path / "False")
    for k, sd in weights[False].items():
        for n, v in sd.items():
            assert torch.equal(v, weights[True][k][n]), f"{k}.{n}"


def test_a_stage_without_blocks_is_told_to_turn_it_off(tmp_path):
    data = TensorDataset(torch.randn(8, 8))
    cfg = train_config(steps=1, batch_size=4, lr=1e-3, activation_checkpointing=True)
    with pytest.raises(ValueError, match="activation_checkpointing: true.*TinyRecipe.*enc, head.*set it to false"):
        train(TinyRecipe(), data, cfg, tmp_path, seed=0, progress=False)


class _TwoBlocks(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.res = ResBlock(8, 8, emb_channels=4, cond_channels=16, z_shift=True)
        self.attn = AttentionBlock(8)

    def forward(self, x, emb, cond):
        return self.attn(self.res(x, emb, cond))


@pytest.mark.slow
def test_compiled_checkpointed_blocks_give_the_eager_gradients(tmp_path, monkeypatch):
    """torch.compile traces through checkpointed blocks (inductor, CPU): a ResBlock and an attention block give
    the eager gradients to float rounding."""
    from diffae.utils.compiling import compile_in_place

    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "inductor"))
    torch.manual_seed(0)
    plain = _TwoBlocks()
    nn.init.normal_(plain.res.out_layers[-1].weight)  # zero-initialised convs would give zero gradients upstream
    nn.init.normal_(plain.attn.proj_out.weight)
    compiled = copy.deepcopy(plain)
    assert checkpoint_blocks(compiled) == 2
    compile_in_place(compiled)
    inputs = torch.randn(2, 8, 8, 8), torch.randn(2, 4), torch.randn(2, 16)
    grads = []
    for net in (plain, compiled):
        net(*inputs).square().mean().backward()
        grads.append({n: p.grad for n, p in net.named_parameters()})
    for n, g in grads[0].items():  # inductor sums in another order; a conv bias before a GroupNorm has a zero
        assert (grads[1][n] - g).norm() <= 1e-4 * (g.norm() + 1), n  # gradient, up to rounding
    assert compiled._compiled_call_impl is not None
