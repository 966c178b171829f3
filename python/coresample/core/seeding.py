"""k-means++ seeding on the shared random stream (cpp/seeding.cpp)."""
from __future__ import annotations

from functools import partial
from typing import Optional

import numpy as np

from .. import _core
from .._algorithm import functions
from .._algorithm.api import bind


def plusplus_indices(
    X: np.ndarray, u: Optional[np.ndarray], k: int, z: float, seed: int, L: int, nt: int
) -> np.ndarray:
    """Unvalidated core call: the row indices of the k seeds."""
    indices = np.empty(k, dtype=np.int64)
    _core.kmeans_plusplus(X, u, k, z, seed, L, indices, nt)
    return indices


kmeans_plusplus = bind(
    functions.kmeans_plusplus, partial(functions.run_kmeans_plusplus, plusplus_indices), __name__
)
