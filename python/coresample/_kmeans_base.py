"""The KMeans estimator's logic, shared by the core and the reference.

Validation, subsampling, initialisation and attribute bookkeeping live here once; subclasses
supply the numeric steps (seeding, Lloyd iterations, assignment) from their own backend.
"""
from __future__ import annotations

import math
from typing import Any, Optional, Tuple

import numpy as np

from ._random import seed_from_random_state
from ._validation import (
    check_array, check_float, check_int, check_n_clusters, check_n_threads,
    check_sample_weight, check_z,
)

Arr = np.ndarray


class KMeansBase:
    """(k, z)-clustering: k-means++ seeding, then Lloyd-style iterations (see `coresample.KMeans`)."""

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        z: float = 2.0,
        init: Any = "k-means++",
        max_iter: int = 300,
        tol: float = 1e-4,
        max_points_per_center: Optional[int] = None,
        random_state: Any = None,
        n_threads: Optional[int] = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.z = z
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.max_points_per_center = max_points_per_center
        self.random_state = random_state
        self.n_threads = n_threads

    # --- numeric steps, provided by the core or the reference -------------------------------
    def _seed(self, X: Arr, u: Optional[Arr], k: int, z: float, seed: int, nt: int) -> Arr:
        raise NotImplementedError

    def _lloyd(
        self, X: Arr, u: Optional[Arr], centers: Arr, z: float, max_iter: int, tol: float, nt: int
    ) -> Tuple[Arr, Arr, int, float]:
        raise NotImplementedError

    def _assign(self, X: Arr, centers: Arr, z: float, u: Optional[Arr], nt: int) -> Tuple[Arr, Arr, float]:
        raise NotImplementedError

    def _mean_variance(self, X: Arr, nt: int) -> float:
        raise NotImplementedError

    def _subsample(self, n: int, m: int, seed: int, nt: int) -> Arr:
        raise NotImplementedError

    # --- estimator API ------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> "KMeansBase":
        """Compute the clustering of X (y is ignored; it is there for pipeline compatibility)."""
        X = check_array(X)
        n, d = X.shape
        k = check_n_clusters(self.n_clusters, n)
        z = check_z(self.z)
        max_iter = check_int(self.max_iter, "max_iter", 0)
        tol = check_float(self.tol, "tol", 0.0)
        nt = check_n_threads(self.n_threads)
        u = check_sample_weight(sample_weight, n)
        seed = seed_from_random_state(self.random_state)
        mppc = self.max_points_per_center
        if mppc is not None:
            mppc = check_int(mppc, "max_points_per_center", 1)

        Xs, us = X, u
        if mppc is not None and n > k * mppc:
            rows = self._subsample(n, k * mppc, seed, nt)
            Xs = X[rows]
            us = None if u is None else u[rows]
        centers = self._initial_centers(Xs, us, k, z, seed, nt)
        tol_abs = tol * self._mean_variance(Xs, nt) if tol > 0 else 0.0
        labels, cost, n_iter, inertia = self._lloyd(Xs, us, centers, z, max_iter, tol_abs, nt)
        if Xs is not X:
            labels, cost, inertia = self._assign(X, centers, z, u, nt)

        self.cluster_centers_ = centers
        self.labels_ = labels
        self.cost_ = cost
        self.inertia_ = float(inertia)
        self.n_iter_ = int(n_iter)
        self.n_features_in_ = d
        return self

    def _initial_centers(self, X: Arr, u: Optional[Arr], k: int, z: float, seed: int, nt: int) -> Arr:
        if isinstance(self.init, str):
            if self.init != "k-means++":
                raise ValueError(f"init={self.init!r} must be 'k-means++' or an array of centers")
            return X[self._seed(X, u, k, z, seed, nt)]
        init = check_array(self.init, "init")
        if init.shape != (k, X.shape[1]):
            raise ValueError(f"init must have shape ({k}, {X.shape[1]}), got {init.shape}")
        return np.array(init, dtype=X.dtype, order="C", copy=True)

    def _check_fitted(self) -> None:
        if not hasattr(self, "cluster_centers_"):
            raise AttributeError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def predict(self, X: Any) -> Arr:
        """Index of the nearest cluster center for each row of X."""
        self._check_fitted()
        X = check_array(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, the model was fitted on {self.n_features_in_}")
        centers = self.cluster_centers_.astype(X.dtype, copy=False)
        labels, _, _ = self._assign(X, centers, check_z(self.z), None, check_n_threads(self.n_threads))
        return labels

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> Arr:
        """fit(X).labels_."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_clusters={self.n_clusters}, z={self.z})"



def default_local_trials(n_clusters: int) -> int:
    """2 + floor(ln k) candidates per step, as scikit-learn's kmeans_plusplus."""
    return 2 + int(math.log(n_clusters))


def check_plusplus_args(
    X: Any, n_clusters: Any, z: Any, sample_weight: Any, random_state: Any,
    n_local_trials: Any, n_threads: Any,
) -> Tuple[Arr, int, float, Optional[Arr], int, int, int]:
    """Validated (X, k, z, u, seed, n_local_trials, n_threads) for kmeans_plusplus."""
    X = check_array(X)
    k = check_n_clusters(n_clusters, X.shape[0])
    z = check_z(z)
    u = check_sample_weight(sample_weight, X.shape[0])
    L = default_local_trials(k) if n_local_trials is None else check_int(n_local_trials, "n_local_trials", 1)
    nt = check_n_threads(n_threads)
    return X, k, z, u, seed_from_random_state(random_state), L, nt
