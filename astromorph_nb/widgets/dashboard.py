"""Dashboard: the session's panels in one layout, and nothing else (widgets layer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as W

from astromorph_nb.widgets.augmentation_preview import AugmentationPreview
from astromorph_nb.widgets.explorer import EmbeddingExplorer
from astromorph_nb.widgets.training_panel import TrainingPanel

if TYPE_CHECKING:
    from astromorph_nb.session import Session

__all__ = ["Dashboard"]


class Dashboard(W.AppLayout):
    """The map explorer on top; the training panel and augmentation preview below it.

    Parameters
    ----------
    session : Session
        The session every panel observes and acts on.
    """

    def __init__(self, session: Session) -> None:
        self.training_panel = TrainingPanel(session)
        self.explorer = EmbeddingExplorer(session)
        self.augmentation_preview = AugmentationPreview(session)
        self.training_panel.layout.flex = "1 1 440px"
        self.augmentation_preview.layout.flex = "1 1 420px"
        below = W.HBox(
            [self.training_panel, self.augmentation_preview],
            layout=W.Layout(flex_flow="row wrap", grid_gap="16px", width="100%"),
        )
        super().__init__(
            header=None,
            center=self.explorer,
            footer=below,
            grid_gap="12px",
        )
        self.add_class("amn-dashboard")

    def close(self) -> None:
        """Close every panel (they stop observing the session); safe to call twice."""
        if not hasattr(self, "training_panel"):
            super().close()
            return
        self.training_panel.close()
        self.explorer.close()
        self.augmentation_preview.close()
        super().close()
