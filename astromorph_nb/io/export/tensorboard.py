"""Write embeddings, metadata and a thumbnail sprite for TensorBoard's projector (io layer).

The projector reads four plain files, so tensorboard itself is not needed to write them:

- ``tensors.tsv``: one row per image, the embedding values separated by tabs (``%.9g``,
  which is exact for float32);
- ``metadata.tsv``: a header row (``index`` and the names of the 1-d metadata columns), then
  one row per image. Tabs and line breaks in values become spaces; masked values are empty;
- ``sprite.png``: the thumbnails as grey tiles, row-major in a square grid of
  ``ceil(sqrt(n_images))`` tiles per side;
- ``projector_config.pbtxt``: ties them together.

Browsers cannot load textures larger than 8192 pixels a side, and the old tool wrote
full-size tiles that overflowed beyond about 3,000 images. Here the tile size is
``min(ny, 8192 // ceil(sqrt(n_images)))`` (for square thumbnails), reached by averaging
pixel areas, so the sprite never exceeds 8192 pixels. Below 8-pixel tiles (more than
1,048,576 images) a sprite is useless and we raise instead.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from astropy.table import Column, Table
from PIL import Image

from astromorph_nb._typing import PathLike
from astromorph_nb.exceptions import OutputExistsError
from astromorph_nb.io._atomic import replace_atomically
from astromorph_nb.io.export.readable_text import readable_text

__all__ = ["PROJECTOR_FILES", "SPRITE_MAX_SIZE", "write_projector"]

#: The files write_projector writes, in the order it writes them.
PROJECTOR_FILES = ("tensors.tsv", "metadata.tsv", "sprite.png", "projector_config.pbtxt")
#: Largest sprite side in pixels that browsers (WebGL textures) accept.
SPRITE_MAX_SIZE = 8192
_MIN_TILE_SIZE = 8
_CHUNK_SIZE = 1024  # thumbnails resized at once; bounds the float32 working memory


def _sprite_tile_shape(n_images: int, ny: int, nx: int) -> tuple[int, int]:
    """Return the ``(ny, nx)`` of one sprite tile for ``n_images`` thumbnails of ``(ny, nx)``.

    Raises
    ------
    ValueError
        If the tiles would be smaller than 8 pixels.

    Examples
    --------
    >>> _sprite_tile_shape(5000, 64, 64)  # 71 tiles a side fit 115 px each
    (64, 64)
    >>> _sprite_tile_shape(20000, 64, 64)  # 142 tiles a side: 57 px each
    (57, 57)
    """
    n_side = math.isqrt(n_images - 1) + 1 if n_images > 1 else 1
    limit = SPRITE_MAX_SIZE // n_side
    if limit < _MIN_TILE_SIZE:
        largest = (SPRITE_MAX_SIZE // _MIN_TILE_SIZE) ** 2
        msg = (
            f"Too many thumbnails for one TensorBoard sprite in write_projector: "
            f"{n_images:,} images need {n_side} tiles a side, {limit} px each. Expected at "
            f"most {largest:,} images (tiles of at least {_MIN_TILE_SIZE} px in a "
            f"{SPRITE_MAX_SIZE} px sprite); got {n_images:,}. Pass a subset (e.g. every 10th "
            "image of embeddings, metadata and thumbnails), or thumbnails=None."
        )
        raise ValueError(msg)
    if max(ny, nx) <= limit:
        return ny, nx
    scale = limit / max(ny, nx)
    return max(1, math.floor(ny * scale)), max(1, math.floor(nx * scale))


def _shrink_last_axis(values: np.ndarray, size_out: int) -> np.ndarray:
    """Shrink ``values`` along its last axis to ``size_out`` pixels by averaging pixel areas.

    Output pixel ``i`` covers input coordinates ``[i * r, (i + 1) * r)`` with
    ``r = size_in / size_out``; each input pixel counts with the fraction of it inside.

    Examples
    --------
    >>> _shrink_last_axis(np.array([[0.0, 30.0, 60.0]], dtype=np.float32), 2).tolist()
    [[10.0, 50.0]]
    """
    size_in = values.shape[-1]
    if size_in == size_out:
        return values
    edges = np.arange(size_out + 1) * size_in / size_out
    first = np.floor(edges[:-1]).astype(np.intp)
    n_terms = int(np.max(np.ceil(edges[1:]) - first))
    out = np.zeros((*values.shape[:-1], size_out), dtype=np.float32)
    for k in range(n_terms):  # at most ceil(r) + 1 input pixels touch one output pixel
        index = first + k
        inside = np.minimum(edges[1:], index + 1) - np.maximum(edges[:-1], index)
        weight = (np.clip(inside, 0, None) * (size_out / size_in)).astype(np.float32)
        term = np.take(values, np.minimum(index, size_in - 1), axis=-1)
        term *= weight
        out += term
    return out


def _make_sprite(thumbnails: np.ndarray, tile_shape: tuple[int, int]) -> np.ndarray:
    """Return the uint8 sprite of ``thumbnails`` (n, ny, nx), tiles of ``tile_shape``.

    Tiles are placed row-major in a square grid; unused tiles at the end are black.

    Examples
    --------
    >>> thumbnails = np.full((3, 4, 4), 200, dtype=np.uint8)
    >>> sprite = _make_sprite(thumbnails, (2, 2))
    >>> sprite.shape, int(sprite[0, 0]), int(sprite[3, 3])
    ((4, 4), 200, 0)
    """
    n_images, ny, nx = thumbnails.shape
    tile_ny, tile_nx = tile_shape
    n_side = math.isqrt(n_images - 1) + 1 if n_images > 1 else 1
    tiles = np.zeros((n_side * n_side, tile_ny, tile_nx), dtype=np.uint8)
    if (tile_ny, tile_nx) == (ny, nx):
        tiles[:n_images] = thumbnails
    else:
        for start in range(0, n_images, _CHUNK_SIZE):
            chunk = thumbnails[start : start + _CHUNK_SIZE].astype(np.float32)
            # Shrink x, then turn the chunk so that y is the fast (last) axis, and shrink y.
            narrow = np.ascontiguousarray(_shrink_last_axis(chunk, tile_nx).transpose(0, 2, 1))
            resized = _shrink_last_axis(narrow, tile_ny).transpose(0, 2, 1)
            tiles[start : start + len(chunk)] = np.clip(np.rint(resized), 0, 255)
    grid = tiles.reshape(n_side, n_side, tile_ny, tile_nx).transpose(0, 2, 1, 3)
    return grid.reshape(n_side * tile_ny, n_side * tile_nx)


def _tsv_text(value: Any) -> str:
    """One metadata cell: masked -> empty; tabs and line breaks -> spaces; see readable_text."""
    if value is None or value is np.ma.masked:
        return ""
    text = readable_text(value if isinstance(value, (str, bytes)) else str(value))
    return " ".join(text.replace("\t", " ").splitlines())


def _metadata_lines(metadata: Table | None, n_images: int) -> list[str] | None:
    """Header + one line per image: an index column, then the 1-d columns of ``metadata``.

    None if there are no such columns: TensorBoard reads a one-column file without header.
    """
    if metadata is None:
        return None
    names = [name for name in metadata.colnames if len(metadata[name].shape) == 1]
    if not names:
        return None
    index_name = "index" if "index" not in names else "image_index"
    cells: list[list[Any] | tuple[Any, ...]] = [[index_name, *names]]
    columns: list[list[Any]] = [list(range(n_images))]
    for name in names:
        column = metadata[name]
        columns.append(column.tolist() if isinstance(column, Column) else list(column))
    cells.extend(zip(*columns, strict=True))
    return ["\t".join(_tsv_text(value) for value in row) for row in cells]


def _config_text(
    tensor_name: str, *, has_metadata: bool, sprite_dim: tuple[int, int] | None
) -> str:
    """Return the text of projector_config.pbtxt (protobuf text format)."""
    one_line = " ".join(tensor_name.splitlines())
    quoted = one_line.replace("\\", "\\\\").replace('"', '\\"')
    lines = ["embeddings {", f'  tensor_name: "{quoted}"', '  tensor_path: "tensors.tsv"']
    if has_metadata:
        lines.append('  metadata_path: "metadata.tsv"')
    if sprite_dim is not None:
        lines += [
            "  sprite {",
            '    image_path: "sprite.png"',
            f"    single_image_dim: {sprite_dim[0]}",
            f"    single_image_dim: {sprite_dim[1]}",
            "  }",
        ]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _check_inputs(
    embeddings: Any, metadata: Table | None, thumbnails: Any, tensor_name: Any
) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate the inputs of write_projector; return embeddings and thumbnails as arrays."""
    values = np.asarray(embeddings)
    if values.ndim != 2 or values.shape[0] < 1 or values.shape[1] < 1:
        msg = (
            "Wrong shape of 'embeddings' in write_projector. Expected (n_images, n_features) "
            f"with at least one image; got {values.shape}."
        )
        raise ValueError(msg)
    values = values.astype(np.float32)
    n_bad = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
    if n_bad:
        msg = (
            f"'embeddings' in write_projector contain {n_bad} NaN or infinite values, which "
            "TensorBoard cannot show. Check the model, or drop those images."
        )
        raise ValueError(msg)
    n_images = len(values)
    if metadata is not None and metadata.colnames and len(metadata) != n_images:
        msg = (
            f"'metadata' in write_projector has {len(metadata)} rows. Expected one row per "
            f"image ({n_images}); got {len(metadata)}. Pass the metadata of the same images."
        )
        raise ValueError(msg)
    if not isinstance(tensor_name, str) or not tensor_name.strip():
        msg = f"'tensor_name' in write_projector must be a non-empty str; got {tensor_name!r}."
        raise ValueError(msg)
    if thumbnails is None:
        return values, None
    pictures = np.asarray(thumbnails)
    if pictures.dtype != np.uint8 or pictures.ndim != 3 or len(pictures) != n_images:
        msg = (
            "Wrong 'thumbnails' in write_projector. Expected a uint8 array of shape "
            f"({n_images}, ny, nx) in numpy order; got {pictures.dtype} of shape "
            f"{pictures.shape}. Scale images to 0-255 and convert with .astype(np.uint8)."
        )
        raise ValueError(msg)
    return values, pictures


def write_projector(
    logdir: PathLike,
    embeddings: Any,
    metadata: Table | None,
    thumbnails: np.ndarray | None,
    *,
    tensor_name: str = "astromorph",
    overwrite: bool = False,
) -> Path:
    """Write the TensorBoard projector files for ``embeddings`` to ``logdir``.

    Parameters
    ----------
    logdir : str or os.PathLike
        Folder for the files (created if needed); run ``tensorboard --logdir <logdir>``.
    embeddings : ndarray of shape (n_images, n_features)
        One embedding per image; stored as float32.
    metadata : astropy.table.Table or None
        One row per image. Only 1-d columns are written (embedding-like columns of shape
        (n_images, k) are skipped); an ``index`` column is added first. None, or a table
        without 1-d columns, writes no ``metadata.tsv``.
    thumbnails : ndarray of shape (n_images, ny, nx), uint8, or None
        Grey thumbnails for the sprite, shrunk by area averaging if needed (see the module
        docstring). None writes no sprite.
    tensor_name : str, default="astromorph"
        Name of the tensor shown in the projector.
    overwrite : bool, default=False
        Replace projector files already in ``logdir`` (other files there are kept).

    Returns
    -------
    pathlib.Path
        ``logdir``.

    Raises
    ------
    OutputExistsError
        If ``logdir`` holds projector files and ``overwrite`` is False.
    ValueError
        For wrong shapes or dtypes, non-finite embeddings, or too many thumbnails for one
        sprite (more than 1,048,576).

    Examples
    --------
    >>> import tempfile
    >>> logdir = write_projector(tempfile.mkdtemp(), np.eye(3), Table({"name": list("abc")}),
    ...                          np.zeros((3, 8, 8), dtype=np.uint8))
    >>> sorted(path.name for path in logdir.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['metadata.tsv', 'projector_config.pbtxt', 'sprite.png', 'tensors.tsv']
    """
    values, pictures = _check_inputs(embeddings, metadata, thumbnails, tensor_name)
    folder = Path(logdir).expanduser()
    existing = [name for name in PROJECTOR_FILES if (folder / name).exists()]
    if existing and not overwrite:
        listed = ", ".join(existing)
        msg = (
            f"{str(folder)!r} holds projector files already ({listed}) in write_projector. "
            "Choose another logdir, or pass overwrite=True to replace them."
        )
        raise OutputExistsError(msg)
    tile_shape = None if pictures is None else _sprite_tile_shape(*pictures.shape)
    folder.mkdir(parents=True, exist_ok=True)

    tensors = folder / "tensors.tsv"
    with (
        replace_atomically(tensors) as temporary,
        temporary.open("w", encoding="utf-8", newline="\n") as handle,
    ):
        np.savetxt(handle, values, fmt="%.9g", delimiter="\t")
    lines = _metadata_lines(metadata, len(values))
    if lines is not None:
        with replace_atomically(folder / "metadata.tsv") as temporary:
            temporary.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    else:
        (folder / "metadata.tsv").unlink(missing_ok=True)  # stale, from an earlier call
    if pictures is not None and tile_shape is not None:
        sprite = _make_sprite(pictures, tile_shape)
        with replace_atomically(folder / "sprite.png", suffix=".png") as temporary:
            Image.fromarray(np.ascontiguousarray(sprite)).save(temporary, format="PNG")
    else:
        (folder / "sprite.png").unlink(missing_ok=True)
    sprite_dim = None if tile_shape is None else (tile_shape[1], tile_shape[0])
    config = _config_text(tensor_name, has_metadata=lines is not None, sprite_dim=sprite_dim)
    with replace_atomically(folder / "projector_config.pbtxt") as temporary:
        temporary.write_text(config, encoding="utf-8", newline="\n")
    return folder
