"""params eval.compile: the DDIM evaluation paths run a compiled decoder with the eager numbers (issue 14)."""
import pytest
import torch
from _tiny_artifacts import tiny_artifacts

from diffae.eval.codecs import codec_digest, load_codec, load_codecs


@pytest.mark.slow
def test_a_compiled_codec_reconstructs_as_the_eager_one_and_keeps_its_digest(tmp_path):
    paths = tiny_artifacts(tmp_path)
    eager = load_codec("Diff-AE", paths["diffae"], "cpu", clip_x0=True)
    compiled = load_codec("Diff-AE", paths["diffae"], "cpu", clip_x0=True, compile=True)
    assert eager.unet._compiled_call_impl is None
    assert compiled.unet._compiled_call_impl is not None
    assert compiled.encoder._compiled_call_impl is None  # one call per image: not worth a compile
    gen = torch.Generator().manual_seed(0)
    x, noise = torch.rand(3, 3, 8, 8, generator=gen) * 2 - 1, torch.randn(3, 3, 8, 8, generator=gen)
    z = eager.encode(x)
    torch.testing.assert_close(compiled.encode(x), z)
    for path in (lambda c: c.invert(x, z, 4), lambda c: c.decode(z, 4, x_T=noise)):  # Table 2's two halves
        want, got = path(eager), path(compiled)
        assert got.shape == x.shape
        torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
    assert (eager.decode(z, 4, x_T=noise) - noise).abs().max() > 0.1  # the compared outputs are the UNet's work
    # resumable evaluations key their partial rows by this digest: compiling must not invalidate them
    assert codec_digest(compiled) == codec_digest(eager)


def test_load_codecs_compiles_the_diffusion_codecs_only_when_asked(tmp_path):
    paths = tiny_artifacts(tmp_path)
    for compile in (False, True):
        codecs = load_codecs({"Diff-AE": paths["diffae"], "DDIM": paths["ddim"], "GZS-Net": None}, ("a", "b"),
                             "cpu", clip_x0=True, z_dim=6, partition_sizes=(1, 1), compile=compile)
        assert sorted(codecs) == ["DDIM", "Diff-AE"]
        assert all((c.unet._compiled_call_impl is not None) == compile for c in codecs.values())
