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
from astromorph_nb.analysis.tsne import TSNEMap
from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.exceptions import InvalidFileError
from astromorph_nb.io.store.schema import check_session_files
from astromorph_nb.io.store.session_folder import (
    SessionFiles,
    read_session_folder,
    write_session_folder,
)
from astromorph_nb.session.model_spec import ModelSpec, model_for, state_on_cpu
from astromorph_nb.session.quality import training_seconds
from astromorph_nb.train.config import DEVICES, TrainingConfig
from astromorph_nb.train.quality import QUALITY_COLUMNS

if TYPE_CHECKING:
    from astromorph_nb.session.session import Session

__all__ = ["load_session", "save_session"]

_T = TypeVar("_T")

_TSNE_SETTINGS = (
    "perplexity",
    "metric",
    "n_early_exaggeration_iter",
    "n_iter",
    "early_exaggeration",
    "exaggeration",
    "learning_rate",
    "random_state",
    "n_jobs",
)


def _finite_or_none(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)


def save_session(
    session: Session, path: str | os.PathLike[str], *, overwrite: bool, include_images: bool
) -> Path:
    """Write ``session`` to the folder ``path`` (atomically, see ``write_session_folder``)."""
    arrays: dict[str, np.ndarray] = {
        "loss_steps": session._history.steps,
        "loss_values": session._history.losses,
        "epoch_means": session._history.epoch_means,
        "epoch_steps": np.asarray(session._epoch_steps, dtype=np.int64),
    }
    # The quality history, one plain array per column, like the loss history.
    arrays.update({f"quality_{name}": v for name, v in session._quality.columns().items()})
    if session._quality_labels is not None:
        arrays["quality_labels"] = session._quality_labels
    if session._images is not None and include_images:
        arrays["images"] = session._images.images.numpy()
        arrays["mask"] = session._images.mask.numpy()
    if session._images is not None or session._thumbnails is not None:
        arrays["thumbnails"] = session.thumbnails
    optional = {
        "embeddings": session._embeddings,
        "tsne_coordinates": None if session._tsne is None else session._tsne.coordinates_,
        "anomaly_scores": session._scores,
        "cluster_labels": session._clusters,
    }
    arrays.update({name: value for name, value in optional.items() if value is not None})
    tsne = session._tsne
    info = {
        "astromorph_nb_version": __version__,
        "n_images": session.n_images,
        "image_shape": list(session._image_shape),
        "model_spec": session.model_spec.to_dict(),
        "random_state": session.random_state,
        "device": session.device,
        "ui_interval_s": session.ui_interval_s,
        "status": session.status,
        "step": session.step,
        "latest_loss": _finite_or_none(session.latest_loss),
        "config": None if session._config is None else session._config.to_dict(),
        "n_runs": session._n_runs,
        "last_reason": session._last_reason,
        "step_offset": 0 if session._reporter is None else session._reporter.step_offset,
        "training_seconds": training_seconds(session),
        "images_per_second": _finite_or_none(session._images_per_second),
        "embeddings_step": session._embeddings_step,
        "tsne_settings": None
        if tsne is None
        else {name: getattr(tsne, name) for name in _TSNE_SETTINGS},
        "score_method": session._score_method,
        "cluster_method": session._cluster_method,
        "selection": list(session.selection),
        # A custom pipeline is code and is not saved; its settings-free runs reload defaults.
        "augmentation_settings": session.augmentation_settings,
    }
    state = {"model": state_on_cpu(session._model), "resume": session._resume_state}
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
    session = cls._restored(
        images,
        n_images=int(info["n_images"]),
        image_shape=tuple(info["image_shape"]),
        meta=files.meta,
        model=byol,
        spec=spec,
        random_state=info["random_state"],
        device=device,
        ui_interval_s=float(info["ui_interval_s"]),
    )
    _restore_history(session, arrays)
    _restore_quality(session, info, arrays)
    config = info["config"]
    if config is not None:
        session._config = _built("config", source, lambda: TrainingConfig.from_dict(config))
    session._n_runs = int(info["n_runs"])
    session._last_reason = info["last_reason"]
    session._resume_state = files.state.get("resume")
    if session._resume_state is not None:
        from astromorph_nb.session.training import SessionReporter

        session._reporter = SessionReporter(
            session,
            step_offset=int(info["step_offset"]),
            ui_interval_s=session.ui_interval_s,
            n_epochs=session._config.n_epochs if session._config is not None else 0,
        )
    settings: dict[str, Any] = {
        key: tuple(value) if isinstance(value, list) else value
        for key, value in (info.get("augmentation_settings") or {}).items()
    }
    _built("augmentation_settings", source, lambda: session.set_augmentations(None, **settings))
    if "thumbnails" in arrays:
        session._thumbnails = arrays["thumbnails"]
    _built("tsne_settings", source, lambda: _restore_results(session, info, arrays))
    with session.hold_trait_notifications():
        session.set_trait("step", int(info["step"]))
        latest = info["latest_loss"]
        session.set_trait("latest_loss", math.nan if latest is None else float(latest))
        status = info["status"] if info["status"] != "training" else "trained"
        session.set_trait("status", "empty" if session._images is None else status)
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


def _restore_history(session: Session, arrays: dict[str, np.ndarray]) -> None:
    history = session._history
    for step, loss in zip(arrays["loss_steps"], arrays["loss_values"], strict=True):
        history.on_batch_end(step=int(step), loss=float(loss))
    for mean in arrays["epoch_means"]:
        history.on_epoch_end(mean_loss=float(mean))
    session._epoch_steps = [int(s) for s in arrays["epoch_steps"]]


def _restore_quality(session: Session, info: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Refill the quality history, labels and training time (absent in older folders)."""
    if all(f"quality_{name}" in arrays for name in QUALITY_COLUMNS):
        columns = [np.asarray(arrays[f"quality_{name}"]) for name in QUALITY_COLUMNS]
        for row in zip(*columns, strict=True):
            session._quality.append(**dict(zip(QUALITY_COLUMNS, row, strict=True)))
    if "quality_labels" in arrays:
        session._quality_labels = np.array(arrays["quality_labels"], dtype=np.int64)
    session._training_seconds = float(info.get("training_seconds") or 0.0)
    speed = info.get("images_per_second")
    session._images_per_second = math.nan if speed is None else float(speed)


def _restore_results(session: Session, info: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    if "embeddings" in arrays:
        session._embeddings = np.asarray(arrays["embeddings"])
        session._embeddings_step = int(info["embeddings_step"])
        if "tsne_coordinates" in arrays and info["tsne_settings"] is not None:
            session._tsne = TSNEMap.from_coordinates(
                session._embeddings, arrays["tsne_coordinates"], **info["tsne_settings"]
            )
    if "anomaly_scores" in arrays:
        session._scores = np.asarray(arrays["anomaly_scores"])
        session._score_method = info["score_method"]
    if "cluster_labels" in arrays:
        session._clusters = np.asarray(arrays["cluster_labels"])
        session._cluster_method = info["cluster_method"]
