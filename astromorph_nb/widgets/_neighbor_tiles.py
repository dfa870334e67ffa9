"""Galleries of cutout tiles: a fixed pool of tiles updated in place (widgets layer).

Each tile is an image, a caption and a button that moves the explorer to that object. The
tiles are made once, one per slot, and a new answer (a click on the map, a re-ranked
search) only changes their values; slots the answer does not fill are hidden. A pool grows
when more tiles are asked for and never rebuilds the tiles it has. The explorer's
neighbour gallery is a pool of :class:`NeighborTile`; the search panel's candidates are a
pool of its own tiles, each holding a :class:`NeighborTile` and answer buttons.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import ipywidgets as W
import numpy as np

from astromorph_nb.exceptions import NotReadyError

if TYPE_CHECKING:
    from astromorph_nb.session import Session

__all__ = ["NeighborTile", "NeighborTiles", "TilePool", "session_cutouts"]


def session_cutouts(session: Session) -> np.ndarray:
    """Return the session's float images for tiles, or its thumbnails if it has no pixels."""
    try:
        return session.images.images.numpy()
    except NotReadyError:  # a session saved without its images
        return session.thumbnails


class NeighborTile:
    """One slot: the cutout, a caption and a button to show that object."""

    def __init__(self, size_px: int, on_click: Callable[[int], None]) -> None:
        self.index = -1
        self.image = W.Image(format="png", layout=W.Layout(width=f"{size_px}px"))
        self.caption = W.HTML()
        self.button = W.Button(layout=W.Layout(width=f"{size_px + 4}px"))
        self.button.add_class("amn-neighbor-button")
        self.button.on_click(lambda _button: on_click(self.index))
        self.box = W.VBox([self.image, self.caption, self.button])
        self.hide()

    def set(self, index: int, distance: float, png: bytes) -> None:
        """Show neighbour ``index`` at cosine ``distance`` with its cutout ``png``."""
        self.fill(
            index,
            png,
            caption=f"<small>d = {float(distance):.3f}</small>",
            tooltip=f"Show object {int(index)} (cosine distance {float(distance):.3f})",
        )

    def fill(self, index: int, png: bytes, *, caption: str, tooltip: str) -> None:
        """Show object ``index`` with its cutout ``png``, a ``caption`` (HTML) and ``tooltip``."""
        self.index = int(index)
        self.image.value = png
        self.caption.value = caption
        with self.button.hold_sync():
            self.button.description = f"#{self.index}"
            self.button.tooltip = tooltip
        self.box.layout.display = None

    def hide(self) -> None:
        """Hide the slot (the answer has fewer objects than there are slots)."""
        self.index = -1
        self.box.layout.display = "none"

    def close(self) -> None:
        """Close the tile's widgets."""
        for widget in (self.image, self.caption, self.button, self.box):
            widget.close()


class _Tile(Protocol):
    @property
    def box(self) -> W.Box: ...

    def set(self, *args: Any, **kwargs: Any) -> None: ...

    def hide(self) -> None: ...

    def close(self) -> None: ...


TileT = TypeVar("TileT", bound=_Tile)


class TilePool(Generic[TileT]):
    """The tiles shown in ``gallery`` (a ``GridBox``), in slot order, made by ``make_tile``."""

    def __init__(self, gallery: W.Box, n_tiles: int, make_tile: Callable[[], TileT]) -> None:
        self._gallery = gallery
        self._make_tile = make_tile
        self.tiles: list[TileT] = []
        self._grow(n_tiles)

    def _grow(self, n_tiles: int) -> None:
        if n_tiles <= len(self.tiles):
            return
        self.tiles.extend(self._make_tile() for _ in range(n_tiles - len(self.tiles)))
        self._gallery.children = [tile.box for tile in self.tiles]

    def show(self, items: Sequence[tuple[Any, ...]]) -> None:
        """Fill the first slots with ``tile.set(*item)`` and hide the others."""
        self._grow(len(items))
        for slot, tile in enumerate(self.tiles):
            if slot < len(items):
                tile.set(*items[slot])
            else:
                tile.hide()

    def close(self) -> None:
        """Close every tile."""
        for tile in self.tiles:
            tile.close()


class NeighborTiles(TilePool[NeighborTile]):
    """The explorer's neighbour gallery: ``show`` takes ``(index, distance, png)`` items."""

    def __init__(
        self, gallery: W.Box, n_tiles: int, size_px: int, on_click: Callable[[int], None]
    ) -> None:
        super().__init__(gallery, n_tiles, lambda: NeighborTile(size_px, on_click))
