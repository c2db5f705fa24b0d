"""Training steps never read a value of the device back to the host (issue: no per-step host synchronisation).

Each recipe's loss and backward run on PyTorch's ``meta`` device, whose tensors have shapes but no values: any
read of a value (``.item()``, ``float(t)``, ``t.cpu().numpy()``, a data-dependent Python branch) raises there,
so a step that completes on ``meta`` waits for the device nowhere (the loop's own reads are tested in
test_train_loop.py)."""
from __future__ import annotations

import pytest
import torch

from diffae.diffusion import GaussianDiffusion
from diffae.diffusion.pdae import PDAEWeights
from diffae.nets import build_encoder
from diffae.nets.latent_mlp import LatentMLP
from diffae.nets.pdae_shift import PDAEShift
from diffae.nets.resnet10 import ResNet10
from diffae.nets.siamese import SimSiamHead
from diffae.nets.unet import UNet
from diffae.train.recipes.ddim import DDIMRecipe
from diffae.train.recipes.diffae import DiffAERecipe
from diffae.train.recipes.diffsiam import DiffSiamRecipe, DiffSiamSettings
from diffae.train.recipes.latent_ddim import LatentDDIMRecipe

UNET = dict(image_size=16, base_channels=8, channel_mult=(1, 2), num_res_blocks=1, attn_resolutions=(8,),
            embed_channels=16, dropout=0.1)
META = torch.device("meta")


def _step(recipe, batch):
    loss, terms = recipe.loss(batch, 0)
    loss.backward()
    assert loss.device == META and loss.shape == () and all(v.device == META for v in terms.values())


def test_reading_a_meta_value_fails():
    """What the tests below rely on."""
    with pytest.raises(Exception):
        float(torch.ones((), device=META))


def test_image_diffusion_steps_stay_on_the_device():
    diffusion = GaussianDiffusion.from_schedule("linear", 100)
    x = torch.empty(4, 3, 16, 16, device=META)
    with META:
        enc = build_encoder("halfunet", image_size=16, base_channels=8, channel_mult=(1, 2), num_res_blocks=1,
                            attn_resolutions=(8,), z_dim=16)
        cond_unet, unet = UNet(cond_dim=16, **UNET), UNet(cond_dim=None, **UNET)
    _step(DiffAERecipe(enc, cond_unet, diffusion), [x])
    _step(DDIMRecipe(unet, diffusion), [x])


def test_latent_ddim_step_stays_on_the_device():
    with META:
        net = LatentMLP(z_dim=16, hidden=32, num_layers=3)
    _step(LatentDDIMRecipe(net, GaussianDiffusion.from_schedule("linear", 100)), [torch.empty(8, 16, device=META)])


@pytest.mark.parametrize("method", ["diffsiam", "pdae"])
def test_diffsiam_step_stays_on_the_device(method):
    diffusion = GaussianDiffusion.from_schedule("linear", 100)
    with META:
        shift = PDAEShift(z_dim=16, **UNET)
        encoder, head = ResNet10(width=2, z_dim=16), SimSiamHead(z_dim=16, pred_hidden=8, projector=False)
    settings = DiffSiamSettings(method=method, n_segments=4)
    _step(DiffSiamRecipe(encoder, shift, head, diffusion, settings), [torch.empty(4, 3, 16, 16, device=META)])
    weights, t = PDAEWeights.of(diffusion), torch.zeros(4, dtype=torch.long, device=META)
    assert weights.gather(weights.w_train, t, torch.empty(4, 3, device=META)).shape == (4, 1)


def test_gae_step_stays_on_the_device():
    from diffae.nets import registry
    from diffae.nets.partition import Partition
    from diffae.train.recipes.gae import GAERecipe

    with META:
        gae = registry.build(registry.net_spec("GAE", z_dim=6, dis_dim=4, hidden=8, n_mlp=4, n_bottleneck=2,
                                               norm="layer"))
    _step(GAERecipe(gae, Partition(("a", "b", "c"), (2, 1, 1)), 1.0, 0.5), [torch.empty(5, 4, 6, device=META)])
