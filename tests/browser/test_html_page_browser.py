"""The companion-paper page (Session.to_html / write_html_page) in headless Chromium.

The page is opened from disk (``file://``), with no server: the map draws, hovering a point
shows its cutout, clicking shows the object and its neighbours, and the search box finds
an object whose name is a ``<script>`` element, without running it.
Screenshots go to $BROWSER_ARTIFACTS (default /tmp/browser-artifacts).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from astromorph_nb.io.export.html_page import write_html_page

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

N, T, K = 400, 32, 6
EVIL = "<script>alert(1)</script> & co"
VIEW = "window.__amnPage.view"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    rng = np.random.default_rng(3)
    xy = rng.normal(scale=8.0, size=(N, 2))
    yy, xx = np.mgrid[:T, :T] - (T - 1) / 2
    width = 2.0 + (np.arange(N) % 7)
    thumbs = (255 * np.exp(-(xx**2 + yy**2)[None] / (2 * width[:, None, None] ** 2))).astype(
        np.uint8
    )
    names = [f"J{1000 + i}+02" for i in range(N)]
    names[17] = EVIL
    gaps = ((xy[:, None] - xy[None]) ** 2).sum(-1)
    np.fill_diagonal(gaps, np.inf)
    order = np.argsort(gaps, axis=1)[:, :K]
    path = tmp_path_factory.mktemp("html") / "index.html"
    write_html_page(
        path,
        title="Browser <b>test</b>",
        x=xy[:, 0],
        y=xy[:, 1],
        thumbnails=thumbs,
        labels=names,
        columns={
            "index": list(range(N)),
            "OBJECT": names,
            "flux": rng.random(N).tolist(),
            "cluster": (np.arange(N) % 4).tolist(),
        },
        color_options=["cluster", "flux"],
        neighbors=order,
        neighbor_distances=np.take_along_axis(gaps, order, axis=1),
    )
    return {"path": path, "names": names, "neighbors": order}


@pytest.fixture(scope="module")
def page(browser_context: Any, written: dict[str, Any]) -> Iterator[Any]:
    page = browser_context.new_page()
    page.errors = []  # console errors and page errors
    page.requests = []  # every URL the page asked for
    page.dialogs = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    uri = Path(written["path"]).as_uri()
    # the context aborts every request but loopback ones (file:// included): let this one
    # file through, and nothing else
    page.route(uri, lambda route: route.continue_())
    page.goto(uri)
    page.wait_for_function("document.body.dataset.thumbnails === 'ready'", timeout=30_000)
    page.wait_for_function("document.getElementById('amn-map').dataset.drawnPoints === '400'")
    yield page
    page.close()


def test_page_loads_without_errors_or_requests(page, written, artifacts_dir):
    assert page.errors == []
    assert [u for u in page.requests if not u.startswith(("file:", "data:", "blob:"))] == []
    assert page.title() == "Browser <b>test</b>"
    assert page.locator("#amn-title").text_content() == "Browser <b>test</b>"
    assert page.locator("#amn-table tbody tr").count() == 200
    assert page.locator(".amn-map-key-title").text_content() == "cluster"


def test_hover_shows_the_cutout_of_the_picked_point(page, artifacts_dir):
    x, y = page.evaluate(f"{VIEW}.dataToClient(5)")
    expected = page.evaluate(f"([x, y]) => {VIEW}.pick(x, y)", [x, y])
    page.mouse.move(x - 30, y - 30)
    page.mouse.move(x, y, steps=3)
    page.wait_for_function(
        "(i) => document.querySelector('.amn-map-tooltip').dataset.index === String(i)",
        arg=expected,
    )
    tooltip = page.locator(".amn-map-tooltip")
    assert tooltip.get_attribute("data-cutout") == "yes"
    brightest = page.evaluate(
        """() => { const c = document.querySelector('.amn-map-tooltip canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return [c.width, Math.max(...d.filter((_, j) => j % 4 === 0))]; }"""
    )
    assert brightest[0] == T
    assert brightest[1] > 200  # the centre of the blob, not a black square
    page.screenshot(path=str(artifacts_dir / "html_page_1_hover.png"))


def test_click_shows_the_object_and_its_neighbors(page, written, artifacts_dir):
    x, y = page.evaluate(f"{VIEW}.dataToClient(9)")
    expected = page.evaluate(f"([x, y]) => {VIEW}.pick(x, y)", [x, y])
    page.mouse.click(x, y)
    page.wait_for_function(
        "(i) => document.getElementById('amn-details').dataset.index === String(i)",
        arg=expected,
    )
    shown = page.eval_on_selector_all(".amn-neighbor", "bs => bs.map(b => +b.dataset.index)")
    assert shown == written["neighbors"][expected].tolist()
    assert page.locator("#amn-details h3").text_content() == written["names"][expected]
    assert page.evaluate(f"{VIEW}.state.neighbors") == shown
    page.screenshot(path=str(artifacts_dir / "html_page_2_click.png"), full_page=True)
    page.locator(".amn-neighbor").first.click()
    page.wait_for_function(
        "(i) => document.getElementById('amn-details').dataset.index === String(i)",
        arg=shown[0],
    )
    assert page.evaluate(f"{VIEW}.state.focus") == shown[0]


def test_search_by_name_focuses_the_object_without_running_its_script(page, artifacts_dir):
    page.fill("#amn-search", "<script>alert(1)")
    page.wait_for_function("document.getElementById('amn-details').dataset.index === '17'")
    assert page.locator("#amn-details h3").text_content() == EVIL
    assert page.evaluate(f"{VIEW}.state.focus") == 17
    assert page.locator("#amn-search-info").text_content() == "1 match"
    assert page.locator("#amn-table tbody tr").count() == 1
    page.fill("#amn-search", "J100")  # J1000+02 ... J1009+02
    page.wait_for_function(
        "document.getElementById('amn-search-info').textContent === '10 matches'"
    )
    page.screenshot(path=str(artifacts_dir / "html_page_3_search.png"), full_page=True)
    assert page.dialogs == []
    assert page.errors == []
