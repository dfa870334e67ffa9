"""Responsiveness of the widgets in a real headless Chromium (issue 5's targets).

Section ``map`` (MapScatter, default 100,000 points):

* ``core``: the JavaScript core alone (no kernel), as the kernel-free HTML page uses it:
  creation to first frame, the frame time while every frame redraws all points (as when
  panning or zooming), and hover -> tooltip latency, for WebGL and canvas 2D side by side.
* ``widget``: the anywidget in a notebook served by JupyterLab and by Voila:
  page load (Voila) or "run all" (Lab) -> map drawn, and -> every thumbnail in the browser
  (they stream in after the first draw); then hover -> tooltip cutout shown, median over
  ``--hovers`` real pointer moves, measured in the page from the ``mousemove`` event's
  timestamp to the tooltip's DOM change (MutationObserver) and to the next animation frame.
  Targets: drawn <= 3 s, hover <= 100 ms.

Section ``training``: images/s of ``session.train`` in a JupyterLab kernel, alternating runs
without a training panel and with one displayed in the page (receiving its updates from the
training thread); medians. Target: with the panel >= 90% of without.

usage: python benchmarks/bench_widgets.py [--points 100000] [--hovers 40] [--servers lab,voila]
       [--sections map] [--out DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

import browser_harness as H  # noqa: E402

MAP_JS = ROOT / "astromorph_nb" / "widgets" / "static" / "map_scatter.js"

# extra in-page instrumentation: the first animation frame after each tooltip change
PAINT_SCRIPT = r"""
(() => {
  const T = window.__t; T.paints = [];
  new MutationObserver(muts => {
    if (muts.some(m => m.target.classList && m.target.classList.contains('amn-map-tooltip')))
      requestAnimationFrame(() => T.paints.push(performance.now()));
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-index']});
})();
"""

DATA_CELL = r"""
import time
import numpy as np
import ipywidgets as W
from astromorph_nb.widgets import MapScatter

t_kernel = time.perf_counter()
N, T = {points}, {thumbnail_size}
rng = np.random.default_rng(0)
centres = rng.normal(scale=12.0, size=(12, 2))
cluster = rng.integers(0, 12, N)
xy = centres[cluster] + rng.normal(size=(N, 2)) * (1 + cluster[:, None] % 3)
score = np.linalg.norm(xy - centres[cluster], axis=1)
yy, xx = np.mgrid[:T, :T] - (T - 1) / 2
widths = np.linspace(1.0, T / 5, 64)[:, None, None]
bank = (255 * np.exp(-(xx**2 + (1.6 * yy) ** 2)[None] / (2 * widths**2))).astype(np.uint8)
m = MapScatter(height=520)
m.add_class("t-map")
m.set_points(xy[:, 0], xy[:, 1])
m.set_colors(score, label="anomaly score")
m.set_labels([f"#{{i}} J{{100000 + i}}" for i in range(N)])
m.set_thumbnails(bank[np.arange(N) % 64])
kernel_s = time.perf_counter() - t_kernel
timing = W.Label(f"kernel: {{kernel_s:.3f}} s, thumbnails {{m.thumbnail_size}} px, "
                 f"{{sum(map(len, m.thumbnails)) / 2**20:.1f}} MB")
timing.add_class("t-kernel-time")
W.VBox([timing, m], layout=W.Layout(width="100%"))
"""

CORE_PAGE = r"""async ([src, N, renderer]) => {
  const mod = await import(URL.createObjectURL(new Blob([src], {type: 'text/javascript'})));
  let s = 1; const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const x = new Float32Array(N), y = new Float32Array(N), v = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    const k = i % 12, cx = 12 * Math.cos(k), cy = 12 * Math.sin(2 * k);
    x[i] = cx + gauss() * (1 + k % 3); y[i] = cy + gauss() * (1 + k % 3);
    v[i] = Math.hypot(x[i] - cx, y[i] - cy); }
  const t = 25, per = Math.floor(4 * 2 ** 20 / (t * t)), thumbnails = [];
  for (let a = 0; a < N; a += per) { const c = new Uint8Array(Math.min(per, N - a) * t * t);
    for (let j = 0; j < c.length; j++) c[j] = (j * 7 + a) & 255; thumbnails.push(c); }
  const labels = Array.from({length: N}, (_, i) => '#' + i);
  const el = document.createElement('div'); el.style.width = '1000px';
  document.body.replaceChildren(el);
  const t0 = performance.now();
  const view = mod.createMapView(el, {x, y, values: v, colorMode: 'numeric', labels, thumbnails,
    thumbnailSize: t, renderer}, {});
  view.drawNow();
  const first = performance.now() - t0;
  // 30 animation frames that each redraw every point (as while panning): frame intervals
  const frames = await new Promise(resolve => { const times = []; let k = 0;
    const step = (now) => { times.push(now);
      if (k++ < 30) { view.update({pointSize: 3 + (k % 2) * 0.01}); requestAnimationFrame(step); }
      else resolve(times); };
    requestAnimationFrame(step); });
  const gaps = frames.slice(1).map((t, i) => t - frames[i]).sort((a, b) => a - b);
  window.__view = view;
  return {renderer: view.renderer, create_to_first_frame_ms: first,
          redraw_frame_ms_median: gaps[Math.floor(gaps.length / 2)]};
}"""


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1) if values else float("nan")


def _hover_latencies(page: Any, view: str, n_hovers: int) -> dict[str, Any]:
    """Move the pointer onto ``n_hovers`` points; latency from mousemove to tooltip change."""
    targets = page.evaluate(
        f"""(n) => {{ const v = {view};
            const r = document.querySelector('.amn-map-overlay').getBoundingClientRect();
            const s = {{left: Math.max(r.left, 0), top: Math.max(r.top, 0),
                       right: Math.min(r.right, innerWidth),
                       bottom: Math.min(r.bottom, innerHeight)}};
            const out = []; const step = Math.max(1, Math.floor(v.state.n / (3 * n)));
            for (let i = 0; i < v.state.n && out.length < n; i += step) {{
              const [x, y] = v.dataToClient(i); const p = v.pick(x, y);
              const inside = x > s.left + 30 && x < s.right - 260 && y > s.top + 30
                  && y < s.bottom - 30;
              if (inside && p >= 0 && (!out.length || out[out.length - 1][2] !== p))
                out.push([x, y, p]); }}
            return out; }}""",
        n_hovers,
    )
    mutation, paint = [], []
    for x, y, expected in targets:
        page.evaluate(
            "() => { window.__t.moves = []; window.__t.tooltips = []; window.__t.paints = []; }"
        )
        page.mouse.move(x, y)
        page.wait_for_function(
            "(i) => window.__t.tooltips.some(t => t[1] === i) && window.__t.paints.length > 0",
            arg=expected,
            timeout=10_000,
        )
        marks = page.evaluate("window.__t")
        moved = marks["moves"][-1][0]  # event.timeStamp of the (single) mousemove
        shown = next(t for t, i in marks["tooltips"] if i == expected)
        mutation.append(shown - moved)
        paint.append(marks["paints"][0] - moved)
    return {
        "hovers": len(mutation),
        "hover_to_tooltip_ms_median": _median(mutation),
        "hover_to_tooltip_ms_max": round(max(mutation), 1) if mutation else None,
        "hover_to_next_frame_ms_median": _median(paint),
    }


def bench_map_core(context: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    results = []
    for renderer in ("webgl", "canvas"):
        page = context.new_page()
        page.goto("about:blank")
        row = page.evaluate(CORE_PAGE, [MAP_JS.read_text(), args.points, renderer])
        row.update(_hover_latencies(page, "window.__view", args.hovers))
        row = {k: round(v, 1) if isinstance(v, float) else v for k, v in row.items()}
        print(f"  core {renderer}: {json.dumps(row)}", flush=True)
        results.append(row)
        page.close()
    return results


def bench_map_widget(
    context: Any, args: argparse.Namespace, server: str, root: Path
) -> dict[str, Any]:
    cell = DATA_CELL.format(points=args.points, thumbnail_size=args.thumbnail_size)
    root.mkdir(parents=True, exist_ok=True)
    wall = time.perf_counter()
    notebook = H.open_notebook(context, root, [cell], name="bench_map", server=server)
    page = notebook.page
    try:
        page.wait_for_function(
            "(n) => { const m = document.querySelector('.t-map');"
            " return m && m.dataset.drawnPoints === String(n); }",
            arg=args.points,
            timeout=180_000,
        )
        wall = time.perf_counter() - wall
        drawn = page.evaluate("window.__t.drawn[window.__t.drawn.length - 1]")
        page.wait_for_function(
            "() => { const m = document.querySelector('.t-map'); const t = m.dataset.thumbnails;"
            " return t && t.split('/')[0] === t.split('/')[1]; }",
            timeout=180_000,
        )
        loaded = page.evaluate("performance.now()")
        start = notebook.run_started_ms if server == "lab" else 0.0
        row: dict[str, Any] = {
            "server": server,
            "points": args.points,
            ("run_all" if server == "lab" else "page_load") + "_to_map_drawn_s": round(
                (drawn["now"] - start) / 1000, 2
            ),
            "widget_created_to_drawn_ms": round(drawn["ms"], 1),
            "thumbnails_all_in_browser_s": round((loaded - start) / 1000, 2),
            "renderer": drawn["renderer"],
            "kernel": page.locator(".t-kernel-time").text_content(),
            "wall_incl_server_start_s": round(wall, 2),
        }
        print(f"  widget render: {json.dumps(row)}", flush=True)
        page.locator(".t-map").scroll_into_view_if_needed()
        row.update(_hover_latencies(page, "document.querySelector('.t-map').__amnMap", args.hovers))
        if args.out:
            shot = Path(args.out) / f"bench_map_{server}_{args.points}.png"
            page.locator(".t-map").screenshot(path=str(shot))
        row["page_errors"] = notebook.errors()
    finally:
        notebook.close()
    print(f"  widget: {json.dumps(row)}", flush=True)
    return row


def bench_map(args: argparse.Namespace) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    print(f"map: {args.points:,} points", flush=True)
    with (
        sync_playwright() as playwright,
        tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile,
        tempfile.TemporaryDirectory(prefix="bench-nb-") as root,
    ):
        context = H.launch_chromium(playwright, profile, viewport=(1300, 900))
        H.block_external(context)
        context.add_init_script(H.INIT_SCRIPT)
        context.add_init_script(PAINT_SCRIPT)
        try:
            core = bench_map_core(context, args)
            widget = [
                bench_map_widget(context, args, server, Path(root) / server)
                for server in args.servers.split(",")
            ]
        finally:
            context.close()
            H.wait_chromium_gone(profile)
    return {"core": core, "widget": widget}


TRAINING_CELL = r"""
import json, time
import numpy as np
import ipywidgets as W
from IPython.display import display
import astromorph_nb as amn

images = amn.datasets.synthetic(n_per_class=150, image_size=32, random_state=0)
session = amn.Session(images, random_state=0, device="cpu")
session.train(n_epochs=1, batch_size=64).wait()  # warm-up

def run():
    started, first = time.perf_counter(), session.step
    session.train(n_epochs={epochs}, batch_size=64).wait()
    return (session.step - first) * 64 / (time.perf_counter() - started)

results = {{"without": [], "with": []}}
for _ in range({repeats}):
    results["without"].append(run())
    panel = session.training_panel()
    display(panel)
    time.sleep(1.0)  # the page draws the panel before training starts
    results["with"].append(run())
    panel.close()
done = W.Label(json.dumps(results))
done.add_class("t-result")
display(done)
"""


def bench_training(args: argparse.Namespace) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    print("training: images/s without and with the training panel displayed", flush=True)
    cell = TRAINING_CELL.format(epochs=args.epochs, repeats=args.repeats)
    with (
        sync_playwright() as playwright,
        tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile,
        tempfile.TemporaryDirectory(prefix="bench-nb-") as root,
    ):
        context = H.launch_chromium(playwright, profile, viewport=(1300, 900))
        H.block_external(context)
        context.add_init_script(H.INIT_SCRIPT)
        notebook = H.open_notebook(context, Path(root), [cell], name="bench_training", server="lab")
        try:
            notebook.page.wait_for_selector(".t-result", timeout=900_000)
            runs = json.loads(notebook.page.locator(".t-result").text_content() or "{}")
            errors = notebook.errors()
        finally:
            notebook.close()
            context.close()
            H.wait_chromium_gone(profile)
    without, with_panel = _median(runs["without"]), _median(runs["with"])
    row = {
        "without_img_s": round(without, 1),
        "with_panel_img_s": round(with_panel, 1),
        "ratio": round(with_panel / without, 3),
        "runs": runs,
        "page_errors": errors,
    }
    print(f"  training: {json.dumps(row)}", flush=True)
    return row


SECTIONS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "map": bench_map,
    "training": bench_training,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000, help="points on the map")
    parser.add_argument("--hovers", type=int, default=40, help="pointer moves timed (>= 30)")
    parser.add_argument("--thumbnail-size", type=int, default=32, help="thumbnail side sent")
    parser.add_argument("--servers", default="lab,voila", help="lab and/or voila, comma-separated")
    parser.add_argument("--sections", default=",".join(SECTIONS), help="comma-separated")
    parser.add_argument("--epochs", type=int, default=6, help="epochs per training run")
    parser.add_argument("--repeats", type=int, default=3, help="training runs of each kind")
    parser.add_argument("--out", default=str(H.ARTIFACTS), help="screenshots go here")
    parser.add_argument("--json", default="", help="also write the results to this file")
    args = parser.parse_args(argv)
    if not H.chromium_available():
        print(f"{H.CHROMIUM} is missing: bash tests/browser/setup_browser_env.sh")
        return 1
    Path(args.out).mkdir(parents=True, exist_ok=True)
    results = {}
    for name in args.sections.split(","):
        results[name] = SECTIONS[name](args)
    print(json.dumps(results, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
