"""The explorer's neighbour gallery: a fixed pool of tiles updated in place (widgets layer).

Each tile is an image, a caption with the distance and a button that moves the explorer to
that neighbour. The tiles are made once, one per neighbour slot, and a click on the map only
changes their values; slots the answer does not fill are hidden. The pool grows when more
neighbours are asked for and never rebuilds the tiles it has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as W

__all__ = ["NeighborTile", "NeighborTiles"]


class NeighborTile:
    """One neighbour slot: the cutout, the distance and a button to show that object."""

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
        self.index = int(index)
        self.image.value = png
        self.caption.value = f"<small>d = {float(distance):.3f}</small>"
        with self.button.hold_sync():
            self.button.description = f"#{self.index}"
            self.button.tooltip = f"Show object {self.index} (cosine distance {distance:.3f})"
        self.box.layout.display = None

    def hide(self) -> None:
        """Hide the slot (the answer has fewer neighbours than there are slots)."""
        self.index = -1
        self.box.layout.display = "none"

    def close(self) -> None:
        """Close the tile's widgets."""
        for widget in (self.image, self.caption, self.button, self.box):
            widget.close()


class NeighborTiles:
    """The pool of tiles shown in ``gallery`` (a ``GridBox``), in slot order."""

    def __init__(
        self, gallery: W.Box, n_tiles: int, size_px: int, on_click: Callable[[int], None]
    ) -> None:
        self._gallery = gallery
        self._size_px = size_px
        self._on_click = on_click
        self.tiles: list[NeighborTile] = []
        self._grow(n_tiles)

    def _grow(self, n_tiles: int) -> None:
        if n_tiles <= len(self.tiles):
            return
        new = [
            NeighborTile(self._size_px, self._on_click) for _ in range(n_tiles - len(self.tiles))
        ]
        self.tiles.extend(new)
        self._gallery.children = [tile.box for tile in self.tiles]

    def show(self, neighbors: Sequence[tuple[int, float, bytes]]) -> None:
        """Fill the first slots with ``(index, distance, png)`` and hide the others."""
        self._grow(len(neighbors))
        for slot, tile in enumerate(self.tiles):
            if slot < len(neighbors):
                tile.set(*neighbors[slot])
            else:
                tile.hide()

    def close(self) -> None:
        """Close every tile."""
        for tile in self.tiles:
            tile.close()
