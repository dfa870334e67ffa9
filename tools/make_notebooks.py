"""Write the example notebooks in examples/ (without outputs) from the cells below.

Usage (from the repository root)::

    python tools/make_notebooks.py          # rewrites examples/0*.ipynb

Edit the notebooks here, not in JupyterLab, so that reviews see plain Python and the
committed notebooks never carry outputs. Every notebook starts with a markdown cell (goal,
runtime on a laptop CPU, whether a GPU helps) and a code cell that sets ``QUICK`` from the
``AMN_QUICK`` environment variable: ``AMN_QUICK=1`` shrinks data and training so that CI
(``tests/test_notebooks.py``) runs them all in a few minutes. Shared pieces are in
``notebook_cells.py``; the longer notebooks have their own module (``notebook_discovery.py``).
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from notebook_cells import INLINE, QUICK_CELL, header
from notebook_discovery import DISCOVERY

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

QUICKSTART = [
    header(
        "01 Quickstart: galaxies of the Hubble eXtreme Deep Field",
        "Load the bundled Hubble XDF galaxy stamps, see what the network sees (augmentations), "
        "train BYOL with the live training panel, explore the t-SNE map, and export the "
        "results.",
        "under 3 minutes on a laptop CPU (2 cores): one minute of training, the rest is "
        "loading and analysis.",
        "not needed. On a GPU the same minute trains several times more epochs; "
        '`device="auto"` uses one when present.',
    ),
    QUICK_CELL,
    "## Load the images\n\n285 galaxy stamps of 64×64 pixels cut from the XDF image that "
    "ships with scikit-image: real HST data, no download.",
    INLINE
    + """\
import tempfile
from pathlib import Path

import astromorph_nb as amn

images = amn.datasets.hubble_deep_field(n_max=64 if QUICK else None)
session = amn.Session(images, random_state=0)
session""",
    "## What the network sees\n\nBYOL learns that two augmented views of one galaxy are "
    "the same object. The preview shows the views; its sliders change the augmentations "
    "used for training.",
    "session.augmentation_preview()",
    "session.plot_augmentations(n_images=3, n_views=4)",
    "## Train with the live panel\n\n`train()` returns at once: training runs in the "
    "background, the panel shows the loss, speed and time left, and the kernel stays free.",
    """\
job = session.train(n_epochs=2 if QUICK else 100_000, max_time_s=5 if QUICK else 60)
session.training_panel()""",
    """\
session.wait()  # why it ended: "completed" or "time limit"
session""",
    "## Explore the map\n\n`analyse()` embeds every galaxy, maps them with t-SNE, scores "
    "anomalies and clusters them. In the explorer, hover a point to see its cutout and "
    "click it to see its neighbours.",
    """\
session.analyse(n_clusters=6)
session.explorer()""",
    "session.neighbors(0, k=8)  # the brightest galaxy, XDF-0000, and its look-alikes",
    'session.plot_map(color="cluster")',
    "## Export\n\nOne table with metadata and results (`.fits`, `.ecsv`, `.csv`, "
    "`.parquet`), and the whole session, which `Session.load` reopens with no retraining.",
    """\
output = Path(tempfile.mkdtemp(prefix="amn_quickstart_"))
print(session.export(output / "objects.ecsv"))
print(session.save(output / "session"))
amn.Session.load(output / "session")""",
]

YOUR_FITS = [
    header(
        "02 Your FITS files",
        "Read a folder of FITS files of mixed sizes, a spectral cube in each `cube_mode`, "
        "and stamps cut from a mosaic with a catalogue. The notebook writes all these files "
        "itself, in a temporary folder, so it runs anywhere.",
        "under a minute on a laptop CPU.",
        "no (reading files runs on the CPU).",
    ),
    QUICK_CELL,
    INLINE
    + """\
import tempfile
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.io import fits
from astropy.table import Table
from astropy.wcs import WCS

import astromorph_nb as amn

folder = Path(tempfile.mkdtemp(prefix="amn_fits_"))
n_per_class = 3 if QUICK else 10
folder""",
    "## A folder of stamps with mixed sizes\n\n`write_fits` writes one FITS file per "
    "image, with the metadata as header keywords. We write 64-pixel and 48-pixel stamps into "
    "one folder.",
    """\
big = amn.datasets.synthetic(n_per_class=n_per_class, image_size=64, random_state=1)
small = amn.datasets.synthetic(n_per_class=n_per_class, image_size=48, random_state=2)
amn.write_fits(big, folder / "stamps", prefix="big")
amn.write_fits(small, folder / "stamps", prefix="small")
sorted(p.name for p in (folder / "stamps").iterdir())[:5]""",
    "Mixed shapes are an error that names two offending files and says how to fix it:",
    """\
try:
    amn.read_fits(folder / "stamps")
except ValueError as error:
    print(error)""",
    """\
stamps = amn.read_fits(folder / "stamps", image_size=48, resize_mode="resize")
print(stamps)
stamps.meta[:5]""",
    "## A spectral cube\n\nA synthetic rotating disk: each spectral plane shows the part "
    "of the disk at that line-of-sight velocity. Cubes need an explicit `cube_mode`.",
    """\
n_planes, size = 24, 48
y, x = np.mgrid[:size, :size] - (size - 1) / 2
radius = np.hypot(x, y)
velocity = 150.0 * x / np.maximum(radius, 3.0) * np.clip(radius / 10, 0, 1)  # km/s
channels = np.linspace(-200, 200, n_planes)
disk = np.exp(-radius / 8.0)
cube = disk * np.exp(-0.5 * ((channels[:, None, None] - velocity) / 30.0) ** 2)
cube += np.random.default_rng(0).normal(0, 0.01, cube.shape)

header = WCS(naxis=3).to_header()
header.update(
    CTYPE3="VRAD",
    CUNIT3="km/s",
    CRPIX3=1,
    CRVAL3=channels[0],
    CDELT3=channels[1] - channels[0],
    BUNIT="Jy/beam",
    OBJECT="DISK-1",
)
(folder / "cubes").mkdir()
fits.PrimaryHDU(cube.astype(np.float32), header).writeto(folder / "cubes" / "disk.fits")
cube.shape  # (n_planes, ny, nx), numpy order""",
    """\
for mode in ["channels", "moments", "planes", "sum"]:
    options = {"n_channels": 4} if mode == "channels" else {}
    result = amn.read_fits(folder / "cubes" / "disk.fits", cube_mode=mode, **options)
    print(f"{mode:>9}: {result}")""",
    "`moments` gives three channels (moment 0, 1 and 2 maps): the velocity field of the "
    "disk appears in the second.",
    """\
import matplotlib.pyplot as plt

moments = amn.read_fits(folder / "cubes" / "disk.fits", cube_mode="moments")
figure, axes = plt.subplots(1, 3, figsize=(9, 3))
titles = ["moment 0", "moment 1", "moment 2"]
for axis, plane, title in zip(axes, moments.images[0], titles, strict=True):
    axis.imshow(plane, origin="lower")
    axis.set_title(title)
    axis.set_axis_off()""",
    "## Stamps cut from a mosaic with a catalogue\n\nA 400×400 pixel mosaic at 0.2 "
    "arcsec per pixel with a celestial WCS, and a catalogue of RA/Dec positions.",
    """\
wcs = WCS(naxis=2)
wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
wcs.wcs.crval = [150.1, 2.2]  # COSMOS
wcs.wcs.crpix = [200.5, 200.5]
wcs.wcs.cdelt = [-0.2 / 3600, 0.2 / 3600]

rng = np.random.default_rng(3)
n_sources = 12 if QUICK else 40
x0, y0 = rng.uniform(20, 380, (2, n_sources))
yy, xx = np.mgrid[:400, :400]
mosaic = rng.normal(0, 0.02, (400, 400))
for xc, yc, width in zip(x0, y0, rng.uniform(1.5, 5, n_sources), strict=True):
    mosaic += np.exp(-0.5 * ((xx - xc) ** 2 + (yy - yc) ** 2) / width**2)
fits.PrimaryHDU(mosaic.astype(np.float32), wcs.to_header()).writeto(folder / "mosaic.fits")

sky = wcs.pixel_to_world(x0, y0)
catalog = Table(
    {"name": [f"SRC-{i:03d}" for i in range(n_sources)], "ra": sky.ra.deg, "dec": sky.dec.deg}
)
catalog.write(folder / "catalog.ecsv")
catalog[:3]""",
    """\
from astromorph_nb.io.mosaics.stamps import cutouts

catalog = Table.read(folder / "catalog.ecsv")
cut = cutouts(folder / "mosaic.fits", catalog, size=6 * u.arcsec)
print(cut)  # 6 arcsec at 0.2 arcsec/pixel: 30×30 pixels
cut.meta[:3]""",
    "## From files to a session\n\n`Session.from_fits` reads and starts a session in one "
    "call; the rest is as in notebook 01. `keywords=` copies header keywords into the "
    "metadata (here the LABEL that `write_fits` wrote).",
    """\
session = amn.Session.from_fits(
    folder / "stamps", image_size=48, keywords=["LABEL"], session_options={"random_state": 0}
)
session.train(n_epochs=1 if QUICK else 10).wait()
session.analyse(n_clusters=4)
session.plot_map(color="LABEL")""",
]

TRAINING = [
    header(
        "03 Training",
        "Train on a GPU when there is one, in the background; pause, resume and stop; save "
        "checkpoints; and continue after a kernel restart.",
        "about 2 minutes on a laptop CPU.",
        'yes: `device="auto"` (the default) trains on CUDA (or Apple MPS) when present, with '
        "bf16 autocast; the notebook runs unchanged on a CPU.",
    ),
    QUICK_CELL,
    INLINE
    + """\
import tempfile
import time
from pathlib import Path

import torch

import astromorph_nb as amn
from astromorph_nb.train import CheckpointEvery

print("CUDA GPU:", torch.cuda.is_available())
folder = Path(tempfile.mkdtemp(prefix="amn_training_"))
images = amn.datasets.hubble_deep_field(n_max=64 if QUICK else None)
session = amn.Session(images, random_state=0, device="auto")
session""",
    "## Background training with checkpoints\n\n`train()` returns at once. "
    "`CheckpointEvery` writes a checkpoint atomically every few epochs and at the end, so "
    "a crash or a killed job leaves the last complete one.",
    """\
n_epochs = 4 if QUICK else 40
checkpoint = folder / "last.pt"
job = session.train(n_epochs=n_epochs, callbacks=[CheckpointEvery(checkpoint, n_epochs=1)])
session.training_panel()""",
    "While it trains, the kernel is free: run cells, look at the loss, pause.",
    """\
time.sleep(2)
session.pause()
print("paused at step", session.step, "job:", session.progress["job_status"])
time.sleep(0.5)
session.resume()
time.sleep(1)
session.stop()  # cooperative: ends after the current batch
print("ended:", session.wait(), "at step", session.step)""",
    "After `stop()`, `train()` with no arguments continues the stopped run exactly where it "
    "stopped (same schedule, same random stream).",
    """\
if session.can_resume:
    session.train()
    print("ended:", session.wait())
session.plot_loss()""",
    "The checkpoint holds the weights, optimiser state, configuration and history. "
    "It is read without executing anything from the file.",
    """\
from astromorph_nb.io.store.checkpoints import load_checkpoint

state = load_checkpoint(checkpoint)
sorted(state)""",
    "## Continue after a kernel restart\n\n`save()` writes one folder; after a restart "
    "(simulated here by deleting the session), `Session.load` opens it and `train()` carries "
    "on from the saved weights, with the step count and loss history continuing.",
    """\
session.save(folder / "run1")
steps_before = session.step
del session  # as if the kernel restarted

session = amn.Session.load(folder / "run1")
print(session)
session.train(n_epochs=2 if QUICK else 20).wait()
print("steps before:", steps_before, "now:", session.step)
session.plot_loss()""",
]

EXPLORING = [
    header(
        "04 Exploring embeddings",
        "Explore what BYOL learnt: the explorer, neighbours, anomalies, clusters, tags and "
        "selections, `evaluate` with partial labels, and figures for a paper. We use "
        "generated morphologies whose true classes are known.",
        "about 2 minutes on a laptop CPU.",
        "helps only for training; the analysis runs on the CPU.",
    ),
    QUICK_CELL,
    INLINE
    + """\
import tempfile
from pathlib import Path

import numpy as np

import astromorph_nb as amn

images = amn.datasets.synthetic(n_per_class=12 if QUICK else 60, image_size=48, random_state=0)
session = amn.Session(images, random_state=0)
session.train(n_epochs=2 if QUICK else 100_000, max_time_s=5 if QUICK else 60).wait()
session.analyse(n_clusters=7)""",
    "## The explorer\n\nHover for cutouts, click for neighbours, lasso to select; "
    "colour by any result or metadata column.",
    'session.explorer(color="label")',
    '## Neighbours\n\nOne image, or several ("more like these": the query is their mean '
    "embedding).",
    """\
print(session.neighbors(0, k=5))
session.neighbors([0, 1, 2], k=5)""",
    "session.plot_neighbors(0, k=8)",
    "## Anomalies\n\nHigher scores mean more unusual. `knn` is the mean cosine distance to "
    "the nearest neighbours; `lof` finds images unusual for their region.",
    """\
scores = session.score_anomalies("lof")
most_unusual = np.argsort(scores)[::-1][:5]
session.meta[most_unusual]""",
    "session.plot_anomalies(n=12)",
    "## Clusters",
    """\
labels = session.cluster(7)
print(np.bincount(labels))
session.plot_clusters(n_per_cluster=6)""",
    "## Tags and selections\n\nTags are boolean metadata columns; the selection is what "
    "the explorer's lasso sets, and what `export(rows=...)` writes.",
    """\
session.tag(session.neighbors(0, k=5)["index"], "like_image_0")
session.select(np.flatnonzero(labels == labels[0]))
print(len(session.selection), "selected;", int(session.meta["like_image_0"].sum()), "tagged")
folder = Path(tempfile.mkdtemp(prefix="amn_exploring_"))
session.export(folder / "selection.csv", rows=session.selection)""",
    "## How good are the embeddings? `evaluate` with partial labels\n\nOften only a "
    "few objects have labels. Missing labels (here an empty string) are left out; the "
    "accuracies are cross-validated.",
    """\
rng = np.random.default_rng(0)
partial = np.where(rng.random(session.n_images) < 0.4, np.asarray(session.meta["label"]), "")
print((partial != "").sum(), "of", session.n_images, "labelled")
session.evaluate(partial, n_folds=3)""",
    "## Figures for a paper\n\nEvery `plot_*` method returns a matplotlib Figure; save "
    "it as PDF or PNG.",
    """\
figure = session.plot_map(color="anomaly_score")
figure.savefig(folder / "map.pdf", bbox_inches="tight")
figure""",
    "## Everything in one layout",
    "session.dashboard()",
]

COMPANION = [
    header(
        "05 Companion paper: open a saved session",
        "Open a saved session, here the one shipped in `examples/data/xdf_session/` (Hubble "
        "XDF galaxies, trained for two minutes by `tools/make_example_session.py`), and "
        "explore it without training: this is how readers of a paper look at its results.",
        "a few seconds.",
        "no.",
    ),
    QUICK_CELL,
    INLINE
    + """\
import tempfile
from pathlib import Path

import astromorph_nb as amn

path = Path("data") / "xdf_session"
if not path.exists():  # run from the repository root
    path = Path("examples") / "data" / "xdf_session"
session = amn.Session.load(path)
session  # status 'empty': saved without the images, but with thumbnails and all results""",
    "session.explorer()",
    'session.plot_map(color="cluster")',
    """\
brightest = 0  # XDF-0000
session.neighbors(brightest, k=8)""",
    "session.plot_anomalies(n=12)",
    "session.to_table()[:10]",
    "## Share it\n\nA results table, and (where available) one self-contained HTML page "
    "for a paper's companion website: no kernel, no server.",
    """\
folder = Path(tempfile.mkdtemp(prefix="amn_companion_"))
print(session.export(folder / "objects.ecsv"))
if hasattr(session, "to_html"):
    print(session.to_html(folder / "xdf_map.html"))""",
]

BUILDING_BLOCKS = [
    header(
        "06 Building blocks (for experts)",
        "Use the parts under the `Session` directly: augmentations, the `BYOL` model, the "
        "`Trainer` and its callbacks, and the analysis estimators.",
        "about a minute on a laptop CPU.",
        'yes for training; pass `device="cuda"` to `Trainer` (default `"auto"`).',
    ),
    QUICK_CELL,
    INLINE
    + """\
import torch

from astromorph_nb import datasets

images = datasets.hubble_deep_field(n_max=64 if QUICK else 128)
images""",
    "## Augmentations: batched, on the device, one random draw per image",
    """\
from astromorph_nb.augment import (
    AugmentationPipeline,
    GaussianNoise,
    PSFBlur,
    RandomFlip,
    RandomRotation,
    default_augmentations,
    preview,
    two_views,
)

pipeline = AugmentationPipeline([RandomRotation(), RandomFlip(), PSFBlur(), GaussianNoise()])
generator = torch.Generator().manual_seed(0)
view_a, view_b = two_views(pipeline, images.images[:8], generator)
print(view_a.shape, view_b.shape)  # (B, C, ny, nx)
preview(images.images, default_augmentations(), n_images=3, n_views=4, random_state=0)""",
    "## The model: an encoder inside BYOL",
    """\
from astromorph_nb.model import BYOL, build_encoder

encoder = build_encoder("small", in_channels=images.n_channels)
model = BYOL(encoder, projection_size=64, projection_hidden_size=256)
loss = model.loss(view_a, view_b)
print("loss:", loss.item(), "features:", model.n_features)""",
    "## The trainer: synchronous, with callbacks",
    """\
from astromorph_nb.train import LossHistory, Trainer

history = LossHistory()
trainer = Trainer(
    n_epochs=2 if QUICK else 10,
    batch_size=32,
    random_state=0,
    augmentations=pipeline,
    callbacks=[history],
)
print("ended:", trainer.fit(model, images))""",
    "## Analysis estimators (scikit-learn style)",
    """\
from astromorph_nb.analysis import KNNDistanceScorer, NeighborIndex, TSNEMap, compute_embeddings

embeddings = compute_embeddings(model, images)
tsne = TSNEMap(perplexity=10, random_state=0).fit(embeddings)
neighbors = NeighborIndex().fit(embeddings)
scores = KNNDistanceScorer().fit(embeddings).scores_
distances, indices = neighbors.query([0], k=5)
print(embeddings.shape, tsne.coordinates_.shape, scores.shape, indices[0])""",
]

NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_your_fits_files.ipynb": YOUR_FITS,
    "03_training.ipynb": TRAINING,
    "04_exploring_embeddings.ipynb": EXPLORING,
    "05_companion_paper.ipynb": COMPANION,
    "06_building_blocks.ipynb": BUILDING_BLOCKS,
    "08_discovery.ipynb": DISCOVERY,
}


def build(cells: list[str]) -> nbformat.NotebookNode:
    notebook = new_notebook()
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    for index, source in enumerate(cells):
        is_markdown = index == 0 or not _looks_like_code(source)
        cell = new_markdown_cell(source) if is_markdown else new_code_cell(source)
        cell.id = f"cell-{index:02d}"  # stable ids keep regenerated notebooks diff-free
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    return notebook


def _looks_like_code(source: str) -> bool:
    """Markdown cells start with a heading, a capital letter or inline code."""
    if source.startswith(("#", "`")) or source[:1].isupper():
        return False
    python = "\n".join(line for line in source.splitlines() if not line.startswith("%"))
    ast.parse(python)  # a code cell that does not parse is a mistake in this file
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=EXAMPLES)
    args = parser.parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        path = args.output / name
        nbformat.write(build(cells), path)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
