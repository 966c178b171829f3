"""Pure NumPy counterpart of `coresample.assign`: nearest center and cost, in float64."""
from __future__ import annotations

from functools import partial
from typing import Tuple

import numpy as np

from .._algorithm import functions
from .._algorithm.api import bind

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


def _step(X: np.ndarray, centers: np.ndarray, z: float, u: None, nt: int):
    labels, cost = nearest(X, centers, z)
    return labels, cost, 0.0


assign = bind(
    functions.assign, partial(functions.run_assign, _step), __name__,
    doc="Pure NumPy counterpart of `coresample.assign` (computes in float64; n_threads is "
    "ignored).",
)
