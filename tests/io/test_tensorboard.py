from __future__ import annotations

import math

import numpy as np
import pytest
from astropy.table import MaskedColumn, Table
from PIL import Image

from astromorph_nb.exceptions import OutputExistsError
from astromorph_nb.io.export.tensorboard import PROJECTOR_FILES, SPRITE_MAX_SIZE, write_projector


def example(n_images: int = 5, n_features: int = 4):
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(n_images, n_features)).astype(np.float32)
    metadata = Table()
    metadata["OBJECT"] = [f"NGC {i}\tcore\nhalo" for i in range(n_images)]
    metadata["score"] = MaskedColumn(np.arange(n_images) / 2, mask=np.arange(n_images) == 1)
    metadata["embedding"] = embeddings  # 2-d: left out of metadata.tsv
    thumbnails = rng.integers(0, 256, size=(n_images, 6, 6), dtype=np.uint8)
    return embeddings, metadata, thumbnails


def config_values(path, key):
    return [line.split(":", 1)[1].strip() for line in path.read_text().splitlines() if key in line]


def test_writes_all_projector_files(tmp_path):
    embeddings, metadata, thumbnails = example()
    logdir = write_projector(tmp_path / "tb", embeddings, metadata, thumbnails)
    assert logdir == tmp_path / "tb"
    assert sorted(p.name for p in logdir.iterdir()) == sorted(PROJECTOR_FILES)
    config = logdir / "projector_config.pbtxt"
    assert config_values(config, "tensor_name") == ['"astromorph"']
    assert config_values(config, "tensor_path") == ['"tensors.tsv"']
    assert config_values(config, "metadata_path") == ['"metadata.tsv"']
    assert config_values(config, "image_path") == ['"sprite.png"']
    assert config_values(config, "single_image_dim") == ["6", "6"]


def test_tensors_tsv_parses_back_exactly(tmp_path):
    embeddings, metadata, thumbnails = example(n_images=7, n_features=3)
    embeddings[0, 0] = np.float32(1 / 3)
    logdir = write_projector(tmp_path, embeddings, metadata, thumbnails)
    parsed = np.loadtxt(logdir / "tensors.tsv", delimiter="\t", dtype=np.float32)
    np.testing.assert_array_equal(parsed, embeddings)


def test_metadata_tsv_has_header_and_one_clean_row_per_image(tmp_path):
    embeddings, metadata, thumbnails = example()
    logdir = write_projector(tmp_path, embeddings, metadata, thumbnails)
    lines = (logdir / "metadata.tsv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(embeddings) + 1
    assert lines[0] == "index\tOBJECT\tscore"
    assert lines[1] == "0\tNGC 0 core halo\t0.0"
    assert lines[2] == "1\tNGC 1 core halo\t"  # masked -> empty


def sprite_size(logdir):
    with Image.open(logdir / "sprite.png") as sprite:
        return sprite.size


@pytest.mark.parametrize(
    ("thumbnail_shape", "tile"),
    [
        ((64, 64), (64, 64)),  # 71 tiles a side of 64 px: 4544 px, no shrinking needed
        ((128, 2), (1, 115)),  # 71 x 128 px would be 9088 px: tiles shrink to 115 px
    ],
)
def test_sprite_stays_within_8192_pixels_for_5000_images(tmp_path, thumbnail_shape, tile):
    n_images = 5000
    thumbnails = np.zeros((n_images, *thumbnail_shape), np.uint8)
    embeddings = np.zeros((n_images, 2), dtype=np.float32)
    logdir = write_projector(tmp_path, embeddings, None, thumbnails)
    width, height = config_values(logdir / "projector_config.pbtxt", "single_image_dim")
    n_side = math.ceil(math.sqrt(n_images))
    assert (int(width), int(height)) == tile
    assert sprite_size(logdir) == (int(width) * n_side, int(height) * n_side)
    assert max(sprite_size(logdir)) <= SPRITE_MAX_SIZE
    assert not (logdir / "metadata.tsv").exists()


def test_sprite_tiles_are_area_averages_in_row_major_order(tmp_path):
    thumbnails = np.zeros((3, 4, 4), dtype=np.uint8)
    thumbnails[1] = 100
    thumbnails[2, :2, :2] = 200  # one quarter bright
    logdir = write_projector(tmp_path, np.eye(3), None, thumbnails)
    with Image.open(logdir / "sprite.png") as image:
        sprite = np.asarray(image)
    assert image.mode == "L"
    assert sprite.shape == (8, 8)
    assert sprite[0, 4] == 100  # image 1: row 0, column 1
    assert sprite[4, 0] == 200  # image 2: row 1, column 0
    assert sprite[4:, 4:].max() == 0  # unused tile


def test_small_tiles_keep_the_mean_brightness():
    from astromorph_nb.io.export.tensorboard import _make_sprite

    thumbnails = np.zeros((1, 4, 4), dtype=np.uint8)
    thumbnails[0, :, :2] = 200
    sprite = _make_sprite(thumbnails, (3, 3))
    np.testing.assert_allclose(sprite.mean(), 100, atol=1)
    assert sprite[0].tolist() == [200, 100, 0]


def test_too_many_images_for_a_sprite_suggests_a_subset(tmp_path):
    n_images = 1025**2
    thumbnails = np.broadcast_to(np.zeros((1, 8, 8), np.uint8), (n_images, 8, 8))
    embeddings = np.broadcast_to(np.zeros((1, 1), np.float32), (n_images, 1))
    with pytest.raises(ValueError, match=r"at most 1,048,576 images.*Pass a subset"):
        write_projector(tmp_path, embeddings, None, thumbnails)
    assert list(tmp_path.iterdir()) == []


def test_existing_projector_files_need_overwrite(tmp_path):
    embeddings, metadata, thumbnails = example()
    write_projector(tmp_path, embeddings, metadata, thumbnails)
    (tmp_path / "events.out.tfevents").write_text("keep")
    with pytest.raises(OutputExistsError, match="holds projector files already.*overwrite=True"):
        write_projector(tmp_path, embeddings, metadata, thumbnails)
    write_projector(tmp_path, embeddings[:2], None, None, tensor_name='my "run"', overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "events.out.tfevents",
        "projector_config.pbtxt",
        "tensors.tsv",
    ]
    config = (tmp_path / "projector_config.pbtxt").read_text()
    assert 'tensor_name: "my \\"run\\""' in config
    assert "sprite" not in config
    assert "metadata_path" not in config


def test_wrong_inputs_are_explained(tmp_path):
    embeddings, metadata, thumbnails = example()
    with pytest.raises(ValueError, match=r"Expected \(n_images, n_features\).*got \(5,\)"):
        write_projector(tmp_path, embeddings[:, 0], metadata, thumbnails)
    bad = embeddings.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="contain 1 NaN or infinite values"):
        write_projector(tmp_path, bad, metadata, thumbnails)
    with pytest.raises(ValueError, match="Expected one row per image \\(5\\); got 4"):
        write_projector(tmp_path, embeddings, metadata[:4], thumbnails)
    with pytest.raises(ValueError, match=r"uint8 array of shape \(5, ny, nx\).*got float64"):
        write_projector(tmp_path, embeddings, metadata, thumbnails.astype(float))
    with pytest.raises(ValueError, match="'tensor_name' in write_projector must be a non-empty"):
        write_projector(tmp_path, embeddings, metadata, thumbnails, tensor_name="")
    assert list(tmp_path.iterdir()) == []
