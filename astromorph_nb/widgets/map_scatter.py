"""MapScatter: a browser-drawn map of many points, with hover cutouts and lasso (widgets layer).

The map is an `anywidget <https://anywidget.dev>`_ whose JavaScript
(``display/static/map_scatter.js``, read by :func:`~astromorph_nb.display.assets.static_asset`)
draws the points with WebGL, keeps a spatial index to find the point under the pointer, shows
each object's thumbnail and label on hover from data it already holds (no round trip to the
kernel), and reports what the user does through traits: ``hovered``, ``clicked`` and
``selected``. Python only sends data and reads actions; the widget computes nothing about the
objects.

Arrays travel as binary traits: little-endian ``float32`` bytes for coordinates and colour
values. Thumbnails (``uint8``, in chunks of at most 4 MB) are the bulk of the data (60 MB for
100,000 objects), so they are not a synced trait: the kernel streams them as binary messages
once the browser says it has drawn the map. The points show within about a second and the
cutouts arrive a few seconds later. The same JavaScript file also exports
``createMapView(container, data, callbacks)``, which kernel-free HTML pages use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import anywidget
import numpy as np
import traitlets as T

from astromorph_nb._validation import check_choice, shorten
from astromorph_nb.display.assets import MAP_SCRIPT, static_asset
from astromorph_nb.display.resize import pad_to_square, shrink_square
from astromorph_nb.widgets._map_checks import (
    TEXT_COLUMN_FIX,
    check_1d_numbers,
    check_categories,
    float32_bytes,
)

__all__ = ["COLORMAPS", "COLOR_MODES", "MAX_THUMBNAIL_BYTES", "MapScatter"]

COLORMAPS = ("viridis", "magma", "plasma", "inferno", "cividis", "coolwarm", "turbo")
COLOR_MODES = ("none", "numeric", "categorical")
MODES = ("pan", "lasso")
RENDERERS = ("auto", "webgl", "canvas")
MAX_THUMBNAIL_BYTES = 64 * 2**20  # all thumbnails together, as sent to the browser
CHUNK_BYTES = 4 * 2**20  # largest single binary buffer of thumbnails
_RESAMPLE_BLOCK = 4096  # thumbnails per vectorised downsampling pass


class MapScatter(anywidget.AnyWidget):
    """A map of up to ~100,000 points: hover shows the cutout, click and lasso report back.

    The browser draws the points (WebGL), shows a tooltip with the enlarged thumbnail and
    label of the point under the pointer, and supports pan (drag), zoom (wheel) and lasso
    selection (lasso mode from the toolbar, or shift+drag). Set data with the ``set_*``
    methods; read user actions from ``hovered``, ``clicked`` and ``selected`` (observe them).

    Attributes
    ----------
    x, y, values : bytes
        Little-endian float32 map coordinates and colour values (NaN = missing, grey).
    color_mode : {"none", "numeric", "categorical"}
        How ``values`` colour the points; numeric values get a colour bar, categories a legend.
    colormap : str
        Numeric colour map, one of :data:`COLORMAPS`.
    categories : list of str
        Category names; in categorical mode ``values`` hold codes 0..k-1 (-1 = noise, grey).
    value_label : str
        Title of the colour bar or legend.
    labels : list of str
        Plain-text hover label per point (shown as text, never as HTML).
    thumbnails : list of bytes
        ``uint8`` thumbnails (n, t, t) in numpy order (row 0 is the bottom row), in chunks.
        Not synced as state: sent as messages to each view once it has drawn the map.
    thumbnail_size : int
        Side ``t`` of the thumbnails in pixels; 0 when there are none.
    point_size, height : float, int
        Point diameter and map height in screen pixels.
    mode : {"pan", "lasso"}
        What a drag does; also switched from the widget's toolbar.
    hovered, clicked : int
        Set by the browser: the point under the pointer (at most 10 updates per second, -1
        when none) and the last clicked point. A click on empty space changes nothing; a
        second click on the same point sets -1 and then the index again, so observers see it.
    selected : list of int
        Set by the browser after a lasso (sorted indices); Python may set it too, and the
        selected points are drawn highlighted.
    focus, neighbors : int, list of int
        Highlights set from Python: a large ring around ``focus``, small rings around
        ``neighbors``.
    highlighted : list of int
        More points marked from Python, with diamonds of their own colour (the candidates
        of a search, for example); drawn by every renderer.
    renderer : {"auto", "webgl", "canvas"}
        How the browser draws the points. ``"auto"`` uses WebGL, except where the browser only
        has software WebGL (SwiftShader, llvmpipe: no GPU), where canvas 2D redraws 100,000
        points faster (``benchmarks/bench_widgets.py`` measures both).

    Examples
    --------
    >>> import numpy as np
    >>> scatter = MapScatter(height=400)
    >>> scatter.set_points(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 0.5]))
    >>> scatter.set_colors(np.array([0.1, np.nan, 0.7]), label="anomaly score")
    >>> scatter.n_points, scatter.color_mode
    (3, 'numeric')
    """

    _esm = static_asset(MAP_SCRIPT)

    x = T.Bytes(b"").tag(sync=True)
    y = T.Bytes(b"").tag(sync=True)
    values = T.Bytes(b"").tag(sync=True)
    color_mode = T.Unicode("none").tag(sync=True)
    colormap = T.Unicode("viridis").tag(sync=True)
    categories = T.List(T.Unicode()).tag(sync=True)
    value_label = T.Unicode("").tag(sync=True)
    labels = T.List(T.Unicode()).tag(sync=True)
    thumbnails = T.List(T.Bytes())  # streamed by _send_thumbnails, see the module docstring
    thumbnail_size = T.Int(0).tag(sync=True)
    point_size = T.Float(3.0).tag(sync=True)
    height = T.Int(480).tag(sync=True)
    mode = T.Unicode("pan").tag(sync=True)
    hovered = T.Int(-1).tag(sync=True)
    clicked = T.Int(-1).tag(sync=True)
    selected = T.List(T.Int()).tag(sync=True)
    focus = T.Int(-1).tag(sync=True)
    neighbors = T.List(T.Int()).tag(sync=True)
    highlighted = T.List(T.Int()).tag(sync=True)
    renderer = T.Unicode("auto").tag(sync=True)

    @T.validate("color_mode")
    def _valid_color_mode(self, proposal: dict[str, Any]) -> str:
        return str(
            check_choice(proposal["value"], COLOR_MODES, name="color_mode", where="MapScatter")
        )

    @T.validate("colormap")
    def _valid_colormap(self, proposal: dict[str, Any]) -> str:
        return str(check_choice(proposal["value"], COLORMAPS, name="colormap", where="MapScatter"))

    @T.validate("renderer")
    def _valid_renderer(self, proposal: dict[str, Any]) -> str:
        return str(check_choice(proposal["value"], RENDERERS, name="renderer", where="MapScatter"))

    @T.validate("mode")
    def _valid_mode(self, proposal: dict[str, Any]) -> str:
        return str(check_choice(proposal["value"], MODES, name="mode", where="MapScatter"))

    def __init__(self, **kwargs: Any) -> None:
        self._thumbnail_version = 0
        self._front_end_ready = False
        super().__init__(**kwargs)
        self.on_msg(self._on_front_end_message)

    def _on_front_end_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """Handle messages from the browser: a view is ready for thumbnails, or a click."""
        if not isinstance(content, dict):
            return
        if content.get("event") == "ready":
            self._front_end_ready = True
            self._send_thumbnails()
            return
        if content.get("event") != "click":
            return
        index = content.get("index")
        if not isinstance(index, int) or not 0 <= index < self.n_points:
            return
        if index == self.clicked:
            self.clicked = -1  # so that observers see a second click on the same point
        self.clicked = index

    @T.observe("thumbnails")
    def _on_thumbnails_change(self, _change: dict[str, Any]) -> None:
        self._thumbnail_version += 1
        if self._front_end_ready:
            self._send_thumbnails()

    def _send_thumbnails(self) -> None:
        """Send every thumbnail chunk as one binary message, tagged with a version.

        Called when a view is ready and when the thumbnails change; views keep the chunks
        of the newest version only.
        """
        size, chunks = self.thumbnail_size, list(self.thumbnails)
        meta = {
            "event": "thumbnails",
            "version": self._thumbnail_version,
            "count": len(chunks),
            "size": size,
            "per_chunk": len(chunks[0]) // (size * size) if chunks and size else 0,
        }
        if not chunks:
            self.send({**meta, "index": 0})
        for index, chunk in enumerate(chunks):
            self.send({**meta, "index": index}, buffers=[chunk])

    @property
    def n_points(self) -> int:
        """Number of points on the map (0 before :meth:`set_points`)."""
        return len(self.x) // 4

    def set_points(self, x: Any, y: Any) -> None:
        """Place the points.

        If the number of points changes, colours, labels, thumbnails, the selection and the
        highlights no longer fit and are cleared; set them again.

        Parameters
        ----------
        x, y : array-like of shape (n_points,)
            Finite map coordinates (e.g. the two columns of a t-SNE map).
        """
        where = "MapScatter.set_points"
        xs = check_1d_numbers(x, name="x", where=where).astype("<f4")
        ys = check_1d_numbers(y, name="y", where=where).astype("<f4")
        if len(xs) != len(ys):
            msg = (
                f"x has {len(xs)} values but y has {len(ys)} in {where}. Expected one x and "
                "one y per point; pass both columns of the same map."
            )
            raise ValueError(msg)
        for name, array in (("x", xs), ("y", ys)):
            bad = np.flatnonzero(~np.isfinite(array))
            if len(bad):
                msg = (
                    f"{name} has {len(bad)} NaN or infinite values (first at index {bad[0]}) "
                    f"in {where}. Expected finite map coordinates; drop those objects or "
                    "recompute the map."
                )
                raise ValueError(msg)
        with self.hold_sync():
            if len(xs) != self.n_points:
                self.values = b""
                self.color_mode = "none"
                self.categories = []
                self.labels = []
                self.thumbnail_size = 0
                self.thumbnails = []
                self.selected = []
                self.focus = -1
                self.neighbors = []
                self.highlighted = []
                self.hovered = -1
                self.clicked = -1
            self.x = float32_bytes(xs)
            self.y = float32_bytes(ys)

    def set_colors(
        self,
        values: Any,
        *,
        mode: str = "numeric",
        categories: Sequence[str] | None = None,
        label: str = "",
    ) -> None:
        """Colour the points by a number per point, or by category.

        Parameters
        ----------
        values : array-like of shape (n_points,) or None
            ``"numeric"``: any real numbers; NaN and infinities are shown grey as missing.
            ``"categorical"``: integer codes 0..k-1 into ``categories``; -1 or NaN = noise.
            Ignored (may be None) for ``"none"``.
        mode : {"numeric", "categorical", "none"}, default="numeric"
            ``"none"`` draws every point in one colour.
        categories : sequence of str, optional
            One name per code; required for ``"categorical"``.
        label : str, default=""
            Title of the colour bar or legend (plain text).
        """
        where = "MapScatter.set_colors"
        check_choice(mode, COLOR_MODES, name="mode", where=where)
        names: list[str] = []
        if mode == "none":
            data = b""
        else:
            if values is None:
                msg = (
                    f"values is None in {where} with mode={mode!r}. Expected one value per "
                    "point; pass mode='none' to draw every point in one colour."
                )
                raise ValueError(msg)
            array = check_1d_numbers(values, name="values", where=where, fix=TEXT_COLUMN_FIX)
            if len(array) != self.n_points:
                msg = (
                    f"values has {len(array)} entries but the map has {self.n_points} points "
                    f"in {where}. Expected one value per point; call set_points(x, y) first, "
                    "or pass values of the same objects."
                )
                raise ValueError(msg)
            floats = array.astype("<f4")
            if mode == "categorical":
                names = check_categories(floats, categories, where=where)
            data = float32_bytes(floats)
        with self.hold_sync():
            self.values = data
            self.categories = names
            self.value_label = str(label)
            self.color_mode = mode

    def set_thumbnails(self, thumbnails: np.ndarray) -> None:
        """Send one grey thumbnail per point, shown enlarged on hover.

        Thumbnails are in numpy order (row 0 is the bottom row of the image, as astropy
        shows FITS images with ``origin="lower"``). Non-square thumbnails are padded with
        black to squares. All thumbnails together are kept under 64 MB
        (:data:`MAX_THUMBNAIL_BYTES`): if ``n * t * t`` would exceed it, they are
        area-averaged down to the largest side that fits (100,000 objects: 25 pixels). They
        are sent in chunks of at most 4 MB.

        Parameters
        ----------
        thumbnails : ndarray of uint8, shape (n_points, ty, tx)
            Grey levels 0–255, e.g. from ``astromorph_nb.data.make_thumbnails`` or
            ``session.thumbnails``.
        """
        where = "MapScatter.set_thumbnails"
        array = np.asarray(thumbnails)
        if array.dtype != np.uint8:
            msg = (
                f"thumbnails in {where} must be uint8 grey levels (0-255); got dtype "
                f"{array.dtype}. Make them with astromorph_nb.data.make_thumbnails, or scale "
                "and cast: np.clip(images * 255, 0, 255).astype(np.uint8)."
            )
            raise TypeError(msg)
        if array.ndim != 3 or 0 in array.shape[1:]:
            msg = (
                f"thumbnails in {where} must have shape (n_points, ty, tx); got "
                f"{array.shape}. For images with channels, average them or pass one channel."
            )
            raise ValueError(msg)
        if len(array) != self.n_points:
            msg = (
                f"thumbnails has {len(array)} images but the map has {self.n_points} points "
                f"in {where}. Expected one thumbnail per point, in the order of set_points."
            )
            raise ValueError(msg)
        array = pad_to_square(array)
        size = array.shape[1]
        if len(array):
            fits = max(1, math.isqrt(MAX_THUMBNAIL_BYTES // len(array)))
            if fits < size:
                array = shrink_square(array, fits, block=_RESAMPLE_BLOCK)
                size = fits
        per_chunk = max(1, CHUNK_BYTES // (size * size))
        chunks = [
            np.ascontiguousarray(array[start : start + per_chunk]).tobytes()
            for start in range(0, len(array), per_chunk)
        ]
        with self.hold_sync():
            self.thumbnail_size = size  # first: the thumbnails observer sends it along
            self.thumbnails = chunks

    def set_labels(self, labels: Sequence[Any]) -> None:
        """Set the hover label of every point (plain text; ``str()`` of each item).

        Parameters
        ----------
        labels : sequence of length n_points
            For example object names, or ``"#12 NGC 1300"``.
        """
        if isinstance(labels, (str, bytes)):
            msg = (
                "labels in MapScatter.set_labels must be a sequence with one label per point; "
                f"got a single {type(labels).__name__} {shorten(labels)}."
            )
            raise TypeError(msg)
        texts = [str(label) for label in labels]
        if len(texts) != self.n_points:
            msg = (
                f"labels has {len(texts)} entries but the map has {self.n_points} points in "
                "MapScatter.set_labels. Expected one label per point, in the order of set_points."
            )
            raise ValueError(msg)
        self.labels = texts
