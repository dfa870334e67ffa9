"""How well embeddings separate known classes: kNN and linear-probe accuracy (analysis layer).

The two standard checks of self-supervised features (as in the BYOL paper, Grill et al.
2020): a k-nearest-neighbour vote by cosine distance, which measures whether images of one
class sit together, and a linear probe (logistic regression on standardised features), which
measures whether the classes can be told apart by a plane. Both are cross-validated on the
same stratified folds, and only images with a label take part, so a catalogue column with
gaps can be passed as it is.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from astromorph_nb._typing import ArrayLike, RandomState
from astromorph_nb._validation import check_positive_int, shorten
from astromorph_nb.analysis.neighbors import _as_seed, _check_embeddings, _normalize
from astromorph_nb.exceptions import AstromorphWarning

__all__ = ["encode_labels", "evaluate_embeddings"]

_WHERE = "evaluate_embeddings"


def evaluate_embeddings(
    embeddings: ArrayLike,
    labels: ArrayLike,
    *,
    n_neighbors: int = 10,
    n_folds: int = 5,
    random_state: RandomState = None,
) -> dict[str, Any]:
    """Return cross-validated kNN and linear-probe accuracies of ``labels`` from ``embeddings``.

    Parameters
    ----------
    embeddings : ndarray of shape (n_images, n_features)
        Embeddings from :func:`compute_embeddings`.
    labels : array-like of shape (n_images,)
        A class per image: numbers or strings, a list, a numpy or masked array, or an
        astropy ``Column``/``MaskedColumn``. Missing labels (``None``, NaN, masked entries,
        empty or blank strings) are left out.
    n_neighbors : int, default=10
        Neighbours in the kNN vote (cosine distance).
    n_folds : int, default=5
        Stratified cross-validation folds, at least 2. If the smallest class has fewer
        labelled images than this (but at least 2), that many folds are used instead, with
        an :class:`AstromorphWarning`.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the shuffle before the folds are cut. Fix it to make results repeatable.

    Returns
    -------
    dict
        ``knn_accuracy``, ``knn_accuracy_std``, ``linear_probe_accuracy`` and
        ``linear_probe_accuracy_std`` (mean and standard deviation over the folds, floats
        between 0 and 1); ``n_labelled`` (images with a label), ``n_classes``,
        ``chance_accuracy`` (share of the most common class: what always guessing it
        scores) and ``n_folds`` (the folds used).

    Raises
    ------
    ValueError
        If ``labels`` and ``embeddings`` differ in length, if fewer than 2 classes are
        labelled, if a class has a single labelled image, or if ``n_neighbors`` exceeds
        the images in a training fold.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> embeddings = np.vstack([rng.normal([5.0, 0.0], 0.5, (20, 2)),
    ...                         rng.normal([0.0, 5.0], 0.5, (20, 2))])
    >>> labels = ["star"] * 20 + ["galaxy"] * 19 + [None]
    >>> result = evaluate_embeddings(embeddings, labels, n_neighbors=3, random_state=0)
    >>> result["knn_accuracy"], result["n_labelled"], result["chance_accuracy"]
    (1.0, 39, 0.5128205128205128)
    """
    array = _check_embeddings(embeddings, where=_WHERE)
    n_neighbors = check_positive_int(n_neighbors, name="n_neighbors", where=_WHERE)
    n_folds = check_positive_int(n_folds, name="n_folds", where=_WHERE, minimum=2)
    seed = _as_seed(random_state, where=_WHERE)
    codes, names, labelled = encode_labels(labels, array.shape[0])
    counts = np.bincount(codes, minlength=len(names))
    if len(names) < 2:
        got = f"1 ({shorten(names[0])})" if names else "none"
        msg = (
            f"Too few classes in 'labels' in {_WHERE}. Expected at least 2 different labels "
            f"among the labelled images; got {got} in {codes.size} labelled images. "
            "Label images of at least two kinds."
        )
        raise ValueError(msg)
    if counts.min() < 2:
        single = [names[i] for i in np.flatnonzero(counts == 1)]
        msg = (
            f"{len(single)} class(es) in 'labels' have a single labelled image in {_WHERE} "
            f"(first: {shorten(single[0])}). Expected at least 2 images per class for "
            "stratified cross-validation; got 1. Leave such labels out (set them to None) "
            "or merge them into other classes."
        )
        raise ValueError(msg)
    if counts.min() < n_folds:
        smallest = names[int(np.argmin(counts))]
        msg = (
            f"The smallest class in 'labels' ({shorten(smallest)}) has {counts.min()} "
            f"labelled images, fewer than n_folds={n_folds}; {counts.min()} folds were used."
        )
        warnings.warn(msg, AstromorphWarning, stacklevel=2)
        n_folds = int(counts.min())

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features = array[labelled]
    folds = list(
        StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed).split(features, codes)
    )
    smallest_train = min(train.size for train, _ in folds)
    if n_neighbors > smallest_train:
        msg = (
            f"The 'n_neighbors' parameter of {_WHERE} must be at most {smallest_train} (the "
            f"labelled images in the smallest training fold); got {n_neighbors}. Pass a "
            "smaller n_neighbors or label more images."
        )
        raise ValueError(msg)

    # Euclidean distance between unit vectors ranks neighbours as cosine distance does.
    directions = _normalize(features)
    knn_scores, probe_scores = [], []
    for train, test in folds:
        knn = KNeighborsClassifier(n_neighbors=n_neighbors).fit(directions[train], codes[train])
        knn_scores.append(knn.score(directions[test], codes[test]))
        probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        probe.fit(features[train], codes[train])
        probe_scores.append(probe.score(features[test], codes[test]))
    return {
        "knn_accuracy": float(np.mean(knn_scores)),
        "knn_accuracy_std": float(np.std(knn_scores)),
        "linear_probe_accuracy": float(np.mean(probe_scores)),
        "linear_probe_accuracy_std": float(np.std(probe_scores)),
        "n_labelled": int(codes.size),
        "n_classes": len(names),
        "chance_accuracy": float(counts.max() / codes.size),
        "n_folds": n_folds,
    }


def encode_labels(labels: ArrayLike, n_images: int) -> tuple[np.ndarray, list[Any], np.ndarray]:
    """Return (int codes of the labelled images, class names, bool mask of labelled images).

    The labels are those :func:`evaluate_embeddings` accepts (missing ones are left out);
    the session also keeps them in this form for its quality monitor.
    """
    if isinstance(labels, np.ma.MaskedArray):
        missing = np.ma.getmaskarray(labels).copy()
        values = np.asarray(np.ma.getdata(labels))
    else:
        try:
            values = np.asarray(labels)
        except ValueError:  # a sequence of tuples or other sequences: one object each
            values = np.fromiter(labels, dtype=object)  # type: ignore[arg-type]
        missing = np.zeros(values.shape, dtype=bool)
    if values.ndim != 1 or values.shape[0] != n_images:
        msg = (
            f"Wrong length of 'labels' in {_WHERE}. Expected one label per image, "
            f"{n_images} (the rows of 'embeddings'); got {_describe_length(values)}. "
            "Pass a label (or None) for every image, in the order of the embeddings."
        )
        raise ValueError(msg)
    if values.dtype.kind in "fc":
        missing |= np.isnan(values)
    elif values.dtype.kind in "US":
        missing |= np.char.str_len(np.char.strip(values)) == 0
    elif values.dtype.kind == "O":
        missing |= np.fromiter((_is_missing(v) for v in values), dtype=bool, count=values.size)
    labelled = ~missing
    kept = values[labelled]
    if values.dtype.kind == "O":
        # Mixed Python objects cannot be sorted by np.unique; number them as they come.
        lookup: dict[Any, int] = {}
        codes = np.fromiter(
            (lookup.setdefault(v, len(lookup)) for v in kept), dtype=np.int64, count=kept.size
        )
        names = list(lookup)
    else:
        unique, inverse = np.unique(kept, return_inverse=True)
        codes = inverse.astype(np.int64).ravel()
        names = unique.tolist()
    return codes, names, labelled


def _is_missing(value: Any) -> bool:
    """Return True for None, masked, NaN and empty or blank strings."""
    if value is None or value is np.ma.masked:
        return True
    if isinstance(value, (str, bytes)):
        return not value.strip()
    return isinstance(value, numbers.Real) and math.isnan(value)


def _describe_length(values: np.ndarray) -> str:
    if values.ndim == 1:
        return str(values.shape[0])
    return f"an array of shape {values.shape} in numpy order"
