r"""Write a self-contained HTML page of a t-SNE map for a paper's companion site (io layer).

The page needs no kernel, no server and no network: one ``.html`` file holds the map
drawing code (``display/static/map_scatter.js``, the same ``createMapView`` the notebook
widget uses), a small page script, and the data, embedded as JSON with base64 arrays:
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
import json
import math
import numbers
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from astromorph_nb._typing import PathLike
from astromorph_nb._validation import shorten
from astromorph_nb.data.thumbnails import pad_to_square, shrink_square
from astromorph_nb.display.assets import MAP_SCRIPT, static_asset
from astromorph_nb.display.colors import MAX_COLOR_CATEGORIES, color_coding
from astromorph_nb.exceptions import OutputExistsError
from astromorph_nb.io._atomic import replace_atomically
from astromorph_nb.io.export.readable_text import readable_text

__all__ = ["MAX_COLOR_CATEGORIES", "THUMBNAIL_BUDGET_BYTES", "write_html_page"]

#: Raw thumbnail bytes the page holds before it shrinks thumbnails (45 px for 5,000 objects).
THUMBNAIL_BUDGET_BYTES = 10_500_000
_MIN_THUMBNAIL_SIZE = 8
_WHERE = "write_html_page"


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
    if target.exists() and not overwrite:
        msg = (
            f"{str(target)!r} exists already in {_WHERE}. Choose another name, "
            "or pass overwrite=True to replace it."
        )
        raise OutputExistsError(msg)
    title = readable_text(str(title))
    payload = _payload(
        title=title,
        x=x,
        y=y,
        thumbnails=thumbnails,
        labels=labels,
        columns=columns,
        color_options=color_options,
        neighbors=neighbors,
        neighbor_distances=neighbor_distances,
        thumbnail_budget=thumbnail_budget,
    )
    text = _PAGE.format(
        title=html.escape(title),
        data=_script_json(payload),
        script=_map_script() + "\n" + _PAGE_SCRIPT,
    )
    with replace_atomically(target) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return target


def _payload(
    *,
    title: str,
    x: Any,
    y: Any,
    thumbnails: np.ndarray,
    labels: Sequence[Any],
    columns: Mapping[str, Sequence[Any]],
    color_options: Sequence[str],
    neighbors: Any,
    neighbor_distances: Any,
    thumbnail_budget: int,
) -> dict[str, Any]:
    """Check the inputs and return the JSON-ready data of the page."""
    xs = np.asarray(x, dtype=np.float32).ravel()
    n = len(xs)
    ys = _check_length("y", np.asarray(y, dtype=np.float32).ravel(), n)
    thumbs = np.asarray(thumbnails)
    if thumbs.dtype != np.uint8 or thumbs.ndim != 3:
        msg = (
            f"thumbnails in {_WHERE} must be a uint8 array of shape (n_objects, ty, tx); got "
            f"{thumbs.dtype} of shape {thumbs.shape}. Scale them to 0-255 and cast with "
            ".astype(np.uint8)."
        )
        raise TypeError(msg)
    thumbs = _shrink(pad_to_square(_check_length("thumbnails", thumbs, n)), thumbnail_budget)
    names = [_text(v) for v in _check_length("labels", list(labels), n)]
    table = {
        _text(k): [_json_value(v) for v in _check_length(k, list(c), n)] for k, c in columns.items()
    }
    found = np.asarray(neighbors)
    if found.ndim != 2 or (found.size and found.dtype.kind not in "iu"):
        msg = (
            f"neighbors in {_WHERE} must be an int array of shape (n_objects, k); got "
            f"{found.dtype} of shape {found.shape}."
        )
        raise TypeError(msg)
    found = _check_length("neighbors", found, n)
    if found.size and (found.min() < 0 or found.max() >= n):
        msg = (
            f"neighbors in {_WHERE} must hold indices in [0, {n - 1}]; got values from "
            f"{found.min()} to {found.max()}."
        )
        raise ValueError(msg)
    distances = np.asarray(neighbor_distances, dtype=np.float32)
    if distances.shape != found.shape:
        msg = (
            f"neighbor_distances in {_WHERE} must have the shape of neighbors, "
            f"{found.shape}; got {distances.shape}."
        )
        raise ValueError(msg)
    return {
        "title": title,
        "n": n,
        "x": _b64(xs),
        "y": _b64(ys),
        "labels": names,
        "thumbnailSize": int(thumbs.shape[1]),
        "thumbnailEncoding": "deflate",
        "thumbnails": base64.b64encode(zlib.compress(thumbs.tobytes(), 9)).decode("ascii"),
        "columns": list(table),
        "rows": table,
        "colors": [_color(_text(name), table) for name in color_options],
        "k": int(found.shape[1]),
        "neighbors": _b64(found.astype("<i4")),
        "neighborDistances": _b64(distances),
    }


def _check_length(name: str, values: Any, n: int) -> Any:
    if len(values) != n:
        msg = (
            f"{name!r} in {_WHERE} has {len(values)} entries; expected {n}, one per object "
            "(the length of x). Pass one value per point of the map."
        )
        raise ValueError(msg)
    return values


def _color(name: str, table: dict[str, list[Any]]) -> dict[str, Any]:
    """Return one colour choice: numeric values, or codes into category names."""
    if name not in table:
        msg = (
            f"Colour option {name!r} in {_WHERE} is not one of the columns. Expected one "
            f"of {shorten(sorted(table), 200)}; got {name!r}. Add the column or drop it."
        )
        raise ValueError(msg)
    values = table[name]
    missing = np.array([v is None for v in values], dtype=bool)
    numeric = all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values if v is not None
    )
    if numeric:
        array = np.array([0 if v is None else v for v in values], dtype=np.float64)
        if name == "cluster":  # labels: integers, -1 = noise
            array = array.astype(np.int64)
    else:
        array = np.array(["" if v is None else _text(v) for v in values], dtype=str)
    coding = color_coding(name, array, missing=missing)
    return {
        "name": name,
        "mode": coding.mode,
        "values": _b64(coding.values),
        "categories": coding.categories,
    }


def _shrink(thumbnails: np.ndarray, budget: int) -> np.ndarray:
    """Area-average square thumbnails down until they fit ``budget`` bytes (>= 8 px)."""
    n, size = len(thumbnails), thumbnails.shape[1]
    if n * size * size <= budget or size <= _MIN_THUMBNAIL_SIZE:
        return thumbnails
    return shrink_square(thumbnails, max(_MIN_THUMBNAIL_SIZE, math.isqrt(budget // max(n, 1))))


def _text(value: Any) -> str:
    """Return ``value`` as text UTF-8 can hold (bytes decoded, see ``readable_text``)."""
    return readable_text(value if isinstance(value, (str, bytes)) else str(value))


def _json_value(value: Any) -> Any:
    """Return a JSON value for one table cell: None, bool, int, finite float or str."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value) if math.isfinite(value) else None
    return _text(value)


def _b64(array: np.ndarray) -> str:
    """Little-endian bytes of ``array`` (float32 or int32), base64-encoded."""
    dtype = "<i4" if array.dtype.kind in "iu" else "<f4"
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


def _script_json(payload: dict[str, Any]) -> str:
    """JSON that is safe inside a <script> element: no '<', '>' or '&' characters."""
    text = json.dumps(payload, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _map_script() -> str:
    """Return the map widget's ES module as text (a static asset of the package)."""
    text = static_asset(MAP_SCRIPT)
    # the page holds it inline: a literal "</script" would end the element early
    return text.replace("</script", "<\\/script")


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="astromorph_nb">
<title>{title}</title>
<style>
body {{ margin: 0; padding: 16px 20px; color: #1f2328; background: #fff;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }}
h1 {{ font-size: 20px; margin: 0 0 4px 0; }}
h2 {{ font-size: 16px; margin: 18px 0 6px 0; }}
.amn-sub {{ color: #57606a; margin-bottom: 10px; }}
.amn-controls {{ display: flex; gap: 16px; align-items: center; flex-wrap: wrap;
  margin-bottom: 8px; }}
.amn-controls input, .amn-controls select {{ font: inherit; padding: 3px 6px; }}
#amn-search {{ width: 240px; }}
.amn-main {{ display: flex; gap: 16px; align-items: flex-start; }}
#amn-map {{ flex: 1 1 auto; min-width: 300px; }}
#amn-details {{ flex: 0 0 330px; border: 1px solid #d0d7de; border-radius: 6px; padding: 10px;
  min-height: 200px; max-height: 560px; overflow: auto; }}
#amn-details h3 {{ margin: 0 0 6px 0; font-size: 16px; word-break: break-word; }}
canvas.amn-cutout {{ image-rendering: pixelated; background: #000; border-radius: 3px;
  display: block; }}
.amn-big {{ width: 200px; height: 200px; }}
.amn-neighbors {{ display: grid; grid-template-columns: repeat(4, 1fr); gap: 6px; }}
.amn-neighbor {{ border: 1px solid #d0d7de; border-radius: 4px; padding: 3px; background: #fff;
  cursor: pointer; font: 11px/1.2 inherit; text-align: center; overflow: hidden; }}
.amn-neighbor:hover {{ border-color: #d62728; }}
.amn-neighbor canvas {{ width: 64px; height: 64px; margin: 0 auto 2px auto; }}
.amn-neighbor span {{ display: block; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }}
.amn-props {{ border-collapse: collapse; margin: 8px 0; font-size: 12px; }}
.amn-props th {{ text-align: left; color: #57606a; font-weight: normal; padding: 1px 8px 1px 0; }}
.amn-props td {{ word-break: break-word; }}
.amn-hint {{ color: #6e7781; }}
.amn-table-wrap {{ max-height: 420px; overflow: auto; border: 1px solid #d0d7de;
  border-radius: 6px; }}
#amn-table {{ border-collapse: collapse; font-size: 12px; width: 100%; }}
#amn-table th {{ position: sticky; top: 0; background: #f6f8fa; cursor: pointer; text-align: left;
  padding: 4px 8px; border-bottom: 1px solid #d0d7de; white-space: nowrap; }}
#amn-table td {{ padding: 2px 8px; border-bottom: 1px solid #eaeef2; white-space: nowrap;
  max-width: 320px; overflow: hidden; text-overflow: ellipsis; }}
#amn-table tbody tr {{ cursor: pointer; }}
#amn-table tbody tr:hover {{ background: #f6f8fa; }}
#amn-table tr.amn-focus {{ background: #ffebe9; }}
</style>
</head>
<body>
<h1 id="amn-title">{title}</h1>
<div class="amn-sub" id="amn-sub"></div>
<div class="amn-controls">
<label>Colour by <select id="amn-color"></select></label>
<label>Search <input id="amn-search" type="search" placeholder="object name"
  autocomplete="off"></label>
<span id="amn-search-info" class="amn-hint"></span>
</div>
<div class="amn-main">
<div id="amn-map"></div>
<aside id="amn-details"><p class="amn-hint">Click a point, a table row or search a name to
see the object and its most similar objects.</p></aside>
</div>
<h2>Objects</h2>
<div id="amn-table-info" class="amn-hint"></div>
<div class="amn-table-wrap"><table id="amn-table"><thead></thead><tbody></tbody></table></div>
<script type="application/json" id="amn-data">{data}</script>
<script type="module">
{script}
</script>
</body>
</html>
"""

# The page script, appended to map_scatter.js in one inline module (so it can call
# createMapView). Every string from the data is written with textContent.
_PAGE_SCRIPT = r"""
const DATA = JSON.parse(document.getElementById("amn-data").textContent);
const $ = (id) => document.getElementById(id);
const MAX_ROWS = 200;
function bytes64(s) {
  const bin = atob(s), out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
const f32 = (s) => new Float32Array(bytes64(s).buffer);
const i32 = (s) => new Int32Array(bytes64(s).buffer);
function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text != null) e.textContent = String(text);
  return e;
}
function fmt(v) {
  if (v == null) return "";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(3);
    return String(Number(v.toPrecision(4)));
  }
  return String(v);
}
const n = DATA.n, k = DATA.k, T = DATA.thumbnailSize, labels = DATA.labels;
const nb = i32(DATA.neighbors), nbd = f32(DATA.neighborDistances);
const colors = DATA.colors.map((c) => ({ ...c, values: f32(c.values) }));
let thumbs = null, current = -1, matches = null, lassoed = [], sortBy = null, sortDir = 1;
const nameOf = (i) => (labels[i] == null || labels[i] === "" ? `#${i}` : String(labels[i]));

$("amn-sub").textContent = `${n.toLocaleString("en")} objects. Hover for a cutout, click for its ` +
  "most similar objects; drag to pan, wheel to zoom, lasso to select.";
const view = createMapView($("amn-map"), { x: f32(DATA.x), y: f32(DATA.y), labels, height: 540 }, {
  onClick: (i) => focus(i),
  onSelect: (ids) => { lassoed = ids; renderTable(); },
});

const select = $("amn-color");
select.appendChild(el("option", null, "(none)")).value = "";
colors.forEach((c, j) => { select.appendChild(el("option", null, c.name)).value = String(j); });
function applyColor() {
  const c = colors[Number(select.value)];
  if (select.value === "" || !c) view.update({ colorMode: "none", values: new Float32Array(0) });
  else {
    view.update({ values: c.values, colorMode: c.mode, categories: c.categories,
      valueLabel: c.name });
  }
}
if (colors.length) select.value = "0";
select.addEventListener("change", applyColor);
applyColor();

function drawCutout(canvas, i) {
  if (!thumbs || i < 0) return;
  canvas.width = T; canvas.height = T;
  const ctx = canvas.getContext("2d"), img = ctx.createImageData(T, T);
  for (let row = 0; row < T; row++) {
    const src = i * T * T + (T - 1 - row) * T; // numpy row 0 is the bottom row of the image
    for (let col = 0; col < T; col++) {
      const v = thumbs[src + col], o = (row * T + col) * 4;
      img.data[o] = v; img.data[o + 1] = v; img.data[o + 2] = v; img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

function focus(i) {
  if (!(i >= 0 && i < n)) return;
  current = i;
  const near = Array.from(nb.subarray(i * k, (i + 1) * k));
  view.update({ focus: i, neighbors: near });
  const box = $("amn-details");
  box.replaceChildren();
  box.dataset.index = String(i);
  box.appendChild(el("h3", null, nameOf(i)));
  const big = el("canvas", "amn-cutout amn-big");
  drawCutout(big, i);
  box.appendChild(big);
  const props = el("table", "amn-props");
  for (const name of DATA.columns) {
    const tr = el("tr");
    tr.append(el("th", null, name), el("td", null, fmt(DATA.rows[name][i])));
    props.appendChild(tr);
  }
  box.appendChild(props);
  if (k) box.appendChild(el("div", "amn-hint", "Most similar (click to move there):"));
  const grid = el("div", "amn-neighbors");
  near.forEach((j, r) => {
    const b = el("button", "amn-neighbor");
    b.type = "button"; b.dataset.index = String(j); b.title = nameOf(j);
    const c = el("canvas", "amn-cutout");
    drawCutout(c, j);
    b.append(c, el("span", null, nameOf(j)), el("span", "amn-hint", `d = ${fmt(nbd[i * k + r])}`));
    b.addEventListener("click", () => focus(j));
    grid.appendChild(b);
  });
  box.appendChild(grid);
  renderTable();
}

function search() {
  const q = $("amn-search").value.trim().toLowerCase();
  if (!q) {
    matches = null; $("amn-search-info").textContent = "";
    view.update({ selected: lassoed }); renderTable(); return;
  }
  matches = [];
  for (let i = 0; i < n; i++) if (nameOf(i).toLowerCase().includes(q)) matches.push(i);
  $("amn-search-info").textContent = matches.length === 1 ? "1 match" : `${matches.length} matches`;
  view.update({ selected: matches });
  const exact = matches.find((i) => nameOf(i).toLowerCase() === q);
  if (matches.length) focus(exact !== undefined ? exact : matches[0]); else renderTable();
}
$("amn-search").addEventListener("input", search);

function compare(a, b) {
  const va = DATA.rows[sortBy][a], vb = DATA.rows[sortBy][b];
  if (va == null || vb == null) return va == null ? (vb == null ? a - b : 1) : -1;
  if (typeof va === "number" && typeof vb === "number") return (va - vb) * sortDir || a - b;
  return String(va).localeCompare(String(vb)) * sortDir || a - b;
}

function renderHead() {
  const tr = el("tr");
  for (const name of DATA.columns) {
    const arrow = sortBy === name ? (sortDir > 0 ? " \u25b2" : " \u25bc") : "";
    const th = el("th", null, name + arrow);
    th.title = "Sort by this column";
    th.addEventListener("click", () => {
      sortDir = sortBy === name ? -sortDir : 1; sortBy = name; renderHead(); renderTable();
    });
    tr.appendChild(th);
  }
  $("amn-table").tHead.replaceChildren(tr);
}

function renderTable() {
  let rows, what;
  if (matches) { rows = matches.slice(); what = "search matches"; }
  else if (lassoed.length) { rows = lassoed.slice(); what = "selected objects"; }
  else { rows = Array.from({ length: n }, (_, i) => i); what = "objects"; }
  if (sortBy) rows.sort(compare);
  const total = rows.length;
  rows = rows.slice(0, MAX_ROWS);
  if (current >= 0 && !rows.includes(current)) rows.unshift(current);
  const body = document.createDocumentFragment();
  for (const i of rows) {
    const tr = el("tr");
    tr.dataset.index = String(i);
    if (i === current) tr.className = "amn-focus";
    for (const name of DATA.columns) tr.appendChild(el("td", null, fmt(DATA.rows[name][i])));
    tr.addEventListener("click", () => focus(i));
    body.appendChild(tr);
  }
  $("amn-table").tBodies[0].replaceChildren(body);
  $("amn-table-info").textContent = total > MAX_ROWS
    ? `Showing the first ${MAX_ROWS} of ${total.toLocaleString("en")} ${what}; ` +
      "sort by a column, search or lasso to see others."
    : `${total.toLocaleString("en")} ${what}.`;
}
renderHead();
renderTable();

window.__amnPage = { view, focus, search, get current() { return current; } };
(async () => {
  const packed = bytes64(DATA.thumbnails);
  let raw = packed;
  if (DATA.thumbnailEncoding === "deflate") {
    const stream = new Blob([packed]).stream().pipeThrough(new DecompressionStream("deflate"));
    raw = new Uint8Array(await new Response(stream).arrayBuffer());
  }
  thumbs = raw;
  view.update({ thumbnails: [raw], thumbnailSize: T, thumbnailsPerChunk: n });
  if (current >= 0) focus(current);
  document.body.dataset.thumbnails = "ready";
})().catch((err) => {
  $("amn-sub").textContent =
    `Cutouts could not be unpacked in this browser (${err}); the map still works.`;
});
"""
