"""Session: the one object a user holds, from images to maps and exports (session layer).

A session owns an image set, a BYOL model, at most one background training job, and the
results computed from the model: embeddings, a t-SNE map, anomaly scores and clusters.
Small observable state is held in traits (``status``, ``step``, ``latest_loss``,
``selection``, ``results_version``) that widgets observe; heavy results are read-only
properties that raise :class:`~astromorph_nb.NotReadyError` naming the step that makes them.
Analysis steps run in the caller's thread; only training runs in the background.

Examples
--------
>>> import numpy as np
>>> from astromorph_nb import Session
>>> rng = np.random.default_rng(0)
>>> session = Session.from_arrays(rng.random((40, 32, 32)), random_state=0, device="cpu")
>>> session
<Session: 40 images 1×32×32, status='ready', 0 steps, t-SNE map: no>
>>> job = session.train(n_epochs=2, batch_size=16)
>>> job.wait()
'completed'
>>> session.embed().shape
(40, 128)
>>> session.neighbors(0, k=3)["index"].shape
(3,)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np
from astropy.table import Table
from traitlets import HasTraits

from astromorph_nb._validation import check_choice, check_positive_int
from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.session.figures import FigureMethods
from astromorph_nb.session.images import NAME_COLUMNS, SessionImages, imageset_from_arrays
from astromorph_nb.session.model_spec import ModelSpec, model_for
from astromorph_nb.session.outputs import OutputMethods
from astromorph_nb.session.results import Results
from astromorph_nb.session.tables import color_options, color_values
from astromorph_nb.session.training import TrainingRecord
from astromorph_nb.session.training_methods import TrainingMethods
from astromorph_nb.train.config import DEVICES

# What only some methods use is imported inside them, so that ``import astromorph_nb`` and
# the Session class load neither the trainer and augmentations nor matplotlib (which
# astropy.visualization imports), scikit-learn or openTSNE.
if TYPE_CHECKING:
    from torch import nn

    from astromorph_nb.model.byol import BYOL

__all__ = ["NAME_COLUMNS", "STATUSES", "Session", "imageset_from_arrays"]

#: Values of :attr:`Session.status`.
STATUSES = ("empty", "ready", "training", "trained", "failed")


class Session(TrainingMethods, FigureMethods, OutputMethods):
    """Images, a BYOL model, its training, and everything computed from it.

    Parameters
    ----------
    images : ImageSet
        Preprocessed images (see :func:`astromorph_nb.read_fits`). The session does no I/O
        and starts no work when created.
    model : None, "default", str, torch.nn.Module or BYOL, default=None
        The network. None (or ``"default"``) is the default model for quality per minute of
        CPU, starting from the weights shipped with the package when ``pretrained`` (one-
        channel images). A string names an encoder for
        :func:`~astromorph_nb.model.build_encoder` (``"resnet18-layer2"``); a module is used
        as the encoder; a ``BYOL`` model is used as it is; a
        :class:`~astromorph_nb.session.model_spec.ModelSpec` is built as it says.
    pretrained : bool, default=True
        Start the default model from the shipped weights; False trains from scratch.
    random_state : int or None, default=None
        Seed for the model's initial weights, training, t-SNE, clustering and anomaly
        scores; fix it to repeat results.
    device : {"auto", "cpu", "cuda", "mps"}, default="auto"
        Where training and embedding run; ``"auto"`` takes a GPU when there is one.
    ui_interval_s : float, default=0.25
        Least time between two updates of the ``step`` and ``latest_loss`` traits while
        training runs (observers such as widgets see at most 4 updates per second).

    Attributes
    ----------
    status : str
        One of ``"empty"`` (saved without images), ``"ready"`` (not trained),
        ``"training"``, ``"trained"`` or ``"failed"``. Observable; read-only.
    step : int
        Optimiser steps taken over all training runs. Observable; read-only.
    latest_loss : float
        Loss of the latest step (NaN before training). Observable; read-only.
    selection : tuple of int
        The selected images (see :meth:`select`). Observable; read-only.
    results_version : int
        Goes up whenever embeddings, the map, scores, clusters or tags change. Observable.
    """

    def __init__(
        self,
        images: ImageSet,
        *,
        model: str | nn.Module | ModelSpec | None = None,
        pretrained: bool = True,
        random_state: int | None = None,
        device: str = "auto",
        ui_interval_s: float = 0.25,
    ) -> None:
        super().__init__()
        if not isinstance(images, ImageSet):
            msg = (
                f"Session needs an ImageSet; got {type(images).__name__}. Use "
                "Session.from_fits(...) for files or Session.from_arrays(...) for arrays."
            )
            raise TypeError(msg)
        if len(images) < 2:
            msg = f"A session needs at least 2 images; got {len(images)}."
            raise ValueError(msg)
        if random_state is not None:
            check_positive_int(random_state, name="random_state", where="Session", minimum=0)
        check_choice(device, DEVICES, name="device", where="Session")
        byol, spec = model_for(
            model, in_channels=images.n_channels, pretrained=pretrained, random_state=random_state
        )
        self._setup(
            SessionImages.of(images),
            model=byol,
            spec=spec,
            random_state=random_state,
            device=device,
            ui_interval_s=ui_interval_s,
        )

    @classmethod
    def _restored(cls, images: SessionImages, **parts: Any) -> Session:
        """Build a session over checked saved state (``persistence.py``), images or not.

        ``parts`` are the keywords of :meth:`_setup`.
        """
        session = cls.__new__(cls)
        HasTraits.__init__(session)
        session._setup(images, **parts)
        return session

    def _setup(
        self,
        images: SessionImages,
        *,
        model: BYOL,
        spec: ModelSpec,
        random_state: int | None,
        device: str,
        ui_interval_s: float,
        training: TrainingRecord | None = None,
        results: Results | None = None,
    ) -> None:
        """Give the session its parts (see ``state.py``); the only place that assigns them."""
        from astromorph_nb.augment import default_augmentations

        self._images = images
        self._model, self._model_spec = model, spec
        self.random_state = random_state
        self.device = device
        self.ui_interval_s = float(ui_interval_s)
        self._training = training if training is not None else TrainingRecord()
        self._results = results if results is not None else Results()
        self._augmentation_settings = {}
        self._augmentations = default_augmentations()

    # -- constructors --------------------------------------------------------------------

    @classmethod
    def from_fits(
        cls, source: Any, *, session_options: dict[str, Any] | None = None, **read_options: Any
    ) -> Session:
        """Read FITS files with :func:`astromorph_nb.read_fits` and start a session.

        Parameters
        ----------
        source : str, path-like, or a list of them
            Files, folders, globs or list files, as for :func:`~astromorph_nb.read_fits`.
        session_options : dict, optional
            Keywords for :class:`Session` (``model``, ``random_state``, ``device``, ...).
        **read_options
            Keywords for :func:`~astromorph_nb.read_fits` (``image_size``, ``hdu``,
            ``cube_mode``, ``normalize``, ``on_error``, ...).
        """
        from astromorph_nb.io.fits.reader import read_fits

        return cls(read_fits(source, **read_options), **(session_options or {}))

    @classmethod
    def from_arrays(
        cls,
        array: Any,
        meta: Table | None = None,
        *,
        normalize: str | None = "minmax",
        **session_options: Any,
    ) -> Session:
        """Start a session from a numpy array (or tensor) of images.

        Parameters
        ----------
        array : array-like of shape (n_images, ny, nx) or (n_images, n_channels, ny, nx)
            Images in numpy axis order; NaN or inf marks blank pixels.
        meta : astropy.table.Table, optional
            One row per image (names, coordinates, labels, ...).
        normalize : str or None, default="minmax"
            Scaling of each image, as ``read_fits(normalize=...)``: one of "minmax",
            "percentile", "zscale", "asinh", "log", or None for arrays already scaled.
        **session_options
            Keywords for :class:`Session`.
        """
        imageset = imageset_from_arrays(
            array, meta, normalize=normalize, where="Session.from_arrays"
        )
        return cls(imageset, **session_options)

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        model: nn.Module | None = None,
        device: str = "auto",
    ) -> Session:
        """Open a session saved with :meth:`save`, with no retraining.

        Weights and arrays are read as plain tensors and arrays: nothing in the folder is
        executed (``torch.load(weights_only=True)``, ``np.load(allow_pickle=False)``). Large
        arrays are memory-mapped, so even 100,000 objects open in seconds.

        Parameters
        ----------
        path : str or path-like
            The session folder.
        model : torch.nn.Module, optional
            Needed only for sessions trained with your own encoder: the same network, whose
            weights are then loaded from the folder.
        device : str, default="auto"
            Where to train and embed from now on.
        """
        from astromorph_nb.session import persistence

        return persistence.load_session(cls, path, model=model, device=device)

    def save(
        self,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        include_images: bool = True,
    ) -> os.PathLike[str]:
        """Save everything to one folder that :meth:`load` reopens with no retraining.

        The folder holds the weights (state dicts), training settings and loss history,
        embeddings, map, scores, clusters, metadata (with tags), thumbnails, and the images
        unless ``include_images=False``. It is written to a temporary folder and moved into
        place, so an interrupted save never damages an earlier one.

        Raises
        ------
        BusyError
            While training runs (stop or wait first).
        OutputExistsError
            If ``path`` exists and ``overwrite`` is False.
        """
        from astromorph_nb.session import persistence

        self._check_idle("save")
        return persistence.save_session(
            self, path, overwrite=overwrite, include_images=include_images
        )

    # -- read-only results ---------------------------------------------------------------

    @property
    def images(self) -> ImageSet:
        """The image set (NotReadyError if the session was saved without images)."""
        return self._images.require("images")

    @property
    def meta(self) -> Table:
        """Metadata table, one row per image, with any tags added by :meth:`tag`."""
        return self._images.meta

    @property
    def object_names(self) -> list[str] | None:
        """Each image's name from the first of the ``OBJECT``, ``name`` or ``id`` columns.

        None when the metadata has none of them. Used for labels in figures, widgets and
        the companion page.
        """
        return self._images.object_names

    @property
    def n_images(self) -> int:
        """Number of images."""
        return self._images.n_images

    @property
    def model_spec(self) -> ModelSpec:
        """How the model was built: what a saved session needs to build it again."""
        return self._model_spec

    @property
    def model(self) -> BYOL:
        """The BYOL model (owned by the training thread while a run is in progress)."""
        return self._model

    @property
    def embeddings(self) -> np.ndarray:
        """Array of shape (n_images, n_features): the latest :meth:`embed` result, a copy."""
        return self._results.array("embeddings")

    @property
    def tsne_coordinates(self) -> np.ndarray:
        """Array of shape (n_images, 2): the t-SNE map from :meth:`fit_tsne`, a copy."""
        return self._results.array("tsne_coordinates")

    @property
    def anomaly_scores(self) -> np.ndarray:
        """Array of shape (n_images,) from :meth:`score_anomalies`; higher = more unusual."""
        return self._results.array("anomaly_scores")

    @property
    def cluster_labels(self) -> np.ndarray:
        """Array of shape (n_images,) of int cluster labels from :meth:`cluster` (-1: noise)."""
        return self._results.array("cluster_labels")

    @property
    def thumbnails(self) -> np.ndarray:
        """Array of uint8, shape (n_images, ty, tx): grey previews (asinh stretch), cached."""
        return self._images.thumbnails

    # -- selection, tags and colours -----------------------------------------------------

    def select(self, indices: Any) -> tuple[int, ...]:
        """Make ``indices`` the selection (None or empty clears it); return it as a tuple."""
        chosen = self._images.check_indices(indices, "indices", "Session.select")
        selection = tuple(int(i) for i in dict.fromkeys(chosen.tolist()))
        self.set_trait("selection", selection)
        return selection

    def tag(self, indices: Any, name: str, *, value: bool = True) -> None:
        """Mark images in a boolean metadata column ``name`` (created, False elsewhere)."""
        self._images.tag(indices, name, value=value)
        self._changed()

    def color_options(self) -> list[str]:
        """Names that :meth:`color_values` accepts: results that exist, then metadata columns."""
        return color_options(self._images, self._results)

    def color_values(self, name: str) -> tuple[np.ndarray, str]:
        """Return ``(values, label)`` to colour the map by ``name`` (see :meth:`color_options`).

        ``"cluster"`` gives the cluster labels, ``"anomaly_score"`` the scores, any other
        name a metadata column (as an array).
        """
        return color_values(self._images, self._results, name)

    # -- widgets -------------------------------------------------------------------------

    def explorer(self, **options: Any) -> Any:
        """Return the map explorer: hover cutouts, click for neighbours, lasso to select.

        ``options`` go to :class:`~astromorph_nb.widgets.EmbeddingExplorer` (``n_neighbors``,
        ``color``).
        """
        from astromorph_nb.widgets.explorer import EmbeddingExplorer

        return EmbeddingExplorer(self, **options)

    def augmentation_preview(self) -> Any:
        """Return a preview of augmented views with controls for their settings."""
        from astromorph_nb.widgets.augmentation_preview import AugmentationPreview

        return AugmentationPreview(self)

    def dashboard(self) -> Any:
        """Return the training panel, explorer and augmentation preview in one layout."""
        from astromorph_nb.widgets.dashboard import Dashboard

        return Dashboard(self)

    def __repr__(self) -> str:
        c, ny, nx = self._images.image_shape
        has_map = "yes" if self._results.tsne is not None else "no"
        return (
            f"<Session: {self._images.n_images} images {c}×{ny}×{nx}, status={self.status!r}, "
            f"{self.step} steps, t-SNE map: {has_map}>"
        )
