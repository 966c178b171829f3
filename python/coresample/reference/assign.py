"""Pure NumPy counterpart of `coresample.assign`: nearest center and cost, in float64."""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from .._base.validation import (
    check_array_top, check_centers, check_cost_scale, check_magnitude, check_n_threads, check_z,
)

_ROWS = 4096  # rows per chunk: bounds the (rows x k) distance block


def nearest(X: np.ndarray, centers: np.ndarray, z: float) -> Tuple[np.ndarray, np.ndarray]:
    """Labels (ties: lowest center) and cost = ||x - c||^z, unvalidated, float64 throughout."""
    C = centers.astype(np.float64)
    c_norms = np.einsum("ij,ij->i", C, C)
    labels = np.empty(X.shape[0], dtype=np.int64)
    d2 = np.empty(X.shape[0], dtype=np.float64)
    for start in range(0, X.shape[0], _ROWS):
        x = X[start : start + _ROWS].astype(np.float64)
        # ||x||^2 is the same for every center, so the argmin needs only ||c||^2 - 2 x.c.
        lab = np.argmin(c_norms[None, :] - 2.0 * (x @ C.T), axis=1)
        diff = x - C[lab]
        labels[start : start + len(x)] = lab
        d2[start : start + len(x)] = np.einsum("ij,ij->i", diff, diff)
    return labels, cost_from_d2(d2, z)


def squared_distances(X: np.ndarray, point: np.ndarray) -> np.ndarray:
    """||x - point||^2 for every row, from exact float64 differences."""
    diff = X.astype(np.float64) - point.astype(np.float64)
    return np.einsum("ij,ij->i", diff, diff)


def cost_from_d2(d2: np.ndarray, z: float) -> np.ndarray:
    return d2 if z == 2.0 else np.sqrt(d2) ** z


def assign(
    X: np.ndarray, centers: np.ndarray, z: float = 2.0, *, n_threads: Optional[int] = None
) -> Tuple[np.ndarray, np.ndarray]:
    """Pure NumPy counterpart of `coresample.assign` (computes in float64; n_threads is ignored)."""
    X, top = check_array_top(X)
    centers = check_centers(centers, X)
    top = max(top, float(np.abs(centers).max(initial=0.0)))
    check_magnitude(top, X.dtype, X.shape[0], X.shape[1], "X and centers")  # both tiny: underflow
    check_cost_scale(top, X.shape[0], X.shape[1], check_z(z), None)
    z = check_z(z)
    check_n_threads(n_threads)
    return nearest(X, centers, z)
