"""What every group of ``Session`` verbs works on: the observable traits and the owned parts.

``Session`` is put together from classes of verbs grouped by what they do (training,
analysis, figures, outputs), each in its own module. They all derive from
:class:`SessionState`, which declares the state they share and who owns it:

- ``_images`` (:class:`~astromorph_nb.session.images.SessionImages`): pixels, metadata, tags;
- ``_model`` and ``_model_spec`` (:mod:`~astromorph_nb.session.model_spec`): the network and
  how to build it again;
- ``_training`` (:class:`~astromorph_nb.session.training.TrainingRecord`): every run;
- ``_results`` (:class:`~astromorph_nb.session.results.Results`): embeddings and what was
  computed from them, replaced as a whole by new embeddings;
- ``_augmentations`` and ``_augmentation_settings``: how training views are made.

Only ``Session._setup`` assigns the parts; the verbs change them through their methods.
Small observable state lives in traits, which widgets observe.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from traitlets import Float, HasTraits, Int, Tuple, Unicode

from astromorph_nb.exceptions import BusyError

if TYPE_CHECKING:
    from astromorph_nb.augment import Augmentation
    from astromorph_nb.model.byol import BYOL
    from astromorph_nb.session.images import SessionImages
    from astromorph_nb.session.model_spec import ModelSpec
    from astromorph_nb.session.results import Results
    from astromorph_nb.session.training import TrainingRecord

__all__ = ["SessionState"]


class SessionState(HasTraits):
    """The traits and parts of a session (documented on :class:`~astromorph_nb.Session`)."""

    status = Unicode("ready", read_only=True)
    step = Int(0, read_only=True)
    latest_loss = Float(math.nan, read_only=True)
    selection = Tuple(read_only=True)
    results_version = Int(0, read_only=True)

    random_state: int | None
    device: str
    ui_interval_s: float
    _images: SessionImages
    _model: BYOL
    _model_spec: ModelSpec
    _training: TrainingRecord
    _results: Results
    _augmentations: Augmentation
    _augmentation_settings: dict[str, Any]

    @property
    def is_training(self) -> bool:
        """True while a training job is running (or paused)."""
        return self._training.is_running

    def _check_idle(self, verb: str) -> None:
        """Raise BusyError while training runs, saying how to wait before ``verb``."""
        if self.is_training:
            msg = (
                f"A training run is already in progress ({self._training.progress_text()}). "
                f"Call session.stop() or session.wait() first, then session.{verb}()."
            )
            raise BusyError(msg)

    def _changed(self) -> None:
        """Tell observers that results or tags changed."""
        self.set_trait("results_version", self.results_version + 1)

    def _seed(self, offset: int = 0) -> int | None:
        """Return the session's seed moved by ``offset`` (one per run), or None."""
        return None if self.random_state is None else self.random_state + offset
