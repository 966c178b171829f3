"""Nearest center and clustering cost for every row, in one blocked pass (cpp/assign.cpp)."""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from .. import _core
from .._base.validation import (
    check_array_top, check_centers, check_cost_scale, check_magnitude, check_n_threads, check_z,
)


def assign_rows(
    X: np.ndarray, centers: np.ndarray, z: float, u: Optional[np.ndarray], nt: int
) -> Tuple[np.ndarray, np.ndarray, float]:
    """Unvalidated core call: labels, cost and the weighted total cost."""
    labels = np.empty(X.shape[0], dtype=np.int64)
    cost = np.empty(X.shape[0], dtype=np.float64)
    total = _core.assign(X, centers, z, u, labels, cost, nt)
    return labels, cost, total


def assign(
    X: np.ndarray, centers: np.ndarray, z: float = 2.0, *, n_threads: Optional[int] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """Assign each row to its nearest center and return the cost of that assignment.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Rows to assign. C-contiguous input is used in place, without a copy.
    centers : ndarray of shape (n_clusters, n_features)
        Centers; converted to X's dtype if it differs (a small copy).
    z : float, default=2.0
        Exponent of the cost: cost = ||x - c||^z (2: k-means, 1: k-median).
    n_threads : int, default=None
        Threads to use; None uses all cores. The result does not depend on it.

    Returns
    -------
    labels : ndarray of shape (n_samples,), int64
        Index of the nearest center (Euclidean; ties go to the lowest index).
    cost : ndarray of shape (n_samples,), float64
        ||x - c(x)||^z, computed directly in float64 for the chosen center.

    Examples
    --------
    >>> import numpy as np, coresample
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
    >>> labels, cost = coresample.assign(X, np.array([[0.0, 0.0], [5.0, 5.0]]))
    >>> labels.tolist(), cost.tolist()
    ([0, 0, 1], [0.0, 1.0, 0.0])
    """
    X, top = check_array_top(X)
    centers = check_centers(centers, X)
    top = max(top, float(np.abs(centers).max(initial=0.0)))
    check_magnitude(top, X.dtype, X.shape[0], X.shape[1], "X and centers")  # both tiny: underflow
    check_cost_scale(top, X.shape[0], X.shape[1], check_z(z), None)
    labels, cost, _ = assign_rows(X, centers, check_z(z), None, check_n_threads(n_threads))
    return labels, cost
