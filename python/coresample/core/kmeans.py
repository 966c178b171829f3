"""The KMeans estimator backed by the C++ core (cpp/kmeans.cpp)."""
from __future__ import annotations

import numpy as np

from .. import _core
from .._algorithm.kmeans import KMeansBase, default_local_trials
from .._base.random import SUBSAMPLE
from .assign import assign_rows
from .seeding import plusplus_indices


class KMeans(KMeansBase):
    """(k, z)-clustering: greedy k-means++ seeding, then Lloyd iterations, in scikit-learn style.

    Parameters
    ----------
    n_clusters : int, default=8
    z : float, default=2.0
        Cost exponent: ||x - c||^z. 2 is k-means (Lloyd: centers are weighted means); other
        z >= 1 use one iteratively-reweighted step per iteration (Weiszfeld's for z = 1), which
        does not raise the cost for 1 <= z <= 2.
    init : "k-means++" or ndarray of shape (n_clusters, n_features), default="k-means++"
    max_iter : int, default=300
    tol : float, default=1e-4
        Stop when the squared center shift summed over centers is <= tol times the mean feature
        variance of X (scikit-learn's convention); tol=0 runs until nothing moves or max_iter.
    max_points_per_center : int, default=None
        If set and n_samples > n_clusters * max_points_per_center, seed and iterate on a uniform
        subsample of that many rows (the keys of the shared random stream), then assign every row
        in one exact pass. None fits on all rows.
    random_state : None, int or numpy Generator, default=None
    n_threads : int, default=None
        Threads to use; None uses all cores. Results are bit-identical for any value.
    progress : None, bool or callable, default=None
        As in `select`: True shows a bar per phase ("k-means++" centers, "lloyd" iterations),
        a callable gets progress(phase, done, total); raising in it stops fit.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features), dtype of X
    labels_ : ndarray of shape (n_samples,), int64
    cost_ : ndarray of shape (n_samples,), float64
        ||x - c(x)||^z for each row.
    inertia_ : float
        sum of sample_weight * cost_.
    n_iter_ : int
    n_features_in_ : int

    Notes
    -----
    float32 input is clustered in float32 (distances for the argmin) with float64 accumulation;
    float64 in float64. C-contiguous input is never copied (a subsample, when asked for, is).

    scikit-learn compatible without importing it: ``get_params``/``set_params`` (so
    ``sklearn.base.clone``, ``Pipeline`` and ``GridSearchCV`` work), ``score`` (minus the cost,
    higher is better), ``transform`` (distances to the centers: an n_samples x n_clusters array)
    and ``__sklearn_tags__``. scikit-learn's estimator checks that do not apply (integer input is
    refused by design; see tests/test_sklearn_compat.py) are listed there as expected failures.

    Examples
    --------
    >>> import numpy as np, coresample
    >>> X = np.array([[0.0], [0.1], [10.0], [10.1]])
    >>> km = coresample.KMeans(2, random_state=0).fit(X)
    >>> sorted(km.cluster_centers_.ravel().round(2).tolist())
    [0.05, 10.05]
    >>> km.predict(np.array([[9.0]])).tolist()
    [1]
    >>> round(km.score(X), 4)          # -inertia_: minus the summed squared distances
    -0.01
    >>> km.set_params(n_clusters=3)
    KMeans(n_clusters=3, random_state=0)
    """

    _set_core_progress = staticmethod(_core.set_progress)

    def _seed(self, X, u, k, z, seed, nt):
        return plusplus_indices(X, u, k, z, seed, default_local_trials(k), nt)

    def _lloyd(self, X, u, centers, z, max_iter, tol, nt):
        labels = np.empty(X.shape[0], dtype=np.int64)
        cost = np.empty(X.shape[0], dtype=np.float64)
        n_iter, inertia = _core.lloyd(X, u, centers, z, max_iter, tol, labels, cost, nt)
        return labels, cost, n_iter, inertia

    def _assign(self, X, centers, z, u, nt):
        return assign_rows(X, centers, z, u, nt)

    def _mean_variance(self, X, nt):
        return _core.mean_variance(X, nt)

    def _subsample(self, n, m, seed, nt):
        indices = np.empty(m, dtype=np.int64)
        weights = np.empty(m, dtype=np.float64)
        _core.sample_without_replacement(np.ones(n), m, seed, SUBSAMPLE, indices, weights, nt)
        return np.sort(indices)
