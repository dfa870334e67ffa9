"""Publication figures of a session's results: the ``plot_*`` methods of ``Session``.

Each method gathers what the session holds and calls :mod:`astromorph_nb.plotting`, which
draws from plain arrays; the figures are matplotlib ``Figure`` objects, vector-ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from astromorph_nb.exceptions import NotReadyError
from astromorph_nb.session.discovery import DiscoveryMethods
from astromorph_nb.session.tables import color_values

if TYPE_CHECKING:  # matplotlib loads with the first figure (astromorph_nb.plotting)
    from matplotlib.figure import Figure

__all__ = ["FigureMethods"]


class FigureMethods(DiscoveryMethods):
    """The ``plot_*`` methods of :class:`~astromorph_nb.Session` (over its analysis verbs)."""

    def plot_loss(self, **options: Any) -> Figure:
        """Figure of the loss per step, smoothed, and per epoch."""
        from astromorph_nb.plotting import plot_loss

        history = self._training.history
        if not len(history):
            msg = "No training yet, so no loss curve. Run session.train() first."
            raise NotReadyError(msg)
        epochs = self._training.epoch_table()
        return plot_loss(
            history.steps,
            history.losses,
            epoch_steps=np.asarray(epochs["step"]),
            epoch_means=np.asarray(epochs["mean_loss"]),
            **options,
        )

    def plot_map(self, color: str | None = None, **options: Any) -> Figure:
        """Figure of the t-SNE map with cutouts placed on it, coloured by ``color``.

        ``color`` is ``"cluster"``, ``"anomaly_score"`` or a metadata column name.
        """
        from astromorph_nb.plotting import plot_map

        values, label = (
            (None, None) if color is None else color_values(self._images, self._results, color)
        )
        options.setdefault("cutouts", self._images.thumbnails)
        return plot_map(
            self._results.array("tsne_coordinates"), color=values, color_label=label, **options
        )

    def plot_neighbors(self, index: int, k: int = 8, **options: Any) -> Figure:
        """Figure of an image and its ``k`` nearest neighbours."""
        from astromorph_nb.plotting import plot_neighbors

        found = self.neighbors(index, k=k)
        return plot_neighbors(
            self._images.cutouts(),
            int(index),
            np.asarray(found["index"]),
            np.asarray(found["distance"]),
            labels=self._images.object_names,
            **options,
        )

    def plot_clusters(self, n_per_cluster: int = 8, **options: Any) -> Figure:
        """Figure with a row of example images for each cluster."""
        from astromorph_nb.plotting import plot_clusters

        options.setdefault("random_state", self._seed())
        return plot_clusters(
            self._images.cutouts(),
            self._results.array("cluster_labels"),
            n_per_cluster=n_per_cluster,
            **options,
        )

    def plot_anomalies(self, n: int = 16, **options: Any) -> Figure:
        """Figure of the ``n`` most unusual images."""
        from astromorph_nb.plotting import plot_anomalies

        return plot_anomalies(
            self._images.cutouts(),
            self._results.array("anomaly_scores"),
            n=n,
            labels=self._images.object_names,
            **options,
        )

    def plot_explain(self, columns: Any = None, **options: Any) -> Figure:
        """Figure of :meth:`explain`: how well each column is predicted, over its null level.

        ``options`` go to :meth:`explain` (``n_neighbors``, ``n_shuffles``).
        """
        from astromorph_nb.plotting import plot_explain

        return plot_explain(self.explain(columns, **options))

    def gallery_along(
        self, start: Any, end: Any = None, n: int = 10, *, quantile: float = 0.2, **options: Any
    ) -> Figure:
        """Figure of ``n`` objects ordered from one group to another in embedding space.

        ``start`` and ``end`` are groups (indices, masks or tag names), or ``start`` alone
        a numeric metadata column (its lowest and highest ``quantile`` make the groups):
        see :meth:`direction`. The objects are evenly spaced along the direction between
        the groups, each captioned with its position (0 at the first group, 1 at the
        second). ``options`` go to :func:`~astromorph_nb.plotting.plot_along`.
        """
        from astromorph_nb.plotting import plot_along

        direction = self.direction(start, end, quantile=quantile)
        if end is None:
            options.setdefault("start_label", f"low {start}")
            options.setdefault("end_label", f"high {start}")
        else:
            options.setdefault("start_label", start if isinstance(start, str) else "group 1")
            options.setdefault("end_label", end if isinstance(end, str) else "group 2")
        return plot_along(
            self._images.cutouts(),
            direction.along(n),
            direction.positions,
            labels=self._images.object_names,
            **options,
        )

    def plot_augmentations(self, n_images: int = 4, n_views: int = 4) -> Figure:
        """Figure of a few images beside augmented views: what the network sees."""
        from astromorph_nb.augment.preview import preview
        from astromorph_nb.plotting._figure import show_in_notebooks

        show_in_notebooks()

        images = self._images.require("plot_augmentations").images
        return preview(
            images,
            self._augmentations,
            n_images=n_images,
            n_views=n_views,
            random_state=self._seed(),
        )
