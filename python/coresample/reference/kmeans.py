"""Pure NumPy counterpart of `coresample.KMeans`: Lloyd and (k,z) iterations (section 6)."""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from .._base.progress import current as current_callback

from .._algorithm.kmeans import KMeansBase, default_local_trials
from .._base.random import SUBSAMPLE
from .._base.blocks import blocked_sum
from .._base.stream import exponential_keys
from .assign import nearest
from .seeding import plusplus_indices

# Floor on the distance in the (k,z) reweighting, so rows sitting on a center stay finite.
_MIN_DIST = 1e-12


def weighted_total(u: Optional[np.ndarray], cost: np.ndarray) -> float:
    return blocked_sum(cost if u is None else u * cost)


def update_centers(
    X: np.ndarray, u: np.ndarray, labels: np.ndarray, cost: np.ndarray, centers: np.ndarray,
    z: float, reweight: bool,
) -> np.ndarray:
    """One center update: (reweighted) means per cluster, empty clusters moved to far rows."""
    k = centers.shape[0]
    if z == 2.0 or not reweight:
        step = u
    else:
        dist = np.maximum(cost ** (1.0 / z), _MIN_DIST)
        step = u * dist ** (z - 2.0)
    sums = np.zeros((k, X.shape[1]))
    np.add.at(sums, labels, step[:, None] * X.astype(np.float64))
    totals = np.bincount(labels, weights=step, minlength=k)
    new = centers.copy()
    full = totals > 0
    new[full] = (sums[full] / totals[full, None]).astype(centers.dtype)
    empty = np.flatnonzero(~full)
    if empty.size:
        # Largest cost first, ties to the lowest row index (lexsort: last key is primary).
        far = np.lexsort((np.arange(len(cost)), -cost))[: empty.size]
        new[empty[: far.size]] = X[far]
    return new


def lloyd(
    X: np.ndarray, u: Optional[np.ndarray], centers: np.ndarray, z: float, max_iter: int, tol: float
) -> Tuple[np.ndarray, np.ndarray, int, float]:
    """Iterate in place on `centers`; returns labels, cost, n_iter and inertia of the final pass."""
    weights = np.ones(X.shape[0]) if u is None else u
    report = current_callback()
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        labels, cost = nearest(X, centers, z)
        new = update_centers(X, weights, labels, cost, centers, z, reweight=n_iter > 1)
        shift = float(((new.astype(np.float64) - centers.astype(np.float64)) ** 2).sum())
        centers[...] = new
        if report is not None:
            report("lloyd", n_iter, max_iter)
        if shift <= tol:
            break
    labels, cost = nearest(X, centers, z)
    return labels, cost, n_iter, weighted_total(u, cost)


class KMeans(KMeansBase):
    """Pure NumPy counterpart of `coresample.KMeans` (float64 arithmetic; n_threads is ignored)."""

    def _seed(self, X, u, k, z, seed, nt):
        weights = np.ones(X.shape[0]) if u is None else u
        return plusplus_indices(X, weights, k, z, seed, default_local_trials(k))

    def _lloyd(self, X, u, centers, z, max_iter, tol, nt):
        return lloyd(X, u, centers, z, max_iter, tol)

    def _assign(self, X, centers, z, u, nt):
        labels, cost = nearest(X, centers, z)
        return labels, cost, weighted_total(u, cost)

    def _mean_variance(self, X, nt):
        return float(X.astype(np.float64).var(axis=0).mean())

    def _subsample(self, n, m, seed, nt):
        keys = exponential_keys(seed, SUBSAMPLE, n)
        return np.sort(np.lexsort((np.arange(n), keys))[:m])
