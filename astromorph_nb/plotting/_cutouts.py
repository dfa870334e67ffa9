"""Cutouts to display arrays and grids of panels, via astropy normalisation (plotting layer).

Private: the shared rendering behind every figure that shows images. Each cutout gets its
own display scale, a percentile interval of its finite pixels and a named stretch
(``display/stretch.py``, the same as thumbnails and widgets use), so one hot pixel or a
blank (NaN) border does not wash out the rest. Blank pixels are shown at the low end of
the scale (black).

Accepted cutouts, all in numpy order:

- float ``(n_images, ny, nx)``: one band, shown grey;
- float ``(n_images, n_channels, ny, nx)``: the first channel, grey; with exactly three
  channels an RGB composite, channels taken as (red, green, blue), the order
  ``hubble_deep_field(channels="rgb")`` gives. The three channels share one interval and
  stretch, so the colours of a source are kept (per-channel scaling would make every
  faint object look white);
- ``uint8`` ``(n_images, h, w)``: precomputed thumbnails, drawn grey as they are (0 black,
  255 white, numpy order like the float images: row 0 at the bottom), ignoring ``stretch``
  and ``percentile``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.image import AxesImage

from astromorph_nb.display.stretch import (
    STRETCHES,
    check_percentile,
    check_stretch,
    display_values,
)
from astromorph_nb.exceptions import InvalidImageError
from astromorph_nb.plotting._figure import plain

__all__ = ["STRETCHES", "CutoutStack", "draw_grid", "draw_panel", "grid_figure_size"]

#: Side of one grid panel, inches; each caption line adds CAPTION_LINE_IN.
PANEL_IN = 1.25
CAPTION_LINE_IN = 0.17
CAPTION_FONTSIZE = 7.5


class CutoutStack:
    """Validated cutouts with one display setting; renders any of them to a [0, 1] array.

    Parameters
    ----------
    cutouts : array-like of shape (n_images, ny, nx) or (n_images, n_channels, ny, nx)
        See the module docstring for what each shape and dtype means.
    where : str
        The public function, quoted in error messages.
    stretch : {"asinh", "linear", "log", "sqrt"}, default="asinh"
        Display stretch.
    percentile : float, default=99.5
        Central percentage of each cutout's finite pixels mapped to black ... white.

    Raises
    ------
    InvalidImageError
        If ``cutouts`` has another number of axes or no images.
    ValueError
        For an unknown ``stretch`` (the message lists them) or a percentile outside (0, 100].

    Examples
    --------
    >>> stack = CutoutStack(np.arange(32.0).reshape(2, 4, 4), where="plot_montage")
    >>> len(stack), stack.display(0).shape, float(stack.display(0).max())
    (2, (4, 4), 1.0)
    """

    def __init__(
        self, cutouts: Any, *, where: str, stretch: str = "asinh", percentile: float = 99.5
    ) -> None:
        check_stretch(stretch, where=where)
        self._stretch = stretch
        self._percentile = check_percentile(percentile, where=where)
        data = np.asarray(cutouts)
        if data.ndim not in (3, 4) or data.shape[0] == 0 or 0 in data.shape[-2:]:
            msg = (
                f"Wrong shape of 'cutouts' in {where}. Expected images of shape "
                "(n_images, ny, nx) or (n_images, n_channels, ny, nx) in numpy order; "
                f"got shape {data.shape}. For a single image, pass image[None]."
            )
            raise InvalidImageError(msg)
        if data.dtype == bool or not np.issubdtype(data.dtype, np.number):
            msg = (
                f"Non-numeric 'cutouts' in {where}. Expected float images or uint8 "
                f"thumbnails; got dtype {data.dtype}. Convert them with "
                "numpy.asarray(..., dtype=float)."
            )
            raise InvalidImageError(msg)
        if data.dtype == np.uint8 and data.ndim == 3:
            self.kind = "thumbnail"
        elif data.ndim == 4 and data.shape[1] == 3:
            self.kind = "rgb"
        else:
            self.kind = "gray"
            data = data[:, 0] if data.ndim == 4 else data
        self._data = data

    def __len__(self) -> int:
        return int(self._data.shape[0])

    def display(self, index: int) -> np.ndarray:
        """Return cutout ``index`` scaled to [0, 1], finite, shape (ny, nx) or (ny, nx, 3)."""
        image = np.asarray(self._data[index], dtype=np.float64)
        if self.kind == "thumbnail":
            return image / 255.0
        shown = display_values(image, stretch=self._stretch, percentile=self._percentile)
        return np.moveaxis(shown, 0, -1) if self.kind == "rgb" else shown

    def draw(
        self,
        ax: Axes,
        index: int,
        *,
        extent: tuple[float, float, float, float] | None = None,
        rasterized: bool = False,
    ) -> AxesImage:
        """Draw cutout ``index`` into ``ax`` (nearest-neighbour pixels) and return the image."""
        return ax.imshow(
            self.display(index),
            cmap="gray",
            vmin=0.0,
            vmax=1.0,
            origin="lower",  # numpy order: row 0 at the bottom, as ds9 shows FITS
            interpolation="nearest",
            extent=extent,
            rasterized=rasterized,
        )


def grid_figure_size(n_rows: int, n_columns: int, n_caption_lines: int) -> tuple[float, float]:
    """Return (width, height) in inches for a grid of panels with captions above each."""
    row_in = PANEL_IN + CAPTION_LINE_IN * n_caption_lines
    return PANEL_IN * n_columns + 0.2, row_in * n_rows + 0.5


def draw_grid(
    figure: Figure | SubFigure,
    stack: CutoutStack,
    indices: Sequence[int] | np.ndarray,
    captions: Sequence[str] | None,
    *,
    n_columns: int,
) -> list[Axes]:
    """Draw ``stack[indices]`` row by row, ``n_columns`` wide, with a caption over each.

    Returns the axes that hold a cutout, in the order of ``indices``; grid cells past the
    last cutout are removed. Cutouts are rasterized when there are more than 64.
    """
    n_columns = max(1, min(n_columns, len(indices)))
    n_rows = max(1, -(-len(indices) // n_columns))
    grid = figure.subplots(n_rows, n_columns, squeeze=False)
    used: list[Axes] = []
    for position, ax in enumerate(grid.ravel()):
        if position >= len(indices):
            ax.remove()
            continue
        caption = None if captions is None else captions[position]
        draw_panel(ax, stack, int(indices[position]), caption, rasterized=len(indices) > 64)
        used.append(ax)
    return used


def draw_panel(
    ax: Axes, stack: CutoutStack, index: int, caption: str | None, *, rasterized: bool = False
) -> None:
    """Draw one cutout as a grid panel: no ticks, a thin grey frame, a plain-text caption."""
    stack.draw(ax, index, rasterized=rasterized)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.5)
        spine.set_color("0.6")
    if caption is not None:
        plain(ax.set_title(caption, fontsize=CAPTION_FONTSIZE, pad=2))
