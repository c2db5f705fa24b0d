"""ArcFace IR-SE50 identity similarity (Diff-AE Table 10, pSp protocol): the released file's layout, the crop,
the weight policy and the cosine."""
import pytest
import torch

from diffae.eval import weights as W
from diffae.eval.identity import IRSE50, ArcFaceIdentity, face_crop


def _bn(prefix: str, c: int) -> dict:
    return {f"{prefix}.{k}": (c,) for k in ("weight", "bias", "running_mean", "running_var")} | {
        f"{prefix}.num_batches_tracked": ()}


def _expected_keys() -> dict:
    """The released model_ir_se50.pth layout: input conv/BN/PReLU, 24 IR-SE units (3, 4, 14, 3 of widths 64, 128,
    256, 512; the first of each stage strided, with a 1x1 conv + BN shortcut where the width changes), then
    BN, dropout, flatten, Linear(512*7*7, 512), BN1d."""
    keys = {"input_layer.0.weight": (64, 3, 3, 3), **_bn("input_layer.1", 64), "input_layer.2.weight": (64,)}
    i, c_in = 0, 64
    for c, n in ((64, 3), (128, 4), (256, 14), (512, 3)):
        for u in range(n):
            p = f"body.{i}"
            if u == 0 and c_in != c:
                keys |= {f"{p}.shortcut_layer.0.weight": (c, c_in, 1, 1), **_bn(f"{p}.shortcut_layer.1", c)}
            cin = c_in if u == 0 else c
            keys |= {**_bn(f"{p}.res_layer.0", cin), f"{p}.res_layer.1.weight": (c, cin, 3, 3),
                     f"{p}.res_layer.2.weight": (c,), f"{p}.res_layer.3.weight": (c, c, 3, 3),
                     **_bn(f"{p}.res_layer.4", c), f"{p}.res_layer.5.fc1.weight": (c // 16, c, 1, 1),
                     f"{p}.res_layer.5.fc2.weight": (c, c // 16, 1, 1)}
            i += 1
        c_in = c
    return keys | _bn("output_layer.0", 512) | {"output_layer.3.weight": (512, 25088), "output_layer.3.bias": (512,)
                                                } | _bn("output_layer.4", 512)


def test_state_dict_has_the_released_layout():
    got = {k: tuple(v.shape) for k, v in IRSE50().state_dict().items()}
    assert got == _expected_keys()


def test_crop_is_psps_window_at_256_px_and_scales_with_the_size():
    for size in (256, 64):
        img = torch.zeros(1, 3, size, size)
        r0, r1, c0, c1 = (round(v * size / 256) for v in (35, 223, 32, 220))
        img[..., r0:r1, c0:c1] = 1.0                     # the window only
        out = face_crop(img)
        assert out.shape == (1, 3, 112, 112) and torch.allclose(out, torch.ones_like(out))
    img = torch.arange(256.0).view(1, 1, 256, 1).expand(1, 3, 256, 256)   # row index
    out = face_crop(img)
    assert out[0, 0, 0, 0] > 35 and out[0, 0, -1, 0] < 222                # rows 35..222 only, averaged


@pytest.fixture(scope="module")
def arcface():
    return ArcFaceIdentity(allow_random=True, seed=3)


def test_embeddings_are_unit_norm_and_the_cosine_behaves(arcface, empty_hub):
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    e = arcface.embed(x)
    assert e.shape == (2, 512) and torch.allclose(e.norm(dim=1), torch.ones(2), atol=1e-5)
    assert torch.allclose(arcface.cosine_similarity(x, x), torch.ones(2), atol=1e-5)
    y = torch.rand(2, 1, 32, 32) * 2 - 1                                 # gray: repeated to RGB
    ab, ba = arcface.cosine_similarity(x, y.repeat(1, 3, 1, 1)), arcface.cosine_similarity(y.repeat(1, 3, 1, 1), x)
    assert torch.allclose(ab, ba) and (ab.abs() <= 1 + 1e-6).all()
    assert arcface.random_init and "random-init, seed 3" in arcface.feature_net


def test_weight_file_round_trip_and_errors(arcface, tmp_path, empty_hub):
    torch.save(arcface.net.state_dict(), tmp_path / W.ARCFACE_FILE)
    loaded = ArcFaceIdentity(weights_dir=tmp_path, seed=99)
    assert not loaded.random_init and loaded.weights_path == tmp_path / W.ARCFACE_FILE
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    assert torch.equal(loaded.embed(x), arcface.embed(x))
    torch.save({"input_layer.0.weight": torch.zeros(1)}, tmp_path / W.ARCFACE_FILE)
    with pytest.raises(W.MetricWeightsError, match="model_ir_se50.pth"):
        ArcFaceIdentity(weights_dir=tmp_path)
    (tmp_path / W.ARCFACE_FILE).unlink()
    with pytest.raises(W.MetricWeightsError, match="pSp") as err:
        ArcFaceIdentity(weights_dir=tmp_path)
    assert str(tmp_path / W.ARCFACE_FILE) in str(err.value)


def test_fetch_weights_skips_the_file_without_an_address(tmp_path, monkeypatch):
    fetched = []
    monkeypatch.setattr(W, "sha256_matches", lambda path: True)
    monkeypatch.setattr(torch.hub, "download_url_to_file", lambda url, dst, progress=True: fetched.append(url))
    got = W.fetch_weights(tmp_path, progress=False)
    assert {p.name for p in got} == {W.ALEXNET_FILE, W.VGG16_FILE, W.FID_INCEPTION_FILE}
    assert len(fetched) == 3 and None not in fetched
