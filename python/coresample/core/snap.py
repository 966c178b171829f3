"""Snap each center to the nearest real row of its cluster (cpp/snap.cpp)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .. import _core
from .._base.validation import check_array, check_centers, check_labels, check_n_threads


def snap_rows(X: np.ndarray, centers: np.ndarray, labels: np.ndarray, nt: int) -> np.ndarray:
    """Unvalidated core call."""
    out = np.empty(centers.shape[0], dtype=np.int64)
    _core.snap_to_rows(X, centers, labels, out, nt)
    return out


def snap_to_rows(
    X: np.ndarray, centers: np.ndarray, labels: np.ndarray, *, n_threads: Optional[int] = None
) -> np.ndarray:
    """Replace each center by the real row that represents it.

    Center c becomes the member of cluster c (labels == c) nearest to it, ties to the lowest
    row index; a center with no members takes the nearest row overall. The representative is a
    real row, so a model's loss can be queried for it.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    centers : ndarray of shape (n_clusters, n_features)
    labels : ndarray of shape (n_samples,), int
        Cluster of each row, in [0, n_clusters).
    n_threads : int, default=None

    Returns
    -------
    representatives : ndarray of shape (n_clusters,), int64
        Row indices; X[representatives] are the snapped centers.
    """
    X = check_array(X)
    centers = check_centers(centers, X)
    labels = check_labels(labels, X.shape[0], centers.shape[0])
    return snap_rows(X, centers, labels, check_n_threads(n_threads))
