"""Distinct values of an array, without NumPy's start-up cost for them."""

from __future__ import annotations

import numpy as np


def sorted_distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of ``values``: ``np.unique(values)``, the same result.

    Plain ``np.unique`` asks ``np.ma.is_masked`` whether the array is masked, and that
    imports ``numpy.ma`` (~25 ms, the largest single import of a ``compute`` run after
    NumPy and polars, measured 2026-11-23 with NumPy 2.4); asking for the counts takes
    the sorting path, which does not.

    >>> sorted_distinct(np.array([3.0, 1.0, 3.0, np.nan, np.nan])).tolist()
    [1.0, 3.0, nan]
    """
    return np.unique(values, return_counts=True)[0]
