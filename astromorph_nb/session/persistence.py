"""Translate a Session to and from its saved folder (see ``io/store/session_folder.py``).

The folder keeps state dicts, plain arrays, a metadata table and a JSON record; the model is
rebuilt from its spec, so loading executes nothing from the files.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import torch
from torch import nn

from astromorph_nb import __version__
from astromorph_nb._validation import finite_or_none
from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.exceptions import InvalidFileError
from astromorph_nb.io.store.schema import check_session_files
from astromorph_nb.io.store.session_folder import (
    SessionFiles,
    read_session_folder,
    write_session_folder,
)
from astromorph_nb.session.images import SessionImages
from astromorph_nb.session.model_spec import ModelSpec, model_for, state_on_cpu
from astromorph_nb.session.results import Results
from astromorph_nb.session.training import SessionReporter, TrainingRecord
from astromorph_nb.train.config import DEVICES, TrainingConfig
from astromorph_nb.train.quality import QUALITY_COLUMNS

if TYPE_CHECKING:
    from astromorph_nb.session.session import Session

__all__ = ["load_session", "save_session"]

_T = TypeVar("_T")


def save_session(
    session: Session, path: str | os.PathLike[str], *, overwrite: bool, include_images: bool
) -> Path:
    """Write ``session`` to the folder ``path`` (atomically, see ``write_session_folder``)."""
    training_arrays, training_info = session._training.to_arrays()
    results_arrays, results_info = session._results.to_arrays()
    arrays = {
        **training_arrays,
        **session._images.to_arrays(include_images=include_images),
        **results_arrays,
    }
    info = {
        "astromorph_nb_version": __version__,
        "n_images": session.n_images,
        "image_shape": list(session._images.image_shape),
        "model_spec": session.model_spec.to_dict(),
        "random_state": session.random_state,
        "device": session.device,
        "ui_interval_s": session.ui_interval_s,
        "status": session.status,
        "step": session.step,
        "latest_loss": finite_or_none(session.latest_loss),
        **training_info,
        **results_info,
        "selection": list(session.selection),
        # A custom pipeline is code and is not saved; its settings-free runs reload defaults.
        "augmentation_settings": session.augmentation_settings,
    }
    state = {"model": state_on_cpu(session._model), "resume": session._training.resume_state}
    files = SessionFiles(info=info, arrays=arrays, meta=session.meta, state=state)
    return write_session_folder(path, files, overwrite=overwrite)


def load_session(
    cls: type[Session], path: str | os.PathLike[str], *, model: nn.Module | None, device: str
) -> Session:
    """Rebuild a session from a folder written by :func:`save_session`.

    Every field is checked first (``io/store/schema.py``), so a damaged or tampered
    folder raises InvalidFileError naming the field before anything is built.
    """
    from astromorph_nb.session.session import STATUSES

    source = Path(path).expanduser()
    files = read_session_folder(source)
    where = f"The session in {str(path)!r}"
    if files.state is None or "model" not in files.state:
        msg = f"{where} has no model weights (state.pt is missing)."
        raise InvalidFileError(msg)
    check_session_files(
        files, source, devices=DEVICES, statuses=STATUSES, quality_columns=QUALITY_COLUMNS
    )
    info, arrays = files.info, files.arrays
    spec, weights = ModelSpec.from_dict(info["model_spec"]), files.state["model"]
    if model is not None:
        byol = _built(
            "model_spec",
            source,
            lambda: model_for(model, in_channels=spec.in_channels, pretrained=False)[0],
        )
    elif spec.kind == "custom":
        byol = spec.build()  # says to pass the user's model
    else:
        byol = _built("model_spec", source, lambda: spec.build(weights=False))
    _built("state.pt model weights", source, lambda: byol.load_state_dict(weights))
    images = None
    if "images" in arrays:
        images = _built(
            "images",
            source,
            lambda: ImageSet(
                _tensor(arrays["images"]), mask=_tensor(arrays["mask"]), meta=files.meta
            ),
        )
    held = SessionImages(
        images,
        files.meta,
        int(info["n_images"]),
        tuple(info["image_shape"]),
        thumbnails_cache=arrays.get("thumbnails"),
    )
    config = info["config"]
    record = TrainingRecord.from_arrays(
        arrays,
        info,
        config=None
        if config is None
        else _built("config", source, lambda: TrainingConfig.from_dict(config)),
        resume_state=files.state.get("resume"),
    )
    session = cls._restored(
        held,
        model=byol,
        spec=spec,
        random_state=info["random_state"],
        device=device,
        ui_interval_s=float(info["ui_interval_s"]),
        training=record,
        results=_built("tsne_settings", source, lambda: Results.from_arrays(arrays, info)),
    )
    if record.resume_state is not None:
        record.reporter = SessionReporter(
            session,
            record,
            step_offset=int(info["step_offset"]),
            ui_interval_s=session.ui_interval_s,
            n_epochs=record.config.n_epochs if record.config is not None else 0,
        )
    settings: dict[str, Any] = {
        key: tuple(value) if isinstance(value, list) else value
        for key, value in (info.get("augmentation_settings") or {}).items()
    }
    _built("augmentation_settings", source, lambda: session.set_augmentations(None, **settings))
    with session.hold_trait_notifications():
        session.set_trait("step", int(info["step"]))
        latest = info["latest_loss"]
        session.set_trait("latest_loss", math.nan if latest is None else float(latest))
        status = info["status"] if info["status"] != "training" else "trained"
        session.set_trait("status", "empty" if images is None else status)
        session.set_trait("selection", tuple(int(i) for i in info["selection"]))
    return session


def _built(field: str, source: Path, build: Callable[[], _T]) -> _T:
    """Return ``build()``; a ValueError or TypeError becomes an error naming ``field``."""
    try:
        return build()
    except (ValueError, TypeError, RuntimeError) as err:
        msg = (
            f"The saved session at {str(source)!r} is damaged: its {field} cannot be used "
            f"({err}). Save the session again, or restore the folder from a copy."
        )
        raise InvalidFileError(msg) from err


def _tensor(array: np.ndarray) -> torch.Tensor:
    """Return a tensor over a loaded array (memory-mapped arrays stay memory-mapped)."""
    if not array.flags.writeable:
        array = np.array(array)
    return torch.from_numpy(array)
