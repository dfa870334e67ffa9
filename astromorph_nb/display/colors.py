"""How a column colours the points of a map: numbers or categories (display layer).

One rule for the notebook explorer and the companion HTML page, so a map looks the same in
both:

- numbers colour by value (a colour bar); NaN or missing values are grey;
- the column ``"cluster"`` of integer labels, text and bools colour by category (a
  legend). The categories are the distinct values present, in sorted order (cluster labels
  ``[0, 3000000]`` are two categories, not three million); negative cluster labels (noise)
  and missing values get code -1 and are grey;
- the map's palette has 20 colours, so at most :data:`MAX_COLOR_CATEGORIES` categories are
  coloured: with more distinct values, the 19 most common (ties: the smaller value) keep
  their colours and all others share the last code, named ``"other"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MAX_COLOR_CATEGORIES", "OTHER", "ColorCoding", "category_codes", "color_coding"]

#: Most categories a map is coloured by (its palette's 20 colours); the rest are "other".
MAX_COLOR_CATEGORIES = 20
#: Name of the category that groups the values beyond the most common ones.
OTHER = "other"


@dataclass(frozen=True)
class ColorCoding:
    """The colours of a map's points, as the map widget and page script take them.

    Attributes
    ----------
    mode : {"numeric", "categorical"}
        Colour bar or legend.
    values : ndarray of float32, shape (n_points,)
        Numbers (NaN = missing), or codes into ``categories`` (-1 = missing or noise).
    categories : list of str
        One name per code; empty for numbers.
    grouped : bool
        True when there were more than :data:`MAX_COLOR_CATEGORIES` distinct values and
        the last category is :data:`OTHER`.
    """

    mode: str
    values: np.ndarray
    categories: list[str]
    grouped: bool


def category_codes(keys: Any, missing: Any = None) -> tuple[np.ndarray, list[Any], bool]:
    """Return each key's colour code, the keys the codes stand for, and whether some are grouped.

    Parameters
    ----------
    keys : array-like of shape (n_points,)
        Comparable values (integers or text).
    missing : array-like of bool, shape (n_points,), optional
        Points without a key: code -1.

    Returns
    -------
    codes : ndarray of int64
        0..k-1 into the shown keys, -1 where missing; with grouping, k is the code of
        :data:`OTHER`.
    shown : list
        The distinct keys present in sorted order, or the most common ones when grouped.
    grouped : bool
        Whether there were more than :data:`MAX_COLOR_CATEGORIES` distinct keys.

    Examples
    --------
    >>> codes, shown, grouped = category_codes([3000000, 0, -1, 0], [False, False, True, False])
    >>> codes.tolist(), shown, grouped
    ([1, 0, -1, 0], [0, 3000000], False)
    """
    values = np.asarray(keys)
    absent = np.zeros(len(values), dtype=bool) if missing is None else np.asarray(missing, bool)
    distinct, inverse, counts = np.unique(values[~absent], return_inverse=True, return_counts=True)
    grouped = len(distinct) > MAX_COLOR_CATEGORIES
    if grouped:
        common = np.sort(np.argsort(-counts, kind="stable")[: MAX_COLOR_CATEGORIES - 1])
        rank = np.full(len(distinct), len(common))
        rank[common] = np.arange(len(common))
        inverse = rank[inverse]
        distinct = distinct[common]
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[~absent] = inverse.ravel()
    return codes, distinct.tolist(), grouped


def color_coding(name: str, values: Any, *, missing: Any = None) -> ColorCoding:
    """Return how the column ``name`` colours a map (see the module docstring for the rule).

    Parameters
    ----------
    name : str
        The column's name; ``"cluster"`` holds cluster labels (-1 = noise).
    values : array-like of shape (n_points,)
        Numbers, bools or text (str). Turn bytes into text before.
    missing : array-like of bool, shape (n_points,), optional
        Points without a value (grey).

    Returns
    -------
    ColorCoding

    Examples
    --------
    >>> coding = color_coding("cluster", np.array([0, 3000000, -1]))
    >>> coding.mode, coding.values.tolist(), coding.categories
    ('categorical', [0.0, 1.0, -1.0], ['cluster 0', 'cluster 3000000'])
    """
    array = np.asarray(values)
    absent = np.zeros(len(array), dtype=bool) if missing is None else np.asarray(missing, bool)
    kind = array.dtype.kind
    if kind in "iu" and name == "cluster":
        codes, shown, grouped = category_codes(array, absent | (array < 0))
        categories = [f"cluster {key}" for key in shown]
    elif kind in "iuf":
        numbers = np.where(absent, np.nan, array).astype(np.float32)
        return ColorCoding("numeric", numbers, [], grouped=False)
    else:
        codes, shown, grouped = category_codes(array.astype(str), absent)
        categories = [str(key) for key in shown]
    if grouped:
        categories.append(OTHER)
    return ColorCoding("categorical", codes.astype(np.float32), categories, grouped)
