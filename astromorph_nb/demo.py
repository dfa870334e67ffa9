"""The project's main job on bundled data: ``astromorph-nb demo`` (session layer).

Load the Hubble eXtreme Deep Field galaxy stamps, train BYOL for a couple of minutes (on a
GPU when there is one), embed, map with t-SNE, score anomalies, cluster, and write a folder
with the saved session, the results table, publication figures, a self-contained HTML
page of the map and a short summary.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from astromorph_nb.datasets import hubble_deep_field
from astromorph_nb.exceptions import OutputExistsError
from astromorph_nb.session import Session

__all__ = ["DemoResult", "run_demo"]

_FIGURE_DPI = 150


@dataclass(frozen=True)
class DemoResult:
    """What :func:`run_demo` made.

    Attributes
    ----------
    output : Path
        The output folder.
    session : Session
        The trained, analysed session (also saved in ``output / "session"``).
    files : list of Path
        Every file written, figures included.
    summary : str
        The text also written to ``output / "summary.txt"``.
    """

    output: Path
    session: Session
    files: list[Path]
    summary: str


def run_demo(
    output: str | os.PathLike[str] = "astromorph-demo",
    *,
    minutes: float | None = 2.0,
    n_epochs: int | None = None,
    overwrite: bool = False,
    random_state: int = 0,
    device: str = "auto",
    callbacks: tuple[Any, ...] = (),
) -> DemoResult:
    """Run the demo end to end and write its folder.

    Parameters
    ----------
    output : str or path-like, default="astromorph-demo"
        Folder to create.
    minutes : float or None, default=2.0
        Training time budget; None trains for ``n_epochs`` however long it takes.
    n_epochs : int, optional
        Epochs of training (default: as many as fit in ``minutes``).
    overwrite : bool, default=False
        Replace an existing output folder made by an earlier demo.
    random_state : int, default=0
        Seed for training and analysis.
    device : str, default="auto"
        Where to train (a GPU when present).
    callbacks : tuple, optional
        Training callbacks, e.g. a ``ConsoleProgress`` bar.
    """
    folder = Path(output).expanduser()
    _prepare(folder, overwrite=overwrite)
    if minutes is None and n_epochs is None:
        msg = "Give the demo a time budget (minutes) or a number of epochs (n_epochs)."
        raise ValueError(msg)
    images = hubble_deep_field()
    session = Session(images, random_state=random_state, device=device)
    options: dict[str, Any] = {"n_epochs": n_epochs if n_epochs is not None else 100_000}
    if minutes is not None:
        options["max_time_s"] = 60.0 * minutes
    started = time.monotonic()
    session.train(callbacks=callbacks, **options).wait()
    train_s = time.monotonic() - started
    started = time.monotonic()
    session.analyse(n_clusters=6)
    analyse_s = time.monotonic() - started

    files = [Path(session.save(folder / "session"))]
    files.append(Path(session.export(folder / "objects.ecsv")))
    files.append(Path(session.export(folder / "objects.fits")))
    files.extend(_write_figures(session, folder / "figures"))
    files.append(Path(session.to_html(folder / "index.html")))
    summary = _summary(session, train_s=train_s, analyse_s=analyse_s, folder=folder)
    summary_path = folder / "summary.txt"
    summary_path.write_text(summary + "\n", encoding="utf-8")
    files.append(summary_path)
    return DemoResult(folder, session, files, summary)


def _prepare(folder: Path, *, overwrite: bool) -> None:
    if not folder.exists():
        folder.mkdir(parents=True)
        return
    if not overwrite:
        msg = f"The demo output folder {str(folder)!r} exists. Pass overwrite=True (--overwrite)."
        raise OutputExistsError(msg)
    if not (folder / "summary.txt").is_file():
        msg = (
            f"{str(folder)!r} exists and was not made by the demo (no summary.txt); it is "
            "left alone. Choose another output folder."
        )
        raise OutputExistsError(msg)
    shutil.rmtree(folder)
    folder.mkdir(parents=True)


def _write_figures(session: Session, folder: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    brightest = 0  # stamps are sorted by flux: XDF-0000 is the brightest galaxy
    figures = {
        "loss": session.plot_loss(),
        "map_clusters": session.plot_map(color="cluster"),
        "map_anomaly": session.plot_map(color="anomaly_score"),
        "neighbors": session.plot_neighbors(brightest, k=8),
        "clusters": session.plot_clusters(n_per_cluster=8),
        "anomalies": session.plot_anomalies(n=16),
        "augmentations": session.plot_augmentations(n_images=4, n_views=5),
    }
    written = []
    for name, figure in figures.items():
        for suffix in (".png", ".pdf"):
            path = folder / f"{name}{suffix}"
            figure.savefig(path, dpi=_FIGURE_DPI, bbox_inches="tight")
            written.append(path)
        plt.close(figure)
    return written


def _summary(session: Session, *, train_s: float, analyse_s: float, folder: Path) -> str:
    history = session.loss_history
    losses = np.asarray(history["loss"])
    progress = session.progress
    labels = session.cluster_labels
    scores = session.anomaly_scores
    meta = session.meta
    head = max(1, min(20, len(losses) // 10))
    lines = [
        "astromorph-nb demo: BYOL on the Hubble eXtreme Deep Field sample",
        f"  images      : {session.n_images} galaxy stamps of 64×64 pixels (bundled)",
        f"  training    : {session.step} steps in {train_s:.0f} s on {progress.get('device')}"
        f" ({session.job.status if session.job else 'not run'})",
        f"  loss        : {losses[:head].mean():.4f} (first steps) -> "
        f"{losses[-head:].mean():.4f} (last steps)",
        f"  analysis    : embeddings {session.embeddings.shape[1]}-D, t-SNE map, kNN anomaly "
        f"scores and k-means clusters in {analyse_s:.1f} s",
        "  clusters    : "
        + ", ".join(
            f"{c}: {n}" for c, n in zip(*np.unique(labels, return_counts=True), strict=True)
        ),
        "  most unusual:",
    ]
    for rank, index in enumerate(np.argsort(scores)[::-1][:5], start=1):
        name = meta["OBJECT"][index] if "OBJECT" in meta.colnames else f"#{index}"
        where = ""
        if "x" in meta.colnames and "y" in meta.colnames:
            where = f" at x={meta['x'][index]:.0f}, y={meta['y'][index]:.0f} (0-based)"
        lines.append(f"    {rank}. {name}{where}: score {scores[index]:.3f}")
    lines += [
        f"  output      : {folder.resolve()}",
        "    session/      reopen with astromorph_nb.Session.load(...)",
        "    objects.ecsv, objects.fits   metadata + map + clusters + scores + embeddings",
        "    figures/      loss, maps, neighbours, clusters, anomalies, augmentations",
        "    index.html    the map with cutouts and neighbours; opens in any browser, offline",
    ]
    return "\n".join(lines)
