"""MapScatter in a real headless Chromium, served by Voila: draw, hover, click, zoom, lasso.

The notebook shows 2,000 points with thumbnails (streamed to the page after the map is
drawn) whose bottom row (numpy row 0) encodes the point's index, so the test can read from
the tooltip's pixels which cutout it got (and that it was flipped the right way up).
Expected picks and lasso contents are computed in the page by brute force over every point,
from the same geometry the user's pointer used.
Screenshots go to $BROWSER_ARTIFACTS (default /tmp/browser-artifacts).
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

DATA_CELL = r"""
import numpy as np
N, T = 2000, 16
rng = np.random.default_rng(7)
centres = rng.normal(scale=7.0, size=(8, 2))
cluster = rng.integers(0, 8, N)
xy = centres[cluster] + rng.normal(size=(N, 2)) * rng.uniform(0.5, 1.3, (N, 1))
distance = np.linalg.norm(xy - centres[cluster], axis=1)
# an elongated galaxy-like blob per point; numpy row 0 (the BOTTOM row) encodes the index
yy, xx = np.mgrid[:T, :T] - (T - 1) / 2
width = 1.2 + (np.arange(N) % 5) * 0.5
blob = np.exp(-(xx**2 + (1.8 * yy) ** 2)[None] / (2 * width[:, None, None] ** 2))
thumbs = (255 * blob).astype(np.uint8)
thumbs[:, 0, 0] = np.arange(N) % 256
thumbs[:, 0, 1] = np.arange(N) // 256
gaps = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)
np.fill_diagonal(gaps, np.inf)
ISOLATED = int(gaps.min(axis=1).argmax())
EVIL = "<script>alert(1)</script> & co"
labels = [f"#{i} J{1000 + i}+02" for i in range(N)]
labels[ISOLATED] = EVIL
categories = [f"cluster {k}" for k in range(8)]
categories[3] = "<b>bold</b> & <img src=x onerror=alert(2)>"
CATEGORY_LABEL = "<i>cluster</i> & co"
"""

WIDGET_CELL = r"""
import ipywidgets as W
from astromorph_nb.widgets import MapScatter

m = MapScatter(height=460, renderer="webgl")  # WebGL even in software, as users with GPUs get
m.add_class("t-map")
m.set_points(xy[:, 0], xy[:, 1])
m.set_colors(distance, mode="numeric", label="distance from cluster centre")
m.set_labels(labels)
m.set_thumbnails(thumbs)
click_label = W.Label("clicked: none"); click_label.add_class("t-click-label")
count_label = W.Label("clicks: 0"); count_label.add_class("t-count-label")
select_label = W.Label("selected: none"); select_label.add_class("t-select-label")
hover_label = W.Label("hovered: none"); hover_label.add_class("t-hover-label")
clicks = []

def on_clicked(change):
    i = change["new"]
    if i < 0:
        return
    clicks.append(i)
    nearest = np.argsort(((xy - xy[i]) ** 2).sum(axis=1))[1:7]
    with m.hold_sync():
        m.focus = i
        m.neighbors = [int(j) for j in nearest]
    click_label.value = f"clicked: {i}"
    count_label.value = f"clicks: {len(clicks)}"

def on_colour(change):
    if change["new"] == "categorical":
        m.set_colors(cluster, mode="categorical", categories=categories, label=CATEGORY_LABEL)
    else:
        m.set_colors(distance, mode="numeric", label="distance from cluster centre")

m.observe(on_clicked, names="clicked")
m.observe(lambda c: setattr(select_label, "value", f"selected: {len(c['new'])}"), names="selected")
m.observe(lambda c: setattr(hover_label, "value", f"hovered: {c['new']}"), names="hovered")
colour = W.ToggleButtons(options=["numeric", "categorical"], value="numeric")
colour.add_class("t-colour")
colour.observe(on_colour, names="value")
auto = MapScatter(height=260)  # renderer="auto": canvas 2D where WebGL is software only
auto.add_class("t-map-auto")
auto.set_points(xy[:, 0], xy[:, 1])
auto.set_colors(cluster, mode="categorical", categories=categories, label="cluster")
auto.set_labels(labels)
auto.set_thumbnails(thumbs)
W.VBox([colour, m, W.HBox([click_label, count_label, select_label, hover_label]), auto],
       layout=W.Layout(width="900px"))
"""

VIEW = "document.querySelector('.t-map').__amnMap"
# the point a pointer at client (x, y) must pick: nearest within the pick radius, brute force
BRUTE_PICK = f"""([cx, cy]) => {{
  const v = {VIEW}; const r = v.pickRadius(); let best = -1, bestD = r * r;
  for (let i = 0; i < v.state.n; i++) {{
    const [x, y] = v.dataToClient(i); const d = (x - cx) ** 2 + (y - cy) ** 2;
    if (d < bestD) {{ best = i; bestD = d; }}
  }}
  return best; }}"""
# points whose drawn position lies inside the lasso polygon the view recorded
BRUTE_LASSO = f"""() => {{
  const v = {VIEW}; const poly = v.lastLasso; if (!poly) return null;
  const inside = (px, py) => {{ let c = false;
    for (let a = 0, b = poly.length - 1; a < poly.length; b = a++) {{
      const [xa, ya] = poly[a], [xb, yb] = poly[b];
      if ((ya > py) !== (yb > py) && px < (xb - xa) * (py - ya) / (yb - ya) + xa) c = !c; }}
    return c; }};
  const out = [];
  for (let i = 0; i < v.state.n; i++) {{
    const [x, y] = v.dataToClient(i); if (inside(x, y)) out.push(i); }}
  return out; }}"""
TOOLTIP_PIXELS = """() => {
  const c = document.querySelector('.t-map .amn-map-tooltip canvas'); const t = c.width;
  const d = c.getContext('2d').getImageData(0, 0, t, t).data;
  const px = (x, y) => d[(y * t + x) * 4];
  return {t, low: px(0, t - 1), high: px(1, t - 1), topLeft: px(0, 0)}; }"""


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(DATA_CELL, namespace)  # the same numbers the notebook's kernel computes
    return namespace


@pytest.fixture(scope="module")
def notebook(open_notebook: Any) -> Any:
    opened = open_notebook([DATA_CELL, WIDGET_CELL], name="map_scatter")
    opened.page.wait_for_function(
        "() => ['.t-map', '.t-map-auto'].every(s => { const m = document.querySelector(s);"
        " return m && m.dataset.drawnPoints === '2000' && m.dataset.thumbnails === '1/1'; })",
        timeout=90_000,
    )
    yield opened
    opened.close()


@pytest.fixture
def page(notebook: Any) -> Any:
    return notebook.page


def label(page: Any, name: str) -> str:
    return str(page.locator(f".t-{name}-label").text_content())


def wait_label(page: Any, name: str, text: str) -> None:
    page.wait_for_function(
        f"() => (document.querySelector('.t-{name}-label') || {{}}).textContent === {text!r}",
        timeout=15_000,
    )


def client_position(page: Any, index: int) -> tuple[float, float]:
    x, y = page.evaluate(f"{VIEW}.dataToClient({index})")
    return float(x), float(y)


def hover(page: Any, x: float, y: float) -> int:
    """Move the pointer to (x, y); return the point it must pick (brute force)."""
    expected = int(page.evaluate(BRUTE_PICK, [x, y]))
    page.mouse.move(x - 25, y - 25)
    page.mouse.move(x, y, steps=3)
    return expected


def visible_points(page: Any, margin: float = 50) -> list[int]:
    """Indices drawn inside the map, away from its edges and the colour key."""
    return list(
        page.evaluate(
            f"""(margin) => {{ const v = {VIEW}; const m = document.querySelector('.t-map');
            const s = m.querySelector('.amn-map-stage').getBoundingClientRect();
            const k = m.querySelector('.amn-map-key').getBoundingClientRect();
            const out = [];
            for (let i = 0; i < v.state.n; i++) {{ const [x, y] = v.dataToClient(i);
              if (x > s.left + margin && x < s.right - margin && y > s.top + margin &&
                  y < s.bottom - margin && !(x > k.left - 20 && y < k.bottom + 20)) out.push(i); }}
            return out; }}""",
            margin,
        )
    )


def shot(page: Any, artifacts_dir: Any, name: str) -> None:
    page.locator(".t-map").screenshot(path=str(artifacts_dir / f"map_scatter_{name}.png"))


def test_map_draws_every_point_with_webgl(page, artifacts_dir):
    from PIL import Image

    assert page.evaluate("document.querySelector('.t-map').dataset.renderer") == "webgl"
    assert page.evaluate(f"{VIEW}.state.n") == 2000
    stage = page.locator(".t-map .amn-map-stage").screenshot()
    pixels = np.asarray(Image.open(io.BytesIO(stage)).convert("RGB")).astype(int)
    coloured = (pixels.max(axis=2) - pixels.min(axis=2)) > 60  # viridis, not the grey frame
    assert coloured.sum() > 3000
    assert page.locator(".t-map .amn-map-key-title").text_content() == (
        "distance from cluster centre"
    )
    shot(page, artifacts_dir, "1_numeric")


def test_hover_shows_the_cutout_and_label_of_the_picked_point(page, data, artifacts_dir):
    for index in visible_points(page)[::400][:4]:
        expected = hover(page, *client_position(page, index))
        assert expected >= 0
        page.wait_for_function(
            "(i) => document.querySelector('.t-map .amn-map-tooltip').dataset.index === String(i)",
            arg=expected,
            timeout=5_000,
        )
        assert page.evaluate(
            "document.querySelector('.t-map .amn-map-tooltip').dataset.cutout"
        ) == ("yes")
        pixels = page.evaluate(TOOLTIP_PIXELS)
        assert pixels["t"] == 16
        assert (pixels["low"], pixels["high"]) == (expected % 256, expected // 256)
        assert (
            pixels["topLeft"] == data["thumbs"][expected, -1, 0]
        )  # numpy row 0 drawn at the bottom
        text = page.locator(".t-map .amn-map-tooltip-label").text_content()
        assert text == data["labels"][expected]
        assert page.locator(".t-map .amn-map-tooltip canvas").bounding_box()["width"] >= 96
    wait_label(page, "hover", f"hovered: {expected}")  # throttled, but it reaches the kernel
    shot(page, artifacts_dir, "2_hover")


def test_labels_are_shown_as_text_never_run(page, notebook, data, artifacts_dir):
    expected = hover(page, *client_position(page, data["ISOLATED"]))
    assert expected == data["ISOLATED"]
    page.wait_for_function(
        "(i) => document.querySelector('.t-map .amn-map-tooltip').dataset.index === String(i)",
        arg=expected,
    )
    assert page.locator(".t-map .amn-map-tooltip-label").text_content() == data["EVIL"]
    assert page.evaluate("document.querySelectorAll('.t-map script, .t-map img').length") == 0
    assert notebook.dialogs == []
    shot(page, artifacts_dir, "3_escaped_label")


def test_click_sets_clicked_in_the_kernel_and_python_highlights_it(page, artifacts_dir):
    index = visible_points(page)[700]
    x, y = client_position(page, index)
    expected = hover(page, x, y)
    page.mouse.click(x, y)
    wait_label(page, "click", f"clicked: {expected}")
    page.wait_for_function(
        f"(i) => {VIEW}.state.focus === i && {VIEW}.state.neighbors.length === 6", arg=expected
    )
    clicks = label(page, "count")
    page.mouse.click(x, y)  # the same point again is seen again
    wait_label(page, "count", f"clicks: {int(clicks.split()[-1]) + 1}")
    shot(page, artifacts_dir, "4_clicked_focus_and_neighbors")


def test_click_on_empty_space_does_nothing(page):
    box = page.locator(".t-map .amn-map-stage").bounding_box()
    spot = None
    for fy in np.linspace(0.15, 0.85, 15):
        for fx in np.linspace(0.05, 0.6, 15):
            x, y = box["x"] + fx * box["width"], box["y"] + fy * box["height"]
            if page.evaluate(BRUTE_PICK, [x, y]) == -1 and page.evaluate(
                "([x, y]) => document.elementFromPoint(x, y).classList.contains('amn-map-overlay')",
                [x, y],
            ):
                spot = (x, y)
                break
        if spot:
            break
    assert spot is not None
    before = (label(page, "click"), label(page, "count"))
    page.mouse.click(*spot)
    page.wait_for_timeout(600)
    assert (label(page, "click"), label(page, "count")) == before


def test_picking_stays_right_after_zoom_and_pan(page, artifacts_dir):
    box = page.locator(".t-map .amn-map-stage").bounding_box()
    cx, cy = box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -500)
    page.wait_for_function(f"() => {VIEW}.state.view.scale > 1.5 * {VIEW}.state.fitScale")
    before = page.evaluate(f"{VIEW}.state.view")
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 90, cy + 40, steps=6)
    page.mouse.up()
    after = page.evaluate(f"{VIEW}.state.view")
    assert math.isclose(after["cx"], before["cx"] - 90 / after["scale"], rel_tol=1e-3)
    assert math.isclose(after["cy"], before["cy"] + 40 / after["scale"], rel_tol=1e-3)
    candidates = visible_points(page)
    assert len(candidates) > 20
    for index in candidates[:: max(1, len(candidates) // 4)][:4]:
        expected = hover(page, *client_position(page, index))
        page.wait_for_function(
            "(i) => document.querySelector('.t-map .amn-map-tooltip').dataset.index === String(i)",
            arg=expected,
            timeout=5_000,
        )
    shot(page, artifacts_dir, "5_zoomed")
    page.locator(".t-map .amn-map-btn-fit").click()
    page.wait_for_function(f"() => {VIEW}.state.view.scale === {VIEW}.state.fitScale")


def lasso(page: Any, centre: tuple[float, float], radius: float, *, shift: bool) -> None:
    vertices = [
        (centre[0] + radius * math.cos(a) * 1.3, centre[1] + radius * math.sin(a))
        for a in np.linspace(0, 2 * math.pi, 15)[:-1]
    ]
    page.mouse.move(*vertices[0])
    if shift:
        page.keyboard.down("Shift")
    page.mouse.down()
    for vertex in [*vertices[1:], vertices[0]]:
        page.mouse.move(*vertex, steps=3)
    page.mouse.up()
    if shift:
        page.keyboard.up("Shift")


@pytest.mark.parametrize("how", ["toolbar", "shift-drag"])
def test_lasso_selects_exactly_the_points_inside(page, artifacts_dir, how):
    if how == "toolbar":
        page.locator(".t-map .amn-map-btn-lasso").click()
        assert page.evaluate(f"{VIEW}.state.mode") == "lasso"
    candidates = visible_points(page, margin=120)
    centre = client_position(page, candidates[len(candidates) // (3 if how == "toolbar" else 2)])
    lasso(page, centre, 60, shift=how == "shift-drag")
    expected = page.evaluate(BRUTE_LASSO)
    assert expected, "the lasso caught no points"
    wait_label(page, "select", f"selected: {len(expected)}")
    assert page.evaluate(f"{VIEW}.state.selected") == expected
    shot(page, artifacts_dir, f"6_lasso_{how}")
    if how == "toolbar":
        page.locator(".t-map .amn-map-btn-pan").click()
        assert page.evaluate(f"{VIEW}.state.mode") == "pan"


def test_clear_selection_button_empties_the_selection(page):
    page.locator(".t-map .amn-map-btn-clear").click()
    wait_label(page, "select", "selected: 0")


def test_categorical_legend_shows_names_as_text(page, data, artifacts_dir):
    page.locator(".t-colour button", has_text="categorical").click()
    page.wait_for_function(
        "() => document.querySelectorAll('.t-map .amn-map-legend-item').length === 8"
    )
    key = page.locator(".t-map .amn-map-key")
    assert key.locator(".amn-map-key-title").text_content() == data["CATEGORY_LABEL"]
    names = key.locator(".amn-map-legend-item span:nth-child(2)").all_text_contents()
    assert names == data["categories"]
    assert page.evaluate("document.querySelectorAll('.t-map .amn-map-key *').length") == (
        page.evaluate(
            "document.querySelectorAll('.t-map .amn-map-key div, .t-map .amn-map-key span').length"
        )
    )
    shot(page, artifacts_dir, "7_categorical")


def test_auto_renderer_draws_and_picks_with_canvas_when_webgl_is_software(
    page, data, artifacts_dir
):
    from PIL import Image

    auto = page.locator(".t-map-auto")
    auto.scroll_into_view_if_needed()
    renderer = page.evaluate(
        "() => { const gl = document.createElement('canvas').getContext('webgl');"
        " const i = gl.getExtension('WEBGL_debug_renderer_info');"
        " return gl.getParameter(i.UNMASKED_RENDERER_WEBGL); }"
    )
    expected_kind = "canvas" if "SwiftShader" in renderer else "webgl"
    assert page.evaluate("document.querySelector('.t-map-auto').dataset.renderer") == expected_kind
    stage = auto.locator(".amn-map-stage").screenshot()
    pixels = np.asarray(Image.open(io.BytesIO(stage)).convert("RGB")).astype(int)
    assert ((pixels.max(axis=2) - pixels.min(axis=2)) > 60).sum() > 2000
    view = "document.querySelector('.t-map-auto').__amnMap"
    index = data["ISOLATED"]
    x, y = page.evaluate(f"{view}.dataToClient({index})")
    page.mouse.move(x, y)
    page.wait_for_function(
        "(i) => document.querySelector('.t-map-auto .amn-map-tooltip').dataset.index === String(i)",
        arg=index,
    )
    auto.screenshot(path=str(artifacts_dir / f"map_scatter_8_auto_{expected_kind}.png"))


def test_switching_the_renderer_keeps_drawing_picking_and_the_selection(page, data):
    view = "document.querySelector('.t-map-auto').__amnMap"
    before = page.evaluate(f"{view}.renderer")
    other = "canvas" if before == "webgl" else "webgl"
    page.evaluate(f"{view}.update({{selected: [1, 2, 3]}})")
    page.evaluate(f"{view}.update({{renderer: {other!r}}})")
    page.evaluate(f"{view}.drawNow()")
    assert page.evaluate("document.querySelector('.t-map-auto').dataset.renderer") == other
    assert (
        page.evaluate("document.querySelectorAll('.t-map-auto canvas.amn-map-points').length") == 1
    )
    assert page.evaluate(f"{view}.state.selected") == [1, 2, 3]
    index = data["ISOLATED"]
    x, y = page.evaluate(f"{view}.dataToClient({index})")
    assert page.evaluate(f"{view}.pick({x}, {y})") == index
    page.mouse.move(x - 30, y - 30)
    page.mouse.move(x, y, steps=3)
    page.wait_for_function(
        "(i) => document.querySelector('.t-map-auto .amn-map-tooltip').dataset.index === String(i)",
        arg=index,
    )
    page.evaluate(f"{view}.update({{renderer: 'auto', selected: []}})")


def test_page_has_no_errors_and_ran_no_script(notebook):
    assert notebook.errors() == []
    assert notebook.dialogs == []
