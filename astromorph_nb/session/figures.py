"""Publication figures of a session's results: the ``plot_*`` methods of ``Session``.

Each method gathers what the session holds and calls :mod:`astromorph_nb.plotting`, which
draws from plain arrays; the figures are matplotlib ``Figure`` objects, vector-ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np

from astromorph_nb.exceptions import NotReadyError

if TYPE_CHECKING:  # matplotlib loads with the first figure (astromorph_nb.plotting)
    from matplotlib.figure import Figure

    from astromorph_nb.session.session import Session

__all__ = ["FigureMethods"]


class FigureMethods:
    """The ``plot_*`` methods of :class:`~astromorph_nb.Session`."""

    def plot_loss(self, **options: Any) -> Figure:
        """Figure of the loss per step, smoothed, and per epoch."""
        session = cast("Session", self)
        from astromorph_nb.plotting import plot_loss

        if not len(session._history):
            msg = "No training yet, so no loss curve. Run session.train() first."
            raise NotReadyError(msg)
        epochs = session.epoch_history
        return plot_loss(
            session._history.steps,
            session._history.losses,
            epoch_steps=np.asarray(epochs["step"]),
            epoch_means=np.asarray(epochs["mean_loss"]),
            **options,
        )

    def plot_map(self, color: str | None = None, **options: Any) -> Figure:
        """Figure of the t-SNE map with cutouts placed on it, coloured by ``color``.

        ``color`` is ``"cluster"``, ``"anomaly_score"`` or a metadata column name.
        """
        session = cast("Session", self)
        from astromorph_nb.plotting import plot_map

        values, label = (None, None) if color is None else session.color_values(color)
        options.setdefault("cutouts", session.thumbnails)
        return plot_map(session.tsne_coordinates, color=values, color_label=label, **options)

    def plot_neighbors(self, index: int, k: int = 8, **options: Any) -> Figure:
        """Figure of an image and its ``k`` nearest neighbours."""
        session = cast("Session", self)
        from astromorph_nb.plotting import plot_neighbors

        found = session.neighbors(index, k=k)
        return plot_neighbors(
            session._cutouts(),
            int(index),
            np.asarray(found["index"]),
            np.asarray(found["distance"]),
            labels=session.object_names,
            **options,
        )

    def plot_clusters(self, n_per_cluster: int = 8, **options: Any) -> Figure:
        """Figure with a row of example images for each cluster."""
        session = cast("Session", self)
        from astromorph_nb.plotting import plot_clusters

        options.setdefault("random_state", session._seed())
        return plot_clusters(
            session._cutouts(), session.cluster_labels, n_per_cluster=n_per_cluster, **options
        )

    def plot_anomalies(self, n: int = 16, **options: Any) -> Figure:
        """Figure of the ``n`` most unusual images."""
        session = cast("Session", self)
        from astromorph_nb.plotting import plot_anomalies

        return plot_anomalies(
            session._cutouts(), session.anomaly_scores, n=n, labels=session.object_names, **options
        )

    def plot_augmentations(self, n_images: int = 4, n_views: int = 4) -> Figure:
        """Figure of a few images beside augmented views: what the network sees."""
        session = cast("Session", self)
        from astromorph_nb.augment.preview import preview
        from astromorph_nb.plotting._figure import show_in_notebooks

        show_in_notebooks()

        images = session._require_images("plot_augmentations").images
        return preview(
            images,
            session._augmentations,
            n_images=n_images,
            n_views=n_views,
            random_state=session._seed(),
        )

    def _cutouts(self) -> np.ndarray:
        """Float images for figures when present, else the thumbnails."""
        session = cast("Session", self)
        if session._images is not None:
            return session._images.images.numpy()
        return session.thumbnails
