"""Activation checkpointing of the UNet and encoder blocks (``train.<stage>.activation_checkpointing``).

A checkpointed block keeps only its inputs for the backward pass and recomputes its inner activations there
(``torch.utils.checkpoint``, non-reentrant, RNG state preserved so dropout draws the same mask twice). Gradients are
those of the plain run; memory falls to about the blocks' inputs, at the cost of a second forward of each block.
This is how a batch whose loss is not a per-sample mean (DiffuseGAE fine-tuning, Eq. 12: L_ur recombines
across the batch, so it cannot be split into micro-batches) fits one GPU (issue 14, item 3).

Blocks: :class:`~diffae.nets.layers.ResBlock` and :class:`~diffae.nets.layers.AttentionBlock`, which make up the
Diff-AE UNet, its semantic encoder and Alter-ResNet. Both hold GroupNorm only, so the recomputation updates no
running statistics. Parameters and state-dict keys do not change; in eval mode or without grad a block runs plainly.
"""
from __future__ import annotations

import functools

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from diffae.nets.layers import AttentionBlock, ResBlock

BLOCKS = (ResBlock, AttentionBlock)


def checkpoint_blocks(module: nn.Module) -> int:
    """Checkpoint the activations of every block of ``module`` (in place; again is a no-op). Returns how many
    blocks are checkpointed."""
    n = 0
    for block in module.modules():
        if isinstance(block, BLOCKS):
            if not isinstance(block.forward, functools.partial):
                block.forward = functools.partial(_checkpointed, block, block.forward)
            n += 1
    return n


def _checkpointed(block: nn.Module, forward, *args, **kwargs):
    if block.training and torch.is_grad_enabled():
        return checkpoint(forward, *args, use_reentrant=False, **kwargs)
    return forward(*args, **kwargs)
