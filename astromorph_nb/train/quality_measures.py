"""Label-free measures of an embedding: effective rank, spread, neighbour change (train layer).

The numbers behind :class:`~astromorph_nb.train.quality.QualityMonitor` (see that module for
how to read them), as plain functions of numpy arrays or tensors; they compute in torch,
where the embeddings are. With some labels, :func:`knn_accuracy` adds the leave-one-out
accuracy of a kNN vote.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from astromorph_nb._validation import check_positive_int

__all__ = ["effective_rank", "embedding_spread", "knn_accuracy", "neighbor_change"]

#: RankMe's epsilon, added to every normalised singular value (Garrido et al. 2023).
RANKME_EPS = 1e-7
_CHUNK_ROWS = 1024  # rows of the similarity matrix computed at once


def _as_matrix(embeddings: Any, *, name: str, where: str, min_rows: int = 1) -> torch.Tensor:
    """Return ``embeddings`` as a finite float64 matrix, or raise an error that says why not.

    The arithmetic runs in torch, where the embeddings are (on the training device), in
    the calling thread's own thread pool: numpy's BLAS would start a second pool, and on a
    machine with few cores the two pools slow each other down many times over (measured on
    2 cores while training ran: 1.2 s for an SVD that takes 3 ms alone).
    """
    if isinstance(embeddings, torch.Tensor):
        tensor = embeddings.detach()
        if tensor.device.type == "mps":  # no float64 there
            tensor = tensor.cpu()
        tensor = tensor.to(torch.float64)
    else:
        tensor = torch.from_numpy(np.array(embeddings, dtype=np.float64))
    if tensor.ndim != 2 or tensor.shape[0] < min_rows or tensor.shape[1] < 1:
        msg = (
            f"The {name!r} parameter of {where} must be a 2-D array of shape (n_images, "
            f"n_features) with at least {min_rows} row(s); got shape {tuple(tensor.shape)}."
        )
        raise ValueError(msg)
    bad = ~torch.isfinite(tensor).all(dim=1)
    if bool(bad.any()):
        msg = (
            f"The {name!r} parameter of {where} has NaN or infinite values in "
            f"{int(bad.sum())} of {tensor.shape[0]} rows. Check the images for extreme "
            "values, or retrain."
        )
        raise ValueError(msg)
    return tensor


def _unit_rows(tensor: torch.Tensor) -> torch.Tensor:
    """Scale each row to unit length (rows of zeros stay zeros)."""
    norms = torch.linalg.vector_norm(tensor, dim=1, keepdim=True)
    return tensor / norms.clamp_min(torch.finfo(torch.float64).tiny)


def _nearest(unit: torch.Tensor, k: int) -> torch.Tensor:
    """Return each row's ``k`` most similar other rows (cosine), in no particular order."""
    n = unit.shape[0]
    found = torch.empty((n, k), dtype=torch.int64, device=unit.device)
    for start in range(0, n, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n)
        similarity = unit[start:stop] @ unit.T
        rows = torch.arange(stop - start, device=unit.device)
        similarity[rows, rows + start] = -math.inf  # not itself
        found[start:stop] = torch.topk(similarity, k, dim=1, sorted=False).indices
    return found


def _check_k(k: Any, n_others: int, *, where: str, what: str) -> int:
    k = check_positive_int(k, name="k", where=where)
    if k > n_others:
        msg = (
            f"The 'k' parameter of {where} must be at most {n_others} ({what}); got {k}. "
            "Pass a smaller k or use more images."
        )
        raise ValueError(msg)
    return k


def effective_rank(embeddings: Any) -> float:
    """Return the effective rank (RankMe) of a set of embeddings.

    RankMe (Garrido et al. 2023) is the exponential of the Shannon entropy of the singular
    values of the embedding matrix, each divided by their sum (plus ``1e-7``): 1 when every
    image has the same direction, ``min(n_images, n_features)`` when all directions are used
    equally. Its rise and fall track the accuracy of the embedding in later tasks without
    any label.

    Parameters
    ----------
    embeddings : array-like or Tensor of shape (n_images, n_features)
        One embedding per image (not centred: a collapsed embedding has rank 1).

    Returns
    -------
    float
        Between about 1 and ``min(n_images, n_features)``.

    Examples
    --------
    >>> import numpy as np
    >>> round(effective_rank(np.ones((50, 8))), 3)
    1.0
    >>> round(effective_rank(np.eye(8)), 3)
    8.0
    """
    tensor = _as_matrix(embeddings, name="embeddings", where="effective_rank")
    singular = torch.linalg.svdvals(tensor)
    share = singular / singular.sum().clamp_min(torch.finfo(torch.float64).tiny) + RANKME_EPS
    return float(torch.exp(-(share * torch.log(share)).sum()))


def embedding_spread(embeddings: Any) -> float:
    """Return the mean over features of the standard deviation of unit-length embeddings.

    SimSiam's collapse check (Chen & He 2021): each embedding is scaled to length 1, then
    the standard deviation over the images of each feature is averaged over the features.
    Embeddings spread over the sphere give about ``1/sqrt(n_features)``; a collapsed
    embedding (every image the same direction) gives 0.

    Parameters
    ----------
    embeddings : array-like or Tensor of shape (n_images, n_features)

    Returns
    -------
    float
        Between 0 and ``1/sqrt(n_features)``, roughly (at most 1).

    Examples
    --------
    >>> import numpy as np
    >>> round(embedding_spread(np.ones((50, 8))), 12)
    0.0
    >>> spread = embedding_spread(np.random.default_rng(0).normal(size=(2000, 64)))
    >>> bool(abs(spread * np.sqrt(64) - 1) < 0.05)
    True
    """
    tensor = _as_matrix(embeddings, name="embeddings", where="embedding_spread")
    return float(_unit_rows(tensor).std(dim=0, correction=0).mean())


def neighbor_change(previous: Any, current: Any, k: int = 10) -> float:
    """Return the share of each image's ``k`` nearest neighbours that changed, on average.

    Neighbours are found by cosine similarity within each snapshot, leaving the image
    itself out. 0 means every image kept all its neighbours; for unrelated snapshots the
    value is close to 1 (``1 - k / (n_images - 1)`` on average).

    Parameters
    ----------
    previous, current : array-like or Tensor of shape (n_images, n_features)
        Two snapshots of the embeddings of the same images, in the same order (the
        number of features may differ).
    k : int, default=10
        Neighbours per image; at most ``n_images - 1``.

    Returns
    -------
    float
        Between 0 and 1.

    Examples
    --------
    >>> import numpy as np
    >>> embeddings = np.random.default_rng(0).normal(size=(100, 16))
    >>> neighbor_change(embeddings, 2 * embeddings)
    0.0
    """
    where = "neighbor_change"
    before = _as_matrix(previous, name="previous", where=where, min_rows=2)
    after = _as_matrix(current, name="current", where=where, min_rows=2)
    if before.shape[0] != after.shape[0]:
        msg = (
            f"The snapshots passed to {where} have {before.shape[0]} and {after.shape[0]} "
            "rows. Expected embeddings of the same images, in the same order."
        )
        raise ValueError(msg)
    k = _check_k(k, before.shape[0] - 1, where=where, what="the other images")
    after = after.to(before.device)
    both = torch.cat([_nearest(_unit_rows(before), k), _nearest(_unit_rows(after), k)], dim=1)
    both = torch.sort(both, dim=1).values
    # Each row's two lists hold no repeats, so equal neighbours in the sorted row are kept ones.
    kept = (both[:, 1:] == both[:, :-1]).sum(dim=1)
    return float((1.0 - kept.to(torch.float64) / k).mean())


def knn_accuracy(embeddings: Any, labels: Any, k: int = 10) -> float:
    """Return the leave-one-out accuracy of a ``k``-nearest-neighbour vote (cosine).

    Each labelled image is given the most common class among its ``k`` most similar
    other labelled images (ties go to the smallest class number, as in scikit-learn), and
    the share of correct answers is returned. Leave-one-out needs no folds, so it works
    with a handful of labels, and it costs one similarity matrix (no scikit-learn needed).

    Parameters
    ----------
    embeddings : array-like or Tensor of shape (n_images, n_features)
    labels : array-like of int, shape (n_images,)
        A class number per image; negative numbers mark images without a label (left out).
    k : int, default=10
        Neighbours in the vote; at most the number of labelled images minus 1.

    Returns
    -------
    float
        Between 0 and 1.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> embeddings = np.vstack([rng.normal([5, 0], 0.5, (20, 2)), rng.normal([0, 5], 0.5, (20, 2))])
    >>> knn_accuracy(embeddings, [0] * 20 + [1] * 19 + [-1], k=3)
    1.0
    """
    where = "knn_accuracy"
    tensor = _as_matrix(embeddings, name="embeddings", where=where)
    n_images = tensor.shape[0]
    codes = labels.cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if codes.shape != (n_images,) or (codes.size and codes.dtype.kind not in "iu"):
        got = f"dtype {codes.dtype}" if codes.shape == (n_images,) else f"shape {codes.shape}"
        msg = (
            f"The 'labels' parameter of {where} must hold one int class number per image "
            f"({n_images}), negative for images without a label; got {got}. For "
            "names or strings, number the classes first (np.unique(..., return_inverse=True))."
        )
        raise ValueError(msg)
    labelled = codes >= 0
    n_labelled = int(labelled.sum())
    if n_labelled < 2:
        msg = (
            f"{where} needs at least 2 labelled images (labels >= 0); got {n_labelled}. "
            "Label more images."
        )
        raise ValueError(msg)
    k = _check_k(k, n_labelled - 1, where=where, what="the other labelled images")
    _, inverse = np.unique(codes[labelled], return_inverse=True)
    device = tensor.device
    classes = torch.from_numpy(inverse.ravel().astype(np.int64)).to(device)
    found = _nearest(_unit_rows(tensor[torch.from_numpy(labelled).to(device)]), k)
    n_classes = int(inverse.max()) + 1
    votes = torch.zeros((n_labelled, n_classes), dtype=torch.int64, device=device)
    votes.scatter_add_(1, classes[found], torch.ones_like(found))
    # argmax takes the first of equal counts: ties go to the smallest class number.
    return float((torch.argmax(votes, dim=1) == classes).to(torch.float64).mean())
