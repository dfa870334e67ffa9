"""The fields of a saved Session, checked before a session is rebuilt from them (io layer).

:func:`check_session_files` looks at everything ``Session.load`` uses, in the
:class:`~astromorph_nb.io.store.session_folder.SessionFiles` that ``read_session_folder`` returns,
before anything is built or allocated: every field of ``info`` (type, range, finiteness,
agreement with the arrays), every array (name, dimensions, dtype, length), the metadata
table's length and the weights' layout. The arrays are only looked at through their shapes
and dtypes, so memory-mapped arrays are not read. A damaged or tampered folder is refused
with an :class:`~astromorph_nb.exceptions.InvalidFileError` naming the field, what was
expected and what was found, rather than failing later with a ``KeyError`` or loading
anomaly scores of the wrong length.

Settings whose valid values are defined by the layers above (the devices, statuses and the
training, t-SNE and augmentation settings) are passed in, or checked by the objects built
from them; this module only requires them to be JSON values without NaN or infinities.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from astromorph_nb._validation import shorten
from astromorph_nb.io.store.safety import damaged

__all__ = ["MAX_CHANNELS", "MAX_HEAD_SIZE", "MAX_IMAGE_SIZE", "check_session_files"]

#: Largest number of channels (bands) a saved model may declare.
MAX_CHANNELS = 4096
#: Largest width of BYOL's projector and predictor a saved model may declare (4 x the paper's).
MAX_HEAD_SIZE = 16384
#: Largest image side in pixels a saved session may declare.
MAX_IMAGE_SIZE = 65536

_PER_IMAGE = {  # name: (ndim, dtype kinds, what the axes are)
    "images": (4, "f", "(n_images, n_channels, ny, nx) of floats"),
    "mask": (4, "b", "(n_images, n_channels, ny, nx) of bools"),
    "thumbnails": (3, "u", "(n_images, ty, tx) of uint8"),
    "embeddings": (2, "f", "(n_images, n_features) of floats"),
    "tsne_coordinates": (2, "f", "(n_images, 2) of floats"),
    "anomaly_scores": (1, "f", "(n_images,) of floats"),
    "cluster_labels": (1, "iu", "(n_images,) of ints"),
    "quality_labels": (1, "iu", "(n_images,) of ints"),
}
_HISTORY = {  # name: dtype kinds (1-d)
    "loss_steps": "iu",
    "loss_values": "f",
    "epoch_means": "f",
    "epoch_steps": "iu",
}
_RESUME_KEYS = {
    "model": dict,
    "optimizer": dict,
    "config": dict,
    "step": int,
    "epoch": int,
    "position": int,
    "elapsed_s": numbers.Real,
    "losses": torch.Tensor,
    "shuffle_rng": torch.Tensor,
    "augment_rng": torch.Tensor,
}


def _is_int(value: Any, minimum: int, maximum: float = math.inf) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= maximum


def _is_real(value: Any, minimum: float = -math.inf) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and float(value) >= minimum
    )


def _is_plain(value: Any) -> bool:
    """JSON values with finite numbers only (no NaN, no infinities)."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_plain(item) for item in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, (str, int))


def _info_fields(
    info: dict[str, Any], *, devices: Sequence[str], statuses: Sequence[str]
) -> dict[str, tuple[str, Callable[[Any], bool], bool]]:
    """Return ``field: (what is expected, check, required)`` for the ``info`` of a session."""
    n_images: Any = info.get("n_images")
    last = n_images - 1 if _is_int(n_images, 2) else None

    def in_range(index: Any) -> bool:
        return last is not None and _is_int(index, 0, last)

    def optional(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
        return lambda value: value is None or check(value)

    def settings(value: Any) -> bool:
        return value is None or (isinstance(value, dict) and _is_plain(value))

    def shape(value: Any) -> bool:
        limits = (MAX_CHANNELS, MAX_IMAGE_SIZE, MAX_IMAGE_SIZE)
        return (
            isinstance(value, list)
            and len(value) == 3
            and all(_is_int(n, 1, top) for n, top in zip(value, limits, strict=True))
        )

    return {
        "astromorph_nb_version": ("a str", lambda v: isinstance(v, str), True),
        "n_images": ("an int of at least 2", lambda v: _is_int(v, 2), True),
        "image_shape": (
            f"[n_channels, ny, nx]: ints from 1 to {MAX_CHANNELS:,} channels and "
            f"{MAX_IMAGE_SIZE:,} pixels",
            shape,
            True,
        ),
        "model_spec": (
            "a dict of JSON values",
            lambda v: isinstance(v, dict) and settings(v),
            True,
        ),
        "random_state": ("null or an int >= 0", optional(lambda v: _is_int(v, 0)), True),
        "device": (f"one of {', '.join(devices)}", lambda v: v in devices, True),
        "ui_interval_s": ("a finite number >= 0", lambda v: _is_real(v, 0.0), True),
        "status": (f"one of {', '.join(statuses)}", lambda v: v in statuses, True),
        "step": ("an int >= 0", lambda v: _is_int(v, 0), True),
        "latest_loss": ("null or a finite number", optional(_is_real), True),
        "config": ("null or a dict of finite JSON values", settings, True),
        "n_runs": ("an int >= 0", lambda v: _is_int(v, 0), True),
        "last_reason": ("null or a str", optional(lambda v: isinstance(v, str)), True),
        "step_offset": ("an int >= 0", lambda v: _is_int(v, 0), True),
        "training_seconds": ("null or a number >= 0", optional(lambda v: _is_real(v, 0)), False),
        "images_per_second": ("null or a number >= 0", optional(lambda v: _is_real(v, 0)), False),
        "embeddings_step": ("an int >= -1", lambda v: _is_int(v, -1), True),
        "tsne_settings": ("null or a dict of finite JSON values", settings, True),
        "score_method": ("null or a str", optional(lambda v: isinstance(v, str)), True),
        "score_feedback": (
            "null or a dict of 'interesting' and 'boring' tag names (str or null)",
            optional(_is_feedback),
            False,
        ),
        "cluster_method": ("null or a str", optional(lambda v: isinstance(v, str)), True),
        "selection": (
            f"a list of image indices from 0 to {'n_images - 1' if last is None else last}",
            lambda v: isinstance(v, list) and all(in_range(i) for i in v),
            True,
        ),
        "augmentation_settings": ("null or a dict of finite JSON values", settings, False),
    }


def _is_feedback(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"interesting", "boring"}
        and all(v is None or isinstance(v, str) for v in value.values())
    )


def _check_info(
    info: dict[str, Any], source: Path, *, devices: Sequence[str], statuses: Sequence[str]
) -> None:
    for field, (expected, valid, required) in _info_fields(
        info, devices=devices, statuses=statuses
    ).items():
        if field not in info:
            if required:
                raise damaged(source, f"session.json has no field 'info.{field}' ({expected})")
            continue
        if not valid(info[field]):
            problem = (
                f"session.json field 'info.{field}' is {shorten(info[field], 80)}; "
                f"expected {expected}"
            )
            raise damaged(source, problem)


def _check_arrays(
    info: dict[str, Any],
    arrays: dict[str, np.ndarray],
    source: Path,
    *,
    quality_columns: Sequence[str],
) -> None:
    """Check names, dimensions, dtypes and lengths of the arrays (shapes only: no reading)."""
    quality = {f"quality_{name}": "iu" if name == "step" else "f" for name in quality_columns}
    one_d = {**_HISTORY, **quality}
    unknown = sorted(set(arrays) - set(one_d) - set(_PER_IMAGE))
    if unknown:
        known = ", ".join(sorted({*one_d, *_PER_IMAGE}))
        problem = f"it holds arrays {unknown} that a session does not save (expected: {known})"
        raise damaged(source, problem)

    def found(name: str) -> str:
        return f"{name}.npy has shape {arrays[name].shape} and dtype {arrays[name].dtype}"

    for name, kinds in one_d.items():
        if name in arrays and (arrays[name].ndim != 1 or arrays[name].dtype.kind not in kinds):
            raise damaged(source, f"{found(name)}; expected a 1-d array of {kinds} numbers")
    missing = [name for name in _HISTORY if name not in arrays]
    present = [name for name in quality if name in arrays]
    if present and len(present) != len(quality):
        missing += [name for name in quality if name not in arrays]
    if missing:
        raise damaged(source, f"it has no {', '.join(f'{m}.npy' for m in missing)}")
    for group in (("loss_steps", "loss_values"), present):
        lengths = {name: len(arrays[name]) for name in group}
        if len(set(lengths.values())) > 1:
            raise damaged(source, f"the arrays {lengths} must all have the same length")
    n_images, (c, ny, nx) = info["n_images"], info["image_shape"]
    expected_shapes: dict[str, tuple[int, ...]] = {
        "images": (n_images, c, ny, nx),
        "mask": (n_images, c, ny, nx),
        "tsne_coordinates": (n_images, 2),
    }
    for name, (ndim, kinds, axes) in _PER_IMAGE.items():
        if name not in arrays:
            continue
        array = arrays[name]
        shape = expected_shapes.get(name, (n_images, *array.shape[1:]))
        if array.ndim != ndim or array.shape != shape or array.dtype.kind not in kinds:
            problem = f"{found(name)}; expected {axes} for n_images = {n_images}"
            if name in ("images", "mask"):
                problem += f" and image_shape = {info['image_shape']}"
            raise damaged(source, problem)
    if not {"images", "thumbnails"} & set(arrays):
        raise damaged(source, "it has neither images.npy nor thumbnails.npy")
    needs = {
        "mask": "images",
        "images": "mask",
        "tsne_coordinates": "embeddings",
    }
    for name, partner in needs.items():
        if name in arrays and partner not in arrays:
            raise damaged(source, f"it has {name}.npy but no {partner}.npy")
    settings = {
        "tsne_coordinates": "tsne_settings",
        "anomaly_scores": "score_method",
        "cluster_labels": "cluster_method",
    }
    for name, field in settings.items():
        if name in arrays and info[field] is None:
            raise damaged(
                source, f"it has {name}.npy but session.json field 'info.{field}' is null"
            )


def _check_model(info: dict[str, Any], state: Any, source: Path) -> None:
    """Check the model spec (sizes capped, matching the images and weights) and the state."""
    spec = info["model_spec"]
    kind = spec.get("kind")
    if kind not in ("default", "named", "custom"):
        problem = (
            f"session.json field 'info.model_spec.kind' is {shorten(kind)}; expected "
            "'default', 'named' or 'custom'"
        )
        raise damaged(source, problem)
    channels = info["image_shape"][0]
    sizes = {"in_channels": (channels, channels)}
    if kind == "named":
        sizes |= {key: (1, MAX_HEAD_SIZE) for key in ("projection_size", "projection_hidden_size")}
    for key, (low, high) in sizes.items():
        value = spec.get(key)
        if not _is_int(value, low, high):
            wanted = f"{low}, the channels of image_shape" if low == high else f"{low} to {high:,}"
            problem = (
                f"session.json field 'info.model_spec.{key}' is {shorten(value)}; expected {wanted}"
            )
            raise damaged(source, problem)
    if kind != "default" and not isinstance(spec.get("encoder"), str):
        problem = (
            "session.json field 'info.model_spec.encoder' is not a str; expected an encoder name"
        )
        raise damaged(source, problem)
    if not isinstance(state, dict) or not isinstance(state.get("model"), dict):
        raise damaged(source, "state.pt holds no 'model' dict of weights")
    weights = state["model"]
    for key, value in weights.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            problem = (
                f"state.pt entry 'model' holds {shorten(key)}: {type(value).__name__}; "
                "expected a dict of str to tensors"
            )
            raise damaged(source, problem)
    if kind == "named":
        heads = {
            "projection_hidden_size": ("projector.layers.0.weight", 0),
            "projection_size": ("projector.layers.3.weight", 0),
        }
        for key, (weight, axis) in heads.items():
            tensor = weights.get(weight)
            if tensor is not None and (tensor.ndim != 2 or tensor.shape[axis] != spec[key]):
                problem = (
                    f"session.json field 'info.model_spec.{key}' is {spec[key]}, but the "
                    f"weights {weight} in state.pt have shape {tuple(tensor.shape)}"
                )
                raise damaged(source, problem)
    _check_resume(state.get("resume"), info["n_images"], source)


def _check_resume(resume: Any, n_images: int, source: Path) -> None:
    if resume is None:
        return
    if not isinstance(resume, dict):
        raise damaged(
            source, f"state.pt entry 'resume' is a {type(resume).__name__}; expected a dict"
        )
    for key, kind in _RESUME_KEYS.items():
        value = resume.get(key)
        valid = isinstance(value, kind) and not isinstance(value, bool)
        if kind is int:
            valid = _is_int(value, 0)
        elif kind is numbers.Real:
            valid = _is_real(value, 0.0)
        if not valid:
            problem = (
                f"state.pt entry 'resume.{key}' is {shorten(value)}; expected "
                f"{'an int >= 0' if kind is int else 'a ' + kind.__name__}"
            )
            raise damaged(source, problem)
    order = resume.get("order")
    if order is not None and not (
        isinstance(order, torch.Tensor)
        and order.ndim == 1
        and not order.is_floating_point()
        and (order.numel() == 0 or (int(order.min()) >= 0 and int(order.max()) < n_images))
    ):
        problem = f"state.pt entry 'resume.order' is not a 1-d tensor of indices below {n_images}"
        raise damaged(source, problem)


def check_session_files(
    files: Any,
    source: Path,
    *,
    devices: Sequence[str],
    statuses: Sequence[str],
    quality_columns: Sequence[str],
) -> None:
    """Check everything a saved session holds before a Session is rebuilt from it.

    Parameters
    ----------
    files : SessionFiles
        What :func:`~astromorph_nb.io.store.session_folder.read_session_folder` returned.
    source : pathlib.Path
        The folder, for messages.
    devices, statuses : sequence of str
        The valid ``info.device`` and ``info.status`` values.
    quality_columns : sequence of str
        The columns of the quality history (arrays ``quality_<column>``).

    Raises
    ------
    InvalidFileError
        Naming the first field that is missing, of the wrong type, out of range, not
        finite, or of the wrong length, with what was expected and what was found.
    """
    info = files.info
    _check_info(info, source, devices=devices, statuses=statuses)
    _check_arrays(info, files.arrays, source, quality_columns=quality_columns)
    meta = files.meta
    if meta.colnames and len(meta) != info["n_images"]:
        problem = (
            f"its metadata table has {len(meta)} rows; expected one per image, "
            f"info.n_images = {info['n_images']}"
        )
        raise damaged(source, problem)
    _check_model(info, files.state, source)
