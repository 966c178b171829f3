"""Pure NumPy counterpart of `coresample.snap_to_rows` (section 7)."""
from __future__ import annotations

from functools import partial

import numpy as np

from .._algorithm import functions
from .._algorithm.api import bind
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


snap_to_rows = bind(
    functions.snap_to_rows,
    partial(functions.run_snap_to_rows, lambda X, centers, labels, nt: snap(X, centers, labels)),
    __name__, doc="Pure NumPy counterpart of `coresample.snap_to_rows` (n_threads is ignored).",
)
