"""Pure NumPy counterpart of `coresample.sensitivities` (section 8)."""
from __future__ import annotations

from functools import partial
from typing import Optional

import numpy as np

from .._algorithm import functions
from .._algorithm.api import bind
from .._base.blocks import blocked_sum


def probabilities(
    cost: np.ndarray, labels: np.ndarray, center_losses: Optional[np.ndarray], k: int, lam: float,
    u: Optional[np.ndarray], method: str, defensive: float,
) -> np.ndarray:
    """p on validated input (section 8)."""
    w = np.ones(cost.shape[0]) if u is None else u
    U = blocked_sum(w)
    phi = blocked_sum(w * cost)
    sizes = None
    if center_losses is None and method == "coreset":
        sizes = np.bincount(labels, weights=w, minlength=k)  # adds rows in ascending order
    a = lam * phi / U
    m = sensitivity_masses(cost, labels, center_losses, k, lam, u, method, a, sizes, phi)
    return sensitivity_probabilities(m, u, blocked_sum(m), U, defensive)


def sensitivity_probabilities(
    m: np.ndarray, u: Optional[np.ndarray], S: float, U: float, defensive: float, nt: int = 1
) -> np.ndarray:
    """Pure NumPy counterpart of `coresample.core.sensitivity.sensitivity_probabilities`:
    p = a u / U + (1 - a) m / S, or u / U when S == 0."""
    w = np.ones(m.shape[0]) if u is None else u
    if S == 0:
        return w / U
    return defensive * (w / U) + (1.0 - defensive) * (m / S)




sensitivities = bind(
    functions.sensitivities, partial(functions.run_sensitivities, probabilities), __name__,
    doc="Pure NumPy counterpart of `coresample.sensitivities`.",
)


def sensitivity_masses(
    cost: np.ndarray, labels: np.ndarray, center_losses: Optional[np.ndarray], k: int, lam: float,
    u: Optional[np.ndarray], method: str, a: float, cluster_size: Optional[np.ndarray], phi: float,
    nt: int = 1,
) -> np.ndarray:
    """Pure NumPy counterpart of `coresample.core.sensitivity.sensitivity_masses`: m = u v for a
    run of rows, from the whole dataset's a = lam Phi / U, cluster sizes and Phi."""
    w = np.ones(cost.shape[0]) if u is None else u
    if center_losses is not None:
        v = center_losses[labels] + lam * cost
    elif method == "lightweight":
        v = a + lam * cost
    else:
        with np.errstate(divide="ignore"):  # a zero-weight cluster: its rows get m = 0 below
            positive = cluster_size > 0
            inv_size = np.where(positive, 1.0 / np.where(positive, cluster_size, 1.0), 0.0)
        v = (cost / phi if phi > 0 else 0.0) + inv_size[labels]
    return w * v
