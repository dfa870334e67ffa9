"""The dashboard in JupyterLab, in headless Chromium: live training, hover, click, lasso.

The notebook trains in the background with the dashboard shown, then runs a slow cell. While
that cell runs, the loss curve must keep changing in the page (updates come from the training
thread). Then a person's actions on the map: hover shows the cutout, a click shows the
object large with its neighbours, a lasso fills the selection table.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.browser

SETUP_CELL = """
import time
import ipywidgets as W
import astromorph_nb as amn

session = amn.Session(amn.datasets.hubble_deep_field(), random_state=0, device="cpu")
session.analyse(perplexity=20, n_clusters=5)   # a first map, from the shipped weights
"""
TRAIN_CELL = """
job = session.train(n_epochs=300, batch_size=64)
dashboard = session.dashboard()
dashboard
"""
SLOW_CELL = """
time.sleep(12)   # the kernel is busy here; the panel must keep updating meanwhile
done = W.Label("later cell done")
done.add_class("t-later-done")
done
"""
MAP = "document.querySelector('.amn-explorer-map')"
LOSS_PATH = "document.querySelector('.amn-loss-figure path.line')"


def shoot(page: Any, artifacts_dir: Any, name: str, selector: str = ".amn-explorer") -> None:
    page.locator(selector).first.screenshot(path=str(artifacts_dir / f"dashboard_{name}.png"))


@pytest.fixture(scope="module")
def notebook(open_notebook: Any) -> Any:
    opened = open_notebook([SETUP_CELL, TRAIN_CELL, SLOW_CELL], name="dashboard", server="lab")
    yield opened
    opened.close()


def test_loss_curve_changes_while_a_later_cell_runs(notebook, artifacts_dir):
    page = notebook.page
    page.wait_for_function(f"() => {LOSS_PATH} && {LOSS_PATH}.getAttribute('d')", timeout=120_000)
    seen = set()
    while not page.evaluate("() => !!document.querySelector('.t-later-done')"):
        seen.add(page.evaluate(f"() => {LOSS_PATH}.getAttribute('d')"))
        time.sleep(0.5)
    assert len(seen) >= 3, "the loss curve did not move while the later cell ran"
    shoot(page, artifacts_dir, "1_training", ".amn-dashboard .widget-vbox:has(.amn-loss-figure)")


def test_the_quality_line_shows_numbers_from_the_training_thread(notebook):
    # The label-free quality line under the loss curve fills in while training runs.
    page = notebook.page
    line = "document.querySelector('.amn-quality-line')"
    page.wait_for_function(
        f"() => {line} && /rank\\s*[0-9]/i.test({line}.innerText)", timeout=120_000
    )
    text = page.evaluate(f"() => {line}.innerText")
    assert "spread" in text.lower()


def test_hover_click_and_lasso_drive_the_explorer(notebook, artifacts_dir):
    page = notebook.page
    page.wait_for_selector(".t-later-done", timeout=60_000)
    page.wait_for_function(
        f"() => {MAP} && {MAP}.dataset.drawnPoints === '285' && {MAP}.dataset.thumbnails"
        f" && {MAP}.dataset.thumbnails.split('/')[0] === {MAP}.dataset.thumbnails.split('/')[1]",
        timeout=60_000,
    )
    view = f"{MAP}.__amnMap"
    page.locator(".amn-explorer").first.scroll_into_view_if_needed()
    page.evaluate(f"() => {MAP}.scrollIntoView({{block: 'start'}})")
    page.wait_for_timeout(300)
    stage = page.locator(".amn-explorer-map .amn-map-stage").bounding_box()
    assert stage is not None
    # a point well inside the map
    inside = page.evaluate(
        f"""([l, t, w, h]) => {{ const v = {view}; const out = [];
        for (let i = 0; i < v.state.n; i++) {{ const [x, y] = v.dataToClient(i);
          if (x > l + 80 && x < l + w - 200 && y > t + 80 && y < t + h - 80) out.push([i, x, y]); }}
        return out; }}""",
        [stage["x"], stage["y"], stage["width"], stage["height"]],
    )
    assert len(inside) > 20
    index, x, y = inside[len(inside) // 2]

    page.mouse.move(x - 30, y - 30)
    page.mouse.move(x, y, steps=3)
    page.wait_for_function(
        "() => { const t = document.querySelector('.amn-explorer-map .amn-map-tooltip');"
        " return t && getComputedStyle(t).display !== 'none' && t.textContent.includes('XDF'); }",
        timeout=10_000,
    )
    shoot(page, artifacts_dir, "2_hover")

    cutout_before = page.evaluate("() => document.querySelector('img.amn-cutout').src")
    page.mouse.click(x, y)
    page.wait_for_function(
        "(before) => document.querySelector('img.amn-cutout').src !== before"
        " && document.querySelectorAll('.amn-gallery img').length === 8",
        arg=cutout_before,
        timeout=30_000,
    )
    details = page.locator(".amn-details").text_content() or ""
    assert "XDF-" in details
    shoot(page, artifacts_dir, "3_clicked")

    # a neighbour's button moves the viewer there
    first = page.locator(".amn-neighbor-button").first
    target = (first.text_content() or "").strip().lstrip("#")
    first.click()
    page.wait_for_function(
        f"(t) => document.querySelector('.amn-details').textContent.includes('index' + t)"
        f" || {view}.state.focus === Number(t)",
        arg=target,
        timeout=30_000,
    )

    radius = 70
    vertices = [
        (x + radius * math.cos(a), y + radius * math.sin(a))
        for a in np.linspace(0, 2 * math.pi, 16)[:-1]
    ]
    page.keyboard.down("Shift")
    page.mouse.move(*vertices[0])
    page.mouse.down()
    for vertex in [*vertices[1:], vertices[0]]:
        page.mouse.move(*vertex, steps=3)
    page.mouse.up()
    page.keyboard.up("Shift")
    selected = page.evaluate(f"() => {view}.state.selected.length")
    assert selected > 0
    page.wait_for_function(
        f"() => document.querySelector('.amn-selection-table').textContent.includes("
        f"'{selected} selected')"
        " && document.querySelectorAll('.amn-selection-table tbody tr').length > 0",
        timeout=30_000,
    )
    page.locator(".amn-selection-table").scroll_into_view_if_needed()
    shoot(page, artifacts_dir, "4_selection")
    assert notebook.errors() == []
