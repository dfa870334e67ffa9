r"""Write a self-contained HTML page of a t-SNE map for a paper's companion site (io layer).

The page needs no kernel, no server and no network: one ``.html`` file holds the map
drawing code (``display/static/map_scatter.js``, the same ``createMapView`` the notebook
widget uses), a small page script (``html_page.js``) and its styles (``html_page.css``) in
the page's skeleton (``html_page.html``, all three in ``display/static/``), and the data
(checked and encoded by ``io/export/_page_data.py``), embedded as JSON with base64 arrays:
float32 map coordinates and colour values, int32 neighbour indices, and the uint8
thumbnails compressed with deflate (the browser inflates them with
``DecompressionStream``). Opened from disk, it shows the map with hover cutouts, a
colour-by selector, a search box by object name, the clicked object large with its
precomputed neighbours, and a sortable metadata table.

Size. 5,000 thumbnails of 64×64 pixels are 20 MB raw, and deflate gains only ~15% on
noisy galaxy stamps (measured on the bundled Hubble XDF stamps), so thumbnails are also
area-averaged down until they fit ``thumbnail_budget`` bytes raw (10.5 MB: 45 px for
5,000 objects; full size for up to 2,563 objects of 64 px). Measured for 5,000 XDF stamps
of 64 px with four table columns: a 12.2 MB page; thumbnails of pure noise, the worst
case for deflate, give 13.1 MB.

Text from users (names, metadata, categories, the title) is never parsed as HTML: the
JSON is escaped so that ``</script>`` cannot close its element, and the page script
writes every string with ``textContent``. Text that UTF-8 cannot hold (a file name read
from ``b'gal\xe9.fits'``, bytes in other encodings) is shown with each undecodable byte as
``\xe9`` (see ``io/export/readable_text.py``).

Colours by category. The map's palette has 20 colours, so at most
:data:`MAX_COLOR_CATEGORIES` categories are coloured: the distinct values present, in
sorted order (cluster labels ``[0, 3000000]`` are two categories, not three million). With
more distinct values, the 19 most common keep their colours and the rest are grouped as
``"other"``. The rule lives in ``display/colors.py``; the notebook explorer
(``widgets/explorer.py``) colours by it too.
"""

from __future__ import annotations

import base64
import html
import string
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from astromorph_nb._typing import PathLike
from astromorph_nb.display.assets import MAP_SCRIPT, static_asset
from astromorph_nb.display.colors import MAX_COLOR_CATEGORIES
from astromorph_nb.io._atomic import refuse_existing, replace_atomically
from astromorph_nb.io.export._page_data import (
    WHERE,
    b64,
    checked_length,
    checked_neighbors,
    checked_thumbnails,
    color_choice,
    json_value,
    page_text,
    script_json,
)
from astromorph_nb.io.export.readable_text import readable_text

__all__ = ["MAX_COLOR_CATEGORIES", "THUMBNAIL_BUDGET_BYTES", "write_html_page"]

#: Raw thumbnail bytes the page holds before it shrinks thumbnails (45 px for 5,000 objects).
THUMBNAIL_BUDGET_BYTES = 10_500_000
#: The page's files in ``display/static/``: the HTML skeleton, its styles and its script.
_PAGE_FILES = ("html_page.html", "html_page.css", "html_page.js")
# The notebook explorer colours its map as the page does (its tests compare with this).
_color = color_choice


def write_html_page(
    path: PathLike,
    *,
    title: str,
    x: Any,
    y: Any,
    thumbnails: np.ndarray,
    labels: Sequence[Any],
    columns: Mapping[str, Sequence[Any]],
    color_options: Sequence[str] = (),
    neighbors: Any,
    neighbor_distances: Any,
    thumbnail_budget: int = THUMBNAIL_BUDGET_BYTES,
    overwrite: bool = False,
) -> Path:
    """Write one HTML file that shows a map of objects with cutouts, neighbours and a table.

    Parameters
    ----------
    path : str or path-like
        The ``.html`` file to write (its folder must exist).
    title : str
        Page title and heading.
    x, y : array-like of shape (n_objects,)
        Map coordinates (e.g. the t-SNE map).
    thumbnails : ndarray of shape (n_objects, ty, tx), uint8
        Grey previews in numpy order (row 0 is the bottom of the image). Non-square ones
        are padded with black; large sets are area-averaged down (see ``thumbnail_budget``).
    labels : sequence of length n_objects
        Object names: shown on hover and matched by the search box.
    columns : mapping of str to sequence of length n_objects
        Metadata and results for the table (numbers, strings, bools; None = missing).
    color_options : sequence of str, default=()
        Names in ``columns`` the map may be coloured by; the first is shown at first.
        Numbers give a colour bar; text, bools and ``"cluster"`` (-1 = noise) give a legend
        of at most :data:`MAX_COLOR_CATEGORIES` categories (see the module docstring).
    neighbors : int array-like of shape (n_objects, k)
        Indices of each object's most similar objects, nearest first.
    neighbor_distances : array-like of shape (n_objects, k)
        Their distances, shown under the neighbour cutouts.
    thumbnail_budget : int, default=THUMBNAIL_BUDGET_BYTES
        Largest raw size of all thumbnails in bytes; beyond it they are shrunk (not below
        8 pixels). The page is about 1.33 times (base64) what deflate leaves of it.
    overwrite : bool, default=False
        Replace an existing file.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    OutputExistsError
        If ``path`` exists and ``overwrite`` is False.
    ValueError, TypeError
        If the arrays do not have one entry per object, or a colour option is no column.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> folder = tempfile.mkdtemp()
    >>> page = write_html_page(
    ...     f"{folder}/map.html", title="Two objects", x=[0, 1], y=[0, 1],
    ...     thumbnails=np.zeros((2, 8, 8), np.uint8), labels=["a", "b"],
    ...     columns={"flux": [1.0, 2.0]}, color_options=["flux"],
    ...     neighbors=[[1], [0]], neighbor_distances=[[0.1], [0.1]])
    >>> page.name, "https://" in page.read_text()
    ('map.html', False)
    """
    target = Path(path).expanduser()
    refuse_existing(target, overwrite=overwrite, where=WHERE)
    title = readable_text(str(title))
    xs = np.asarray(x, dtype=np.float32).ravel()
    n = len(xs)
    ys = checked_length("y", np.asarray(y, dtype=np.float32).ravel(), n)
    thumbs = checked_thumbnails(thumbnails, n, thumbnail_budget)
    names = [page_text(v) for v in checked_length("labels", list(labels), n)]
    table = {
        page_text(k): [json_value(v) for v in checked_length(k, list(c), n)]
        for k, c in columns.items()
    }
    found, distances = checked_neighbors(neighbors, neighbor_distances, n)
    payload = {
        "title": title,
        "n": n,
        "x": b64(xs),
        "y": b64(ys),
        "labels": names,
        "thumbnailSize": int(thumbs.shape[1]),
        "thumbnailEncoding": "deflate",
        "thumbnails": base64.b64encode(zlib.compress(thumbs.tobytes(), 9)).decode("ascii"),
        "columns": list(table),
        "rows": table,
        "colors": [_color(page_text(name), table) for name in color_options],
        "k": int(found.shape[1]),
        "neighbors": b64(found.astype("<i4")),
        "neighborDistances": b64(distances),
    }
    text = _page(title, payload)
    with replace_atomically(target) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return target


def _page(title: str, payload: dict[str, Any]) -> str:
    """Return the page: its skeleton with the title, styles, data and scripts put in."""
    skeleton, style, page_script = (static_asset(name) for name in _PAGE_FILES)
    # the scripts are inline: a literal "</script" would end the element early
    script = (static_asset(MAP_SCRIPT) + "\n\n" + page_script).replace("</script", "<\\/script")
    return string.Template(skeleton).substitute(
        title=html.escape(title), style=style, data=script_json(payload), script=script
    )
