"""Run notebooks in Voila or JupyterLab and drive them in headless Debian Chromium.

Adapted from the verified recipe in ``shared/browser-testing.md``. Playwright's pip wheel
holds only its node driver; we always pass ``executable_path=/usr/bin/chromium`` (Debian's
package), so ``playwright install`` is never needed and nothing is downloaded.

Pieces (all usable without pytest, e.g. from ``benchmarks/bench_widgets.py``):

* :func:`launch_chromium` / :func:`wait_chromium_gone` -- a persistent context on a fresh
  profile; afterwards wait for (or kill) every process that mentions the profile.
* :func:`block_external` -- abort every request that does not go to 127.0.0.1.
* :class:`JupyterServer` -- ``voila`` or ``jupyter lab`` on a free port, own process group,
  isolated config dirs, no token; ``stop()`` also ends the kernels it started.
* :func:`write_notebook` and :func:`open_notebook` -- write cells to ``<root>/<name>.ipynb``,
  start a server, open the page (Voila runs it on load; Lab runs all cells) and return a
  :class:`NotebookPage` that records console errors, page errors and dialogs.
* :data:`INIT_SCRIPT` -- in-page instrumentation (``window.__t``): map-drawn events, tooltip
  changes and pointer-move times, for latency measurements.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS") or "/tmp/browser-artifacts")

# loopback HTTP without any *_proxy from the environment
_HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # we run as root; chromium refuses to start otherwise
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # WebGL in software (ANGLE on SwiftShader); keeps WebGL alive with --disable-gpu
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch_chromium(
    playwright: Any, user_data_dir: str, *, viewport: tuple[int, int] = (1400, 1000)
) -> Any:
    """Return a persistent Chromium context on ``user_data_dir`` (a fresh temp dir).

    XDG dirs point into the profile so Debian's crashpad handler writes nothing to ~/.config.
    """
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env["XDG_CONFIG_HOME"] = str(Path(user_data_dir) / "xdg-config")
    env["XDG_CACHE_HOME"] = str(Path(user_data_dir) / "xdg-cache")
    return playwright.chromium.launch_persistent_context(
        user_data_dir,
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_FLAGS,
        viewport={"width": viewport[0], "height": viewport[1]},
        env=env,
    )


def _chromium_procs(user_data_dir: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if any(user_data_dir in arg for arg in (proc.info["cmdline"] or [])):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return found


def wait_chromium_gone(user_data_dir: str, timeout: float = 10.0) -> list[int]:
    """After ``context.close()``: wait for our chromium/crashpad processes; kill leftovers.

    Returns the pids that had to be killed (empty when all exited by themselves).
    """
    _, alive = psutil.wait_procs(_chromium_procs(user_data_dir), timeout=timeout)
    for proc in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    return [proc.pid for proc in alive]


def block_external(context: Any, blocked: list[str] | None = None) -> None:
    """Abort every request that is not to the loopback server (CDN fonts, news, ...)."""

    def handler(route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:
            if blocked is not None:
                blocked.append(url)
            route.abort()

    context.route("**/*", handler)


class JupyterServer:
    """``voila`` (tree mode) or ``jupyter lab`` on a free port, serving ``root_dir``.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. The server runs in its
    own session with isolated config, runtime and settings dirs and no token. ``stop()``
    shuts it down and ends the kernels it started (they run in their own sessions, so they
    are collected as descendants beforehand).
    """

    def __init__(self, kind: str, root_dir: Path | str, *, startup_timeout: float = 60) -> None:
        if kind not in ("lab", "voila"):
            msg = f"kind must be 'lab' or 'voila'; got {kind!r}."
            raise ValueError(msg)
        self.kind = kind
        self.root_dir = str(root_dir)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self._tmp = tempfile.mkdtemp(prefix="jsrv-")
        self.log_path = Path(self._tmp) / f"{kind}.log"
        self._log: Any = None
        self._kids: dict[int, psutil.Process] = {}
        self.leftover: list[int] = []
        self.proc_returncode: int | None = None

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
        for name in (
            "JUPYTER_CONFIG_DIR",
            "JUPYTER_RUNTIME_DIR",
            "IPYTHONDIR",
            "JUPYTERLAB_SETTINGS_DIR",
            "JUPYTERLAB_WORKSPACES_DIR",
        ):
            folder = Path(self._tmp) / name.lower()
            folder.mkdir(parents=True, exist_ok=True)
            env[name] = str(folder)
        settings = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab"
        # no "get notified about Jupyter news?" toast; every cell attached to the DOM
        for sub, name, value in (
            (
                "apputils-extension",
                "notification",
                {"fetchNews": "false", "checkForUpdates": False},
            ),
            ("notebook-extension", "tracker", {"windowingMode": "none"}),
        ):
            (settings / sub).mkdir(parents=True, exist_ok=True)
            (settings / sub / f"{name}.jupyterlab-settings").write_text(json.dumps(value))
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _cmd(self) -> list[str]:
        bindir = Path(sys.executable).parent
        auth = [
            "--IdentityProvider.token=",
            "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
        ]
        if self.kind == "lab":
            return [
                str(bindir / "jupyter-lab"),
                "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                "--ServerApp.allow_root=True",
                f"--ServerApp.root_dir={self.root_dir}",
                "--LabApp.expose_app_in_browser=True",  # window.jupyterapp
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                *auth,
            ]
        return [
            str(bindir / "voila"),
            "--no-browser",
            "--Voila.ip=127.0.0.1",
            f"--Voila.port={self.port}",
            f"--Voila.root_dir={self.root_dir}",
            "--VoilaConfiguration.show_tracebacks=True",
            *auth,
        ]

    def start(self) -> JupyterServer:
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self._cmd(),
            cwd=self.root_dir,
            env=self._env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        probe = "/api/status" if self.kind == "lab" else "/"  # voila tree page starts no kernel
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = self.log()
                self.stop()
                msg = f"{self.kind} exited with code {self.proc_returncode}:\n{log}"
                raise RuntimeError(msg)
            try:
                _HTTP.open(self.base + probe, timeout=2).read()
            except OSError:
                time.sleep(0.2)
            else:
                return self
        log = self.log()
        self.stop()
        msg = f"{self.kind} did not come up in {self.startup_timeout} s:\n{log}"
        raise TimeoutError(msg)

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def remember_kernels(self) -> None:
        """Record the server's descendants (kernels) so that ``stop()`` can end them."""
        if self.proc is None:
            return
        try:
            kids = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return
        self._kids.update({kid.pid: kid for kid in kids})

    def stop(self, timeout: float = 15) -> None:
        """Shut down (REST for Lab, SIGTERM for Voila), then end our kernels by pid."""
        if self.proc is None:
            return
        self.remember_kernels()
        proc = self.proc
        if proc.poll() is None:
            if self.kind == "lab":
                try:
                    request = urllib.request.Request(
                        self.base + "/api/shutdown", method="POST", data=b""
                    )
                    _HTTP.open(request, timeout=5).read()
                except OSError:
                    proc.send_signal(signal.SIGTERM)
            else:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        self.proc_returncode = proc.returncode
        kids = list(self._kids.values())
        _, alive = psutil.wait_procs(kids, timeout=5)
        for kid in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                kid.terminate()
        _, alive = psutil.wait_procs(alive, timeout=5)
        for kid in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                kid.kill()
        self.leftover = [kid.pid for kid in alive]
        if self._log is not None:
            self._log.close()
            self._log = None
        self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> JupyterServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def write_notebook(path: Path, cells: Sequence[str]) -> Path:
    """Write code ``cells`` to an .ipynb file with a python3 kernelspec."""
    import nbformat

    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in cells],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(notebook, str(path))
    return path


# Installed with context.add_init_script(), so it runs before Voila/Lab boot.
INIT_SCRIPT = r"""
(() => {
  const T = window.__t = {drawn: [], tooltips: [], moves: []};
  document.addEventListener('amn-map-drawn', e => T.drawn.push(
      {now: performance.now(), ...e.detail}), true);
  document.addEventListener('mousemove', e => T.moves.push([e.timeStamp, performance.now()]), true);
  const mo = new MutationObserver(muts => {
    const now = performance.now();
    for (const m of muts) {
      const el = m.target;
      if (el.nodeType === 1 && el.classList.contains('amn-map-tooltip')) {
        T.tooltips.push([now, el.dataset.index === undefined ? -1 : +el.dataset.index]);
      }
    }
  });
  mo.observe(document, {subtree: true, attributes: true, attributeFilter: ['data-index']});
})();
"""

_LAB_KERNEL_IDLE = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return k && k.status === 'idle'; }"""


@dataclass
class NotebookPage:
    """An open notebook page and what it reported."""

    page: Any
    server: JupyterServer
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    run_started_ms: float = 0.0  # page clock (performance.now()) when the cells started

    def errors(self) -> list[str]:
        """Page errors and console errors, except blocked external requests."""
        return [*self.page_errors, *self.console_errors]

    def close(self) -> None:
        try:
            self.page.close()
        finally:
            self.server.cleanup()


def open_notebook(
    context: Any,
    root: Path,
    cells: Sequence[str],
    *,
    name: str = "notebook",
    server: str = "voila",
    timeout_ms: float = 120_000,
) -> NotebookPage:
    """Write ``cells`` to ``root/<name>.ipynb``, serve it, open it and start it running.

    Voila runs the notebook when the page loads; in Lab, every cell is run once the kernel
    is idle (``run_started_ms`` holds the page time of the run). Returns as soon as the cells
    started: wait for what the notebook shows with ``page.wait_for_function`` and the like.
    """
    write_notebook(root / f"{name}.ipynb", cells)
    srv = JupyterServer(server, root).start()
    page = context.new_page()
    opened = NotebookPage(page=page, server=srv)

    def on_console(message: Any) -> None:
        url = (message.location or {}).get("url", "")
        external = not url.startswith("http://127.0.0.1") and "ERR_FAILED" in message.text
        if message.type == "error" and not external:
            opened.console_errors.append(message.text)

    def on_dialog(dialog: Any) -> None:
        opened.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("console", on_console)
    page.on("pageerror", lambda error: opened.page_errors.append(str(error)))
    page.on("dialog", on_dialog)
    try:
        if server == "voila":
            page.goto(f"{srv.base}/voila/render/{name}.ipynb", timeout=timeout_ms)
        else:
            page.goto(f"{srv.base}/lab/tree/{name}.ipynb?reset", timeout=timeout_ms)
            page.wait_for_function(_LAB_KERNEL_IDLE, timeout=timeout_ms)
            opened.run_started_ms = page.evaluate(
                "() => { const t = performance.now();"
                " window.jupyterapp.commands.execute('notebook:run-all-cells'); return t; }"
            )
        srv.remember_kernels()
    except Exception:
        opened.close()
        raise
    return opened
