"""k-means++ seeding on the shared random stream (cpp/seeding.cpp)."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import _core
from .._algorithm.kmeans import check_plusplus_args


def plusplus_indices(
    X: np.ndarray, u: Optional[np.ndarray], k: int, z: float, seed: int, L: int, nt: int
) -> np.ndarray:
    """Unvalidated core call: the row indices of the k seeds."""
    indices = np.empty(k, dtype=np.int64)
    _core.kmeans_plusplus(X, u, k, z, seed, L, indices, nt)
    return indices


def kmeans_plusplus(
    X: np.ndarray,
    n_clusters: int,
    *,
    z: float = 2.0,
    sample_weight: Optional[np.ndarray] = None,
    random_state: Any = None,
    n_local_trials: Optional[int] = None,
    n_threads: Optional[int] = None,
) -> np.ndarray:
    """Choose initial centers by greedy k-means++ (Arthur & Vassilvitskii, 2007).

    Each new center is the best of `n_local_trials` candidates drawn with probability
    proportional to u_e * D(e)^z, D the distance to the nearest chosen center, as scikit-learn's
    `kmeans_plusplus` does.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
    n_clusters : int
        Number of centers, 1 <= n_clusters <= n_samples.
    z : float, default=2.0
        Exponent of the clustering cost.
    sample_weight : ndarray of shape (n_samples,), default=None
    random_state : None, int or numpy Generator, default=None
    n_local_trials : int, default=None
        Candidates per step; None means 2 + floor(ln(n_clusters)).
    n_threads : int, default=None

    Returns
    -------
    indices : ndarray of shape (n_clusters,), int64
        Rows of X chosen as centers (X[indices] are the centers).
    """
    X, k, z, u, seed, L, nt = check_plusplus_args(
        X, n_clusters, z, sample_weight, random_state, n_local_trials, n_threads
    )
    return plusplus_indices(X, u, k, z, seed, L, nt)
