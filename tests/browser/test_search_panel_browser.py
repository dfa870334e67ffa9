"""The explorer's "Find more like these" panel in Voila, in headless Chromium.

A person clicks an object on the map, presses Find more like these, then answers Yes and No
on the gallery's tiles; then switches the gallery to Unusual objects and answers Boring and
Interesting. After each answer the ranking shown must change, the map must mark
the new candidates (magenta diamonds on its overlay, read from the page's pixels), and the
answers must be tags in ``session.meta``: a label in the notebook prints the tag columns
from the kernel whenever the session changes. Screenshots go to $BROWSER_ARTIFACTS.
"""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

SETUP_CELL = """
import ipywidgets as W
import numpy as np
import astromorph_nb as amn
from astromorph_nb.session.discovery import ANOMALY_ANSWER_TAGS, answer_tags

images = amn.datasets.synthetic(n_per_class=10, image_size=32, random_state=0)
session = amn.Session(images, device="cpu", random_state=0)
session.embed()
_ = session.fit_tsne(perplexity=5, n_jobs=1)
"""
EXPLORER_CELL = """
explorer = session.explorer()
tags = W.Label("no tags yet")
tags.add_class("t-tags")

def show_tags(_change=None):
    meta = session.meta
    tags.value = "; ".join(
        f"{tag}={np.flatnonzero(meta[tag]).tolist() if tag in meta.colnames else []}"
        for tag in (*answer_tags("candidate"), *ANOMALY_ANSWER_TAGS)
    )

session.observe(show_tags, names="results_version")
show_tags()
W.VBox([explorer, tags])
"""
MAP = "document.querySelector('.amn-explorer-map')"
VIEW = f"{MAP}.__amnMap"
STATUS = "document.querySelector('.amn-search-status')"
# the "#index" buttons of the visible candidate tiles, in rank order
RANKING = """() => Array.from(document.querySelectorAll(
    '.amn-search-gallery .amn-candidate')).filter(t => t.offsetParent !== null)
    .map(t => Number(t.querySelector('.amn-candidate-button').textContent.trim().slice(1)))"""


@pytest.fixture(scope="module")
def notebook(open_notebook: Any) -> Any:
    opened = open_notebook([SETUP_CELL, EXPLORER_CELL], name="search_panel")
    opened.page.wait_for_function(
        f"() => {MAP} && {MAP}.dataset.drawnPoints === '70' && document.querySelector('.t-tags')",
        timeout=120_000,
    )
    yield opened
    opened.close()


def magenta_pixels(page: Any) -> int:
    """Pixels of the map in the candidates' diamond colour (#e6007e, antialiased)."""
    from PIL import Image

    shot = page.locator(".amn-explorer-map .amn-map-stage").screenshot()
    rgb = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(((r > 170) & (g < 90) & (b > 60) & (b < 190)).sum())


def tag_lists(page: Any) -> dict[str, list[int]]:
    """The tag columns as the kernel printed them: ``{"candidate": [..], ...}``."""
    text = page.locator(".t-tags").text_content() or ""
    return {
        name: [int(i) for i in re.findall(r"\d+", found)]
        for name, found in re.findall(r"(\w+)=\[([^\]]*)\]", text)
    }


def wait_status(page: Any, *texts: str) -> None:
    page.wait_for_function(
        f"(texts) => {STATUS} && texts.every(t => {STATUS}.textContent.includes(t))",
        arg=list(texts),
        timeout=30_000,
    )


def wait_highlighted(page: Any, ranking: list[int]) -> None:
    page.wait_for_function(
        f"(r) => JSON.stringify({VIEW}.state.highlighted) === JSON.stringify(r)",
        arg=ranking,
        timeout=15_000,
    )


def click_answer(page: Any, slot: int, answer: str) -> None:
    tile = page.locator(".amn-search-gallery .amn-candidate").nth(slot)
    tile.locator(f".amn-answer-{answer}").click()


def test_yes_and_no_in_the_gallery_rerank_tag_and_mark_the_map(notebook, artifacts_dir):
    page = notebook.page
    page.evaluate(f"() => {MAP}.scrollIntoView({{block: 'start'}})")
    page.wait_for_timeout(300)
    assert magenta_pixels(page) < 20  # nothing is marked before a search

    # click an object well inside the map: it seeds the search
    stage = page.locator(".amn-explorer-map .amn-map-stage").bounding_box()
    assert stage is not None
    inside = page.evaluate(
        f"""([l, t, w, h]) => {{ const v = {VIEW}; const out = [];
        for (let i = 0; i < v.state.n; i++) {{ const [x, y] = v.dataToClient(i);
          if (x > l + 60 && x < l + w - 200 && y > t + 60 && y < t + h - 60) out.push([x, y]); }}
        return out; }}""",
        [stage["x"], stage["y"], stage["width"], stage["height"]],
    )
    assert len(inside) > 5
    x, y = inside[len(inside) // 2]
    seed = page.evaluate(f"([x, y]) => {VIEW}.pick(x, y)", [x, y])
    assert seed >= 0
    page.mouse.click(x, y)
    page.wait_for_function(f"(i) => {VIEW}.state.focus === i", arg=seed, timeout=30_000)

    page.locator(".amn-find-button").click()
    wait_status(page, "1 yes, 0 no", "ranked by cosine")
    first = page.evaluate(RANKING)
    assert len(first) == 12
    assert seed not in first
    wait_highlighted(page, first)
    page.evaluate(f"() => {VIEW}.drawNow()")
    assert magenta_pixels(page) > 12 * 15  # a diamond around every candidate
    assert tag_lists(page)["candidate"] == [seed]

    liked = first[0]
    click_answer(page, 0, "yes")
    wait_status(page, "2 yes, 0 no")
    after_yes = page.evaluate(RANKING)
    assert liked not in after_yes
    assert after_yes != first
    wait_highlighted(page, after_yes)
    assert tag_lists(page)["candidate"] == sorted([seed, liked])

    disliked = after_yes[0]
    click_answer(page, 0, "no")
    wait_status(page, "2 yes, 1 no", "ranked by classifier")
    after_no = page.evaluate(RANKING)
    assert disliked not in after_no
    assert after_no != after_yes
    wait_highlighted(page, after_no)
    page.evaluate(f"() => {VIEW}.drawNow()")
    assert magenta_pixels(page) > 12 * 15
    found = tag_lists(page)
    assert found["candidate"] == sorted([seed, liked])
    assert found["candidate_no"] == [disliked]
    assert found["candidate_skipped"] == []

    panel = page.locator(".amn-search-panel").first
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=str(artifacts_dir / "search_panel_gallery.png"))
    page.set_viewport_size({"width": 1400, "height": 1300})  # the whole explorer at once
    page.evaluate("() => document.querySelector('.amn-explorer').scrollIntoView()")
    page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts_dir / "search_panel.png"))
    assert notebook.errors() == []


def test_unusual_objects_in_the_same_gallery_rerank_with_boring_answers(notebook, artifacts_dir):
    page = notebook.page
    page.locator(".amn-search-mode button", has_text="Unusual objects").click()
    page.wait_for_function(
        "() => document.querySelector('.amn-find-button').textContent.includes('unusual')",
        timeout=15_000,
    )
    page.locator(".amn-find-button").click()
    wait_status(page, "0 interesting, 0 boring", "ranked by knn anomaly score")
    first = page.evaluate(RANKING)
    assert len(first) == 12
    wait_highlighted(page, first)

    boring = first[0]
    click_answer(page, 0, "no")  # the thumbs-down button
    wait_status(page, "0 interesting, 1 boring", "re-weighted by your answers")
    after = page.evaluate(RANKING)
    assert boring not in after
    assert after != first[1:13]  # its look-alikes sank too
    wait_highlighted(page, after)

    liked = after[0]
    click_answer(page, 0, "yes")  # the star
    wait_status(page, "1 interesting, 1 boring")
    found = tag_lists(page)
    assert found["boring"] == [boring]
    assert found["interesting"] == [liked]
    assert liked not in page.evaluate(RANKING)

    panel = page.locator(".amn-search-panel").first
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=str(artifacts_dir / "search_panel_unusual.png"))
    assert notebook.errors() == []
