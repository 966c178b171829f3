"""Pure NumPy counterpart of `coresample.snap_to_rows` (section 7)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .._base.validation import check_array, check_centers, check_labels, check_n_threads
from .assign import squared_distances


def snap(X: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Unvalidated: the member of each cluster nearest its center (ties: lowest row index)."""
    reps = np.empty(centers.shape[0], dtype=np.int64)
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(centers.shape[0] + 1))
    for c in range(centers.shape[0]):
        members = order[bounds[c] : bounds[c + 1]]
        if members.size == 0:
            reps[c] = int(np.argmin(squared_distances(X, centers[c])))
        else:
            # members are in ascending row order, so argmin's first minimum is the lowest index.
            reps[c] = members[int(np.argmin(squared_distances(X[members], centers[c])))]
    return reps


def snap_to_rows(
    X: np.ndarray, centers: np.ndarray, labels: np.ndarray, *, n_threads: Optional[int] = None
) -> np.ndarray:
    """Pure NumPy counterpart of `coresample.snap_to_rows` (n_threads is ignored)."""
    X = check_array(X)
    centers = check_centers(centers, X)
    labels = check_labels(labels, X.shape[0], centers.shape[0])
    check_n_threads(n_threads)
    return snap(X, centers, labels)
