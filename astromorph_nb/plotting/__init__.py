"""Publication figures of a BYOL embedding analysis, drawn with matplotlib (plotting layer).

Every function takes numpy arrays (the session's results, or your own), returns a
:class:`matplotlib.figure.Figure` that is not attached to pyplot (nothing to close, no
duplicate display in notebooks), and saves as vector output with
``figure.savefig("figure.pdf")`` or ``.svg``; cutouts and dense scatters are rasterized
inside the vector file so it stays small.

>>> import numpy as np
>>> from astromorph_nb.plotting import plot_map
>>> rng = np.random.default_rng(0)
>>> figure = plot_map(rng.normal(size=(300, 2)), cutouts=rng.random((300, 16, 16)))

Cutouts are shown with astropy's ``ImageNormalize`` (a percentile interval and a named
stretch: ``"asinh"``, ``"linear"``, ``"log"`` or ``"sqrt"``) per image; three channels
make an RGB composite, uint8 thumbnails are drawn as they are.

Modules: ``loss`` (the training-loss curve), ``maps`` (the t-SNE map with thumbnails),
``montage`` (a grid of cutouts), ``galleries`` (neighbors, clusters, anomalies),
``discovery`` (explained columns, objects along a direction).
This package imports only numpy, matplotlib, astropy and the base modules.
"""

from typing import TYPE_CHECKING

from astromorph_nb._lazy import attach

# matplotlib loads with the first figure function used (see ``_lazy.py``).
__getattr__, __dir__ = attach(
    __name__,
    {
        "choose_thumbnails": "astromorph_nb.plotting.maps",
        "plot_along": "astromorph_nb.plotting.discovery",
        "plot_anomalies": "astromorph_nb.plotting.galleries",
        "plot_clusters": "astromorph_nb.plotting.galleries",
        "plot_explain": "astromorph_nb.plotting.discovery",
        "plot_loss": "astromorph_nb.plotting.loss",
        "plot_map": "astromorph_nb.plotting.maps",
        "plot_montage": "astromorph_nb.plotting.montage",
        "plot_neighbors": "astromorph_nb.plotting.galleries",
        "smooth_loss": "astromorph_nb.plotting.loss",
    },
)

if TYPE_CHECKING:
    from astromorph_nb.plotting.discovery import plot_along, plot_explain
    from astromorph_nb.plotting.galleries import plot_anomalies, plot_clusters, plot_neighbors
    from astromorph_nb.plotting.loss import plot_loss, smooth_loss
    from astromorph_nb.plotting.maps import choose_thumbnails, plot_map
    from astromorph_nb.plotting.montage import plot_montage

__all__ = [
    "choose_thumbnails",
    "plot_along",
    "plot_anomalies",
    "plot_clusters",
    "plot_explain",
    "plot_loss",
    "plot_map",
    "plot_montage",
    "plot_neighbors",
    "smooth_loss",
]
