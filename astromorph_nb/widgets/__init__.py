"""Jupyter views of a session: small panels composed into a dashboard (widgets layer).

Nothing in the package imports this subpackage at import time; ``Session`` methods
(``training_panel()``, ``explorer()``, ``augmentation_preview()``, ``dashboard()``) import
it inside the method, so ``import astromorph_nb`` works on a headless cluster node.

- :class:`TrainingPanel`: start / pause / resume / stop, live loss curve, speed, ETA, errors.
- :class:`EmbeddingExplorer`: the t-SNE map (hover cutouts, click for neighbours, lasso),
  the selected object's details and neighbour gallery, the selection table, tags, exports,
  and its search panel.
- :class:`SearchPanel`: "Find more like these" from the selection or the clicked object;
  Yes / No / Skip on each candidate tile are kept as tags and re-rank at once.
- :class:`AugmentationPreview`: images beside augmented views, with their settings.
- :class:`Dashboard`: the three in one layout.
- :class:`MapScatter`: the map widget itself (WebGL or canvas, drawn in the browser).
"""

from typing import TYPE_CHECKING

from astromorph_nb._lazy import attach

# Each panel loads with its first use (see ``_lazy.py``).
__getattr__, __dir__ = attach(
    __name__,
    {
        "AugmentationPreview": "astromorph_nb.widgets.augmentation_preview",
        "COLORMAPS": "astromorph_nb.widgets.map_scatter",
        "Dashboard": "astromorph_nb.widgets.dashboard",
        "EmbeddingExplorer": "astromorph_nb.widgets.explorer",
        "MapScatter": "astromorph_nb.widgets.map_scatter",
        "SearchPanel": "astromorph_nb.widgets.search_panel",
        "TrainingPanel": "astromorph_nb.widgets.training_panel",
    },
)

if TYPE_CHECKING:
    from astromorph_nb.widgets.augmentation_preview import AugmentationPreview
    from astromorph_nb.widgets.dashboard import Dashboard
    from astromorph_nb.widgets.explorer import EmbeddingExplorer
    from astromorph_nb.widgets.map_scatter import COLORMAPS, MapScatter
    from astromorph_nb.widgets.search_panel import SearchPanel
    from astromorph_nb.widgets.training_panel import TrainingPanel

__all__ = [
    "COLORMAPS",
    "AugmentationPreview",
    "Dashboard",
    "EmbeddingExplorer",
    "MapScatter",
    "SearchPanel",
    "TrainingPanel",
]
