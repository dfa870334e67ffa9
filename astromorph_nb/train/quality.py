"""Is training helping? Label-free measures of an embedding, and a callback that tracks them.

With no labels, BYOL's loss says little about the embedding: it can fall while the
embedding barely changes, or while the embedding collapses. Three label-free numbers, taken
on a fixed subset of the images every few seconds, say more:

- :func:`effective_rank` (RankMe, Garrido et al. 2023, "RankMe: Assessing the downstream
  performance of pretrained self-supervised representations by their rank", ICML): how many
  directions the embeddings really use. It tracks downstream accuracy; rising or steady is
  good, falling towards 1 is collapse.
- :func:`embedding_spread` (the collapse check of SimSiam, Chen & He 2021): the mean over
  features of the standard deviation of the unit-length embeddings, about ``1/sqrt(d)``
  when they fill the sphere and 0 when every image gets the same vector.
- :func:`neighbor_change`: the share of each image's nearest neighbours that changed since
  the previous snapshot. The t-SNE map and every neighbour query follow the neighbours, so
  when it falls to a few per cent, more training will change the results little.

With some labels, :func:`knn_accuracy` adds the leave-one-out accuracy of a kNN vote.
The functions take numpy arrays or tensors and compute in torch, where the embeddings are.

:class:`QualityMonitor` takes these snapshots during training. Like every callback it runs
on the training thread when training runs in the background (see ``train/background.py``):
it prints nothing and touches no widget; its :class:`QualityHistory` holds a lock, so the
rows can be read from another thread while training runs.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import numpy as np
import torch

from astromorph_nb._validation import check_positive_int, is_finite_real
from astromorph_nb.data.imageset import ImageSet
from astromorph_nb.train.quality_measures import (
    effective_rank,
    embedding_spread,
    knn_accuracy,
    neighbor_change,
)

__all__ = ["QUALITY_COLUMNS", "QualityHistory", "QualityMonitor"]

#: The columns of a quality history, in order.
QUALITY_COLUMNS = (
    "step",
    "elapsed_s",
    "effective_rank",
    "spread",
    "neighbor_change",
    "knn_accuracy",
)
_EMBED_BATCH = 128  # images per forward pass of the monitor


def _is_channels_last(model: torch.nn.Module | None) -> bool:
    """Whether the first 4-D weight of ``model`` is laid out channels-last."""
    weight = next((p for p in model.parameters() if p.ndim == 4), None) if model else None
    return (
        weight is not None
        and weight.is_contiguous(memory_format=torch.channels_last)
        and not weight.is_contiguous()
    )


class QualityHistory:
    """Thread-safe rows of quality snapshots, readable while training runs.

    Each row holds the values of :data:`QUALITY_COLUMNS`; NaN marks a value not measured
    (``neighbor_change`` at a run's first snapshot, ``knn_accuracy`` without labels).

    Examples
    --------
    >>> history = QualityHistory()
    >>> history.append(step=1, elapsed_s=0.1, effective_rank=40.0, spread=0.05)
    >>> len(history), history.columns()["neighbor_change"]
    (1, array([nan]))
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: list[tuple[float, ...]] = []

    def append(self, **values: float) -> None:
        """Add one row; columns not given are NaN (``step`` is required)."""
        unknown = set(values) - set(QUALITY_COLUMNS)
        if unknown or "step" not in values:
            msg = (
                f"QualityHistory.append takes the columns {', '.join(QUALITY_COLUMNS)} "
                f"(step required); got {', '.join(sorted(values))}."
            )
            raise TypeError(msg)
        row = tuple(float(values.get(name, math.nan)) for name in QUALITY_COLUMNS)
        with self._lock:
            self._rows.append(row)

    def columns(self) -> dict[str, np.ndarray]:
        """Return each column as an array (a copy): ``step`` int64, the others float64."""
        with self._lock:
            rows = list(self._rows)
        table = np.array(rows, dtype=np.float64).reshape(len(rows), len(QUALITY_COLUMNS))
        columns = {name: table[:, i].copy() for i, name in enumerate(QUALITY_COLUMNS)}
        columns["step"] = columns["step"].astype(np.int64)
        return columns

    def last(self) -> dict[str, float] | None:
        """Return the latest row as a dict, or None when there is none."""
        with self._lock:
            row = self._rows[-1] if self._rows else None
        return None if row is None else dict(zip(QUALITY_COLUMNS, row, strict=True))

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)


class QualityMonitor:
    """A callback that measures the embedding of a fixed subset of images during training.

    At the first step, then whenever ``every_s`` seconds have passed, and at the end of
    the run, the subset is embedded with the current weights (encoder in evaluation mode,
    under ``torch.inference_mode()``: BatchNorm statistics, train/eval modes, gradients and
    random streams of the training are left as they were, so training gives bit-identical
    results with and without the monitor). A row of :func:`effective_rank`,
    :func:`embedding_spread`, :func:`neighbor_change` (against the previous snapshot of this
    run) and, with labels, :func:`knn_accuracy` is added to :attr:`history`.

    Parameters
    ----------
    images : ImageSet or Tensor of shape (n_images, n_channels, ny, nx)
        The training images (or any preprocessed like them).
    n_images : int, default=512
        Size of the subset (all images if there are fewer). A snapshot costs one forward
        pass of the subset (with the default model, about half a training step of 128
        image pairs) and a few milliseconds of arithmetic.
    every_s : float, default=5.0
        Least time between two snapshots, in seconds (0: at every step).
    max_share : float or None, default=0.05
        Most of the training time the snapshots may take: after a snapshot that took ``t``
        seconds, the next waits at least ``t / max_share`` (a large model on a slow CPU is
        then measured less often). None: only ``every_s`` counts.
    k : int, default=10
        Neighbours per image for ``neighbor_change`` and ``knn_accuracy`` (fewer if the
        subset is smaller).
    labels : array-like of int, shape (n_images,), optional
        A class number per image of ``images`` (negative: no label), for ``knn_accuracy``.
        Change them later with :meth:`set_labels`.
    random_state : int, default=0
        Seed of the choice of the subset: the same seed gives the same subset.
    history : QualityHistory, optional
        Where to add rows (to continue an earlier run's); default a new one.
    step_offset : int, default=0
        Added to the trainer's step in each row (steps of earlier runs).
    elapsed_offset : float, default=0.0
        Added to the seconds since the start of this run in each row.

    Attributes
    ----------
    indices : ndarray of int
        The images of the subset, in increasing order.
    history : QualityHistory
        The rows so far.
    n_snapshots : int
        Snapshots taken in this run.
    seconds : float
        Time spent taking them.

    Examples
    --------
    >>> import torch
    >>> from astromorph_nb.model import BYOL, SmallCNN
    >>> from astromorph_nb.train import Trainer
    >>> images = torch.rand(24, 1, 16, 16)
    >>> monitor = QualityMonitor(images, every_s=0.0, max_share=None, k=3)
    >>> model = BYOL(SmallCNN(in_channels=1, width=8), projection_size=16)
    >>> Trainer(n_epochs=1, batch_size=8, device="cpu", callbacks=[monitor]).fit(model, images)
    'completed'
    >>> monitor.history.columns()["step"]
    array([1, 2, 3])
    """

    def __init__(
        self,
        images: ImageSet | torch.Tensor,
        *,
        n_images: int = 512,
        every_s: float = 5.0,
        max_share: float | None = 0.05,
        k: int = 10,
        labels: Any = None,
        random_state: int = 0,
        history: QualityHistory | None = None,
        step_offset: int = 0,
        elapsed_offset: float = 0.0,
    ) -> None:
        where = "QualityMonitor"
        tensor = images.images if isinstance(images, ImageSet) else images
        if not isinstance(tensor, torch.Tensor) or tensor.ndim != 4 or tensor.shape[0] < 2:
            shape = getattr(tensor, "shape", None)
            msg = (
                f"The 'images' parameter of {where} must be an ImageSet or a Tensor of shape "
                f"(n_images, n_channels, ny, nx) with at least 2 images; got "
                f"{type(tensor).__name__} of shape {shape}."
            )
            raise ValueError(msg)
        if not is_finite_real(every_s) or every_s < 0:
            msg = (
                f"The 'every_s' parameter of {where} must be a number of seconds >= 0; got "
                f"{every_s!r}."
            )
            raise ValueError(msg)
        if max_share is not None and not (is_finite_real(max_share) and 0 < max_share <= 1):
            msg = (
                f"The 'max_share' parameter of {where} must be a share of the training time "
                f"in (0, 1], or None; got {max_share!r}."
            )
            raise ValueError(msg)
        n_images = check_positive_int(n_images, name="n_images", where=where, minimum=2)
        self.k = check_positive_int(k, name="k", where=where)
        check_positive_int(random_state, name="random_state", where=where, minimum=0)
        n_total = int(tensor.shape[0])
        rng = np.random.default_rng(random_state)
        chosen = rng.choice(n_total, size=min(n_images, n_total), replace=False)
        self.indices = np.sort(chosen).astype(np.int64)
        self.every_s = float(every_s)
        self.max_share = None if max_share is None else float(max_share)
        self.history = history if history is not None else QualityHistory()
        self.step_offset = int(step_offset)
        self.elapsed_offset = float(elapsed_offset)
        self.n_snapshots = 0
        self.seconds = 0.0
        self._images = tensor
        self._n_total = n_total
        self._labels: np.ndarray | None = None
        self.set_labels(labels)
        self._subset: torch.Tensor | None = None
        self._previous: torch.Tensor | None = None
        self._started = time.monotonic()
        self._next_due = -math.inf
        self._last_step = -1

    def set_labels(self, labels: Any) -> None:
        """Use ``labels`` (int per image of ``images``, negative: none; or None) from now on.

        Safe to call from another thread while training runs: the next snapshot uses them.
        """
        if labels is None:
            self._labels = None
            return
        codes = np.asarray(labels)
        if codes.shape != (self._n_total,) or codes.dtype.kind not in "iu":
            msg = (
                f"The labels of QualityMonitor must hold one int class number per image "
                f"({self._n_total}), negative for images without a label; got dtype "
                f"{codes.dtype} and shape {codes.shape}."
            )
            raise ValueError(msg)
        self._labels = codes[self.indices].astype(np.int64)  # one reference swap

    # -- hooks ---------------------------------------------------------------------------

    def on_train_start(self, trainer: Any) -> None:
        """Put the subset on the training device; the next step takes the first snapshot."""
        subset = self._images[torch.as_tensor(self.indices)].to(trainer.device)
        if _is_channels_last(trainer.model):  # as the trainer laid out the model
            subset = subset.contiguous(memory_format=torch.channels_last)
        self._subset = subset
        self._previous = None
        self._started = time.monotonic()
        self._next_due = -math.inf
        self._last_step = -1
        self.n_snapshots, self.seconds = 0, 0.0

    def on_batch_end(self, trainer: Any, step: int) -> None:
        """Take a snapshot when one is due."""
        if time.monotonic() >= self._next_due:
            self._snapshot(trainer, step)

    def on_train_end(self, trainer: Any, reason: str) -> None:
        """Take a last snapshot, unless training failed or no step was taken since the last."""
        due = self._subset is not None and trainer.model is not None and trainer.step > 0
        if reason != "failed" and due and trainer.step != self._last_step:
            self._snapshot(trainer, trainer.step)
        self._subset = self._previous = None  # free the device memory

    # -- the measurement -----------------------------------------------------------------

    def _embed(self, model: Any) -> torch.Tensor:
        """Embeddings of the subset, float32 on the training device."""
        assert self._subset is not None
        parts = []
        with torch.inference_mode():
            for start in range(0, self._subset.shape[0], _EMBED_BATCH):
                parts.append(model.embed(self._subset[start : start + _EMBED_BATCH]))
        return torch.cat(parts).float()

    def _snapshot(self, trainer: Any, step: int) -> None:
        started = time.monotonic()
        embeddings = self._embed(trainer.model)
        row = {
            "step": self.step_offset + int(step),
            "elapsed_s": self.elapsed_offset + (started - self._started),
            "effective_rank": math.nan,
            "spread": math.nan,
        }
        if bool(torch.isfinite(embeddings).all()):
            row["effective_rank"] = effective_rank(embeddings)
            row["spread"] = embedding_spread(embeddings)
            k = min(self.k, embeddings.shape[0] - 1)
            if self._previous is not None:
                row["neighbor_change"] = neighbor_change(self._previous, embeddings, k=k)
            labels = self._labels
            if labels is not None:
                n_labelled = int((labels >= 0).sum())
                if n_labelled >= 2:
                    row["knn_accuracy"] = knn_accuracy(
                        embeddings, labels, k=min(self.k, n_labelled - 1)
                    )
            self._previous = embeddings
        self.history.append(**row)
        self._last_step = int(step)
        self.n_snapshots += 1
        cost = time.monotonic() - started
        self.seconds += cost
        wait = self.every_s if self.max_share is None else max(self.every_s, cost / self.max_share)
        self._next_due = started + wait
