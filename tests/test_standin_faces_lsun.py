"""Stand-ins for Diff-AE's faces and LSUN sets, written in the real on-disk formats and read back by the real
loaders; their prepare stages, from a stand-in or from a real-format root; the rules that switch between them."""
import hashlib

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from diffae.config import ParamsError, load_params
from diffae.data.celeba import CELEBA_ATTRIBUTES
from diffae.data.celebahq import ANNO_FILE, load_celebahq
from diffae.data.ffhq import load_ffhq
from diffae.data.lsun import load_lsun
from diffae.data.prepared import load_prepared
from diffae.data.stages import prepare_celebahq, prepare_ffhq, prepare_lsun
from diffae.data.standin_face_folders import square_face, write_standin_celebahq, write_standin_ffhq
from diffae.data.standin_faces import face_for_index
from diffae.data.standin_lsun import ATTRIBUTE_FILE, BEDROOM_ATTRIBUTES, lsun_key, render_lsun, write_standin_lsun


def _tree_digest(root):
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return h.hexdigest()


def test_ffhq_standin_is_ffhq_layout_and_a_function_of_its_arguments(tmp_path):
    assert write_standin_ffhq(tmp_path / "a", n_images=1003, image_size=16, seed=1) == 1003
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["00000", "01000"]
    assert (tmp_path / "a/01000/01002.png").is_file()
    images, labels = load_ffhq(tmp_path / "a", image_size=16, progress=False)
    assert images.shape == (1003, 16, 16, 3) and labels["file"].iloc[-1] == "01000/01002.png"
    np.testing.assert_array_equal(images[7], square_face(1, 7, 16)[1])  # PNG is lossless
    write_standin_ffhq(tmp_path / "b", n_images=1003, image_size=16, seed=1)
    assert _tree_digest(tmp_path / "a") == _tree_digest(tmp_path / "b")
    write_standin_ffhq(tmp_path / "a", n_images=5, image_size=16, seed=1)  # smaller rerun: no stale files
    assert load_ffhq(tmp_path / "a", image_size=16, progress=False)[0].shape[0] == 5


def test_celebahq_standin_carries_the_drawn_attributes_and_is_disjoint_from_ffhq(tmp_path):
    write_standin_celebahq(tmp_path / "hq", n_images=40, image_size=32, seed=2)
    images, labels = load_celebahq(tmp_path / "hq", image_size=32, progress=False)
    assert images.shape == (40, 32, 32, 3) and list(labels.columns) == ["file", *CELEBA_ATTRIBUTES]
    for i in (0, 17, 39):
        attrs, _ = face_for_index(2, i)
        assert labels.loc[i, "file"] == f"{i}.jpg"
        assert [int(labels.loc[i, a]) for a in CELEBA_ATTRIBUTES] == [int(attrs[a] > 0) for a in CELEBA_ATTRIBUTES]
    assert labels["Male"].nunique() == 2 and labels["Eyeglasses"].nunique() == 2
    write_standin_ffhq(tmp_path / "ffhq", n_images=40, image_size=32, seed=1)
    train = load_ffhq(tmp_path / "ffhq", image_size=32, progress=False)[0].reshape(40, -1).astype(float)
    test = images.reshape(40, -1).astype(float)
    nearest = np.sqrt(((test[:, None] - train[None]) ** 2).mean(-1)).min(1)
    assert nearest.min() > 5.0  # no test face is (a JPEG of) a training face


def test_face_seeds_must_differ(params_file):
    bad = params_file("smoke.yaml", **{"data.celebahq.standin.seed": 1, "data.ffhq.standin.seed": 1})
    with pytest.raises(ParamsError, match=r"data.ffhq.standin.seed and data.celebahq.standin.seed are both 1"):
        load_params(bad)


@pytest.mark.parametrize("category", ["horse", "bedroom"])
def test_lsun_standin_is_an_lmdb_the_loader_reads(tmp_path, category):
    out = tmp_path / f"{category}_train_lmdb"
    assert write_standin_lsun(out, category, n_images=12, image_size=24, seed=5) == 12
    assert (out / "data.mdb").is_file() and not out.with_name(out.name + ".tmp").exists()
    images, labels = load_lsun(out, image_size=24, progress=False)
    keys = [lsun_key(category, 5, i) for i in range(12)]
    assert images.shape == (12, 24, 24, 3) and labels["file"].tolist() == sorted(keys)
    first = np.asarray(Image.fromarray(render_lsun(category, 5, keys.index(labels["file"][0]), 24)[0]))
    assert first.shape == (24, 32, 3)  # written landscape (4:3), loaded centre-cropped
    assert np.abs(images[0].astype(float) - first[:, 4:28].astype(float)).mean() < 12  # JPEG round trip
    assert (out / ATTRIBUTE_FILE).is_file() == (category == "bedroom")
    before = (out / "data.mdb").read_bytes()
    write_standin_lsun(out, category, n_images=12, image_size=24, seed=5)  # rerun replaces, byte-identical
    assert (out / "data.mdb").read_bytes() == before


def test_bedroom_attributes_change_the_picture():
    shots = [render_lsun("bedroom", 0, i, 32) for i in range(64)]
    images = np.stack([s[0] for s in shots]).astype(float)
    attrs = pd.DataFrame([s[1] for s in shots])
    assert list(attrs.columns) == list(BEDROOM_ATTRIBUTES) and (attrs.nunique() == 2).all()
    lit = attrs["indoor_lighting"] == 1
    assert images[lit].mean() > images[~lit].mean() + 20
    red_minus_blue = images[..., 0].mean((1, 2)) - images[..., 2].mean((1, 2))
    assert red_minus_blue[attrs["rusty"] == 1].mean() > red_minus_blue[attrs["rusty"] == 0].mean() + 15
    floor = images[:, 26:, :, :].reshape(64, -1, 3)  # bottom rows: mostly floor
    texture = floor.std(1).mean(1)
    assert texture[attrs["carpet"] == 1].mean() > texture[attrs["carpet"] == 0].mean()


def test_prepare_stages_from_standins_and_bedroom_labels(tmp_path):
    write_standin_lsun(tmp_path / "raw_bed", "bedroom", n_images=10, image_size=24, seed=0)
    prepare_lsun("bedroom", None, tmp_path / "raw_bed", tmp_path / "bed", image_size=16, limit=6)
    prepared = load_prepared(tmp_path / "bed")
    assert prepared.images.shape == (6, 16, 16, 3) and prepared.meta["source"] == "standin"
    assert prepared.meta["attributes"] == list(BEDROOM_ATTRIBUTES) and prepared.meta["limit"] == 6
    table = pd.read_csv(tmp_path / "raw_bed" / ATTRIBUTE_FILE, dtype={"file": str}).set_index("file")
    for row in prepared.labels.itertuples():
        assert [getattr(row, a) for a in BEDROOM_ATTRIBUTES] == table.loc[row.file].tolist()
    write_standin_celebahq(tmp_path / "raw_hq", n_images=8, image_size=32, seed=2)
    prepare_celebahq(None, tmp_path / "raw_hq", tmp_path / "hq", image_size=16, limit=None)
    assert load_prepared(tmp_path / "hq").meta["attributes"] == list(CELEBA_ATTRIBUTES)


def test_prepare_reads_a_real_format_root_when_set(tmp_path):
    """Real roots (fixtures in the released layouts, written by other code than the stand-ins) win over stand-ins."""
    ffhq = tmp_path / "images1024x1024" / "00000"
    ffhq.mkdir(parents=True)
    for i in range(3):
        Image.fromarray(np.full((40, 40, 3), 60 * i, np.uint8)).save(ffhq / f"{i:05d}.png")
    prepare_ffhq(str(ffhq.parent), tmp_path / "no-standin", tmp_path / "ffhq", image_size=8, limit=None)
    prepared = load_prepared(tmp_path / "ffhq")
    assert prepared.meta["source"] == "real" and prepared.images[:, 0, 0, 0].tolist() == [0, 60, 120]
    hq = tmp_path / "CelebAMask-HQ"
    (hq / "CelebA-HQ-img").mkdir(parents=True)
    for i in range(2):
        Image.fromarray(np.full((64, 64, 3), 200, np.uint8)).save(hq / "CelebA-HQ-img" / f"{i}.jpg")
    rows = [f"{i}.jpg " + " ".join("1" if a == "Smiling" and i else "-1" for a in CELEBA_ATTRIBUTES) for i in range(2)]
    (hq / ANNO_FILE).write_text("2\n" + " ".join(CELEBA_ATTRIBUTES) + "\n" + "\n".join(rows) + "\n")
    prepare_celebahq(str(hq), tmp_path / "no-standin", tmp_path / "hq", image_size=8, limit=None)
    assert load_prepared(tmp_path / "hq").labels["Smiling"].tolist() == [0, 1]


def test_rules_switch_to_a_real_root_for_each_dataset(repo, tool_env, tmp_path):
    import subprocess

    raw = yaml.safe_load((repo / "presets/smoke.yaml").read_text())
    raw["preset"] = "roots"
    for dataset in ("ffhq", "celebahq", "lsun_horse", "lsun_bedroom"):
        raw["data"][dataset]["root"] = str(tmp_path / dataset)
    (tmp_path / "roots.yaml").write_text(yaml.safe_dump(raw))
    res = subprocess.run(["snakemake", "-n", "--forceall", "--configfile", str(tmp_path / "roots.yaml")], cwd=repo,
                         env=tool_env, capture_output=True, text=True, timeout=300)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    for name in ("ffhq", "celebahq", "horse", "bedroom"):
        assert f"rule prepare_{name}:" in out and f"rule standin_{name}:" not in out, name
    assert "rule standin_celeba:" in out  # datasets without a root keep their stand-in
