"""Fixtures for real-browser tests: headless Debian Chromium driving Voila or JupyterLab.

``open_notebook(cells, name=..., server="voila")`` writes the cells to a notebook in a temp
dir, starts a server on it, opens it in Chromium and returns a ``NotebookPage`` (``.page`` is
the Playwright page). Every server, kernel and browser process is ended at the end of the
session, and the session fails if one had to be killed or is still alive.

Tests here are skipped, with the fix, when /usr/bin/chromium is missing:
``bash tests/browser/setup_browser_env.sh`` installs it (Debian package, no download by
Playwright).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import browser_harness as H
import psutil
import pytest

_OURS = ("chrom", "voila", "jupyter", "ipykernel", "playwright", "node")


def _our_children() -> list[psutil.Process]:
    found = []
    for proc in psutil.Process().children(recursive=True):
        try:
            if proc.status() != psutil.STATUS_ZOMBIE and any(
                word in " ".join(proc.cmdline()) for word in _OURS
            ):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return found


@pytest.fixture(scope="session", autouse=True)
def no_leftover_processes() -> Iterator[None]:
    """Torn down last: no browser, server or kernel started by these tests may survive."""
    before = {proc.pid for proc in _our_children()}
    yield
    deadline = time.monotonic() + 10
    left = [proc for proc in _our_children() if proc.pid not in before]
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = [proc for proc in _our_children() if proc.pid not in before]
    assert not left, "leftover processes: " + ", ".join(
        f"{proc.pid}:{' '.join(proc.cmdline()[:3])}" for proc in left
    )


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Screenshots go here: $BROWSER_ARTIFACTS, or /tmp/browser-artifacts."""
    H.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return H.ARTIFACTS


@pytest.fixture(scope="session")
def browser_context() -> Iterator[Any]:
    """One headless Chromium (fresh profile, external requests blocked) for the session."""
    if not H.chromium_available():
        reason = f"{H.CHROMIUM} is missing; install it with bash tests/browser/setup_browser_env.sh"
        if os.environ.get("AMN_REQUIRE_BROWSER"):  # set by .ci/run: CI must run these tests
            pytest.fail(reason)
        pytest.skip(reason)
    sync_api = pytest.importorskip("playwright.sync_api")
    with (
        sync_api.sync_playwright() as playwright,
        tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile,
    ):
        context = H.launch_chromium(playwright, profile)
        H.block_external(context)
        context.add_init_script(H.INIT_SCRIPT)
        yield context
        context.close()
        killed = H.wait_chromium_gone(profile)
    assert not killed, f"chromium processes had to be killed: {killed}"


@pytest.fixture(scope="session")
def open_notebook(
    browser_context: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., H.NotebookPage]]:
    """Factory: ``open_notebook(cells, *, name="notebook", server="voila") -> NotebookPage``."""
    opened: list[H.NotebookPage] = []

    def _open(cells: Sequence[str], *, name: str = "notebook", server: str = "voila") -> Any:
        root = tmp_path_factory.mktemp(f"nb-{name}")
        notebook = H.open_notebook(browser_context, root, cells, name=name, server=server)
        opened.append(notebook)
        return notebook

    yield _open
    for notebook in opened:
        notebook.close()
    leftover = [pid for notebook in opened for pid in notebook.server.leftover]
    assert not leftover, f"kernel or server processes had to be killed: {leftover}"
