"""The sampling distribution of sensitivity sampling (cpp/sensitivity.cpp)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .. import _core
from .._algorithm.sensitivity import check_sensitivity_args


def sensitivities(
    cost: np.ndarray,
    labels: np.ndarray,
    center_losses: Optional[np.ndarray] = None,
    lam: float = 1.0,
    sample_weight: Optional[np.ndarray] = None,
    *,
    method: str = "lightweight",
    n_clusters: Optional[int] = None,
) -> np.ndarray:
    """Sampling probabilities p(e) proportional to u_e * v(e), with v an upper bound on the loss.

    With center losses l_c (the representatives' losses from the oracle):
    v(e) = l_{c(e)} + lam * cost(e), the Hoelder bound on l(e). Without them, `method` chooses:

    - "lightweight" (default): v(e) = lam * Phi / U + lam * cost(e), with Phi = sum u cost and
      U = sum u: half the mass uniform, half by cost, so every row keeps p > 0 (Bachem, Lucic &
      Krause, KDD 2018).
    - "coreset": the classic sensitivity bound v(e) = cost(e) / Phi + 1 / |C_c(e)|.

    If every v is zero (lam = 0 and no positive center loss), p is proportional to u.

    Parameters
    ----------
    cost : ndarray of shape (n_samples,)
        Clustering cost of each row (from `assign`).
    labels : ndarray of shape (n_samples,), int
    center_losses : ndarray of shape (n_clusters,), default=None
        Non-negative loss of each cluster's representative.
    lam : float, default=1.0
        Hoelder constant lambda >= 0.
    sample_weight : ndarray of shape (n_samples,), default=None
    method : {"lightweight", "coreset"}, default="lightweight"
        Used only without center_losses.
    n_clusters : int, default=None
        Number of clusters; None infers it from center_losses or labels.

    Returns
    -------
    p : ndarray of shape (n_samples,), float64, summing to 1.
    """
    cost, labels, center_losses, lam, u, method, k = check_sensitivity_args(
        cost, labels, center_losses, lam, sample_weight, method, n_clusters
    )
    out = np.empty(cost.shape[0], dtype=np.float64)
    _core.sensitivities(cost, labels, center_losses, k, lam, u, method, out, 0)
    return out


def sensitivity_masses(
    cost: np.ndarray, labels: np.ndarray, center_losses: Optional[np.ndarray], k: int, lam: float,
    u: Optional[np.ndarray], method: str, a: float, cluster_size: Optional[np.ndarray], phi: float,
    nt: int,
) -> np.ndarray:
    """The masses m = u v of a run of rows from the whole dataset's totals (validated input): the
    engines' partition kernels call this, so the formula lives in cpp/sensitivity.cpp only."""
    out = np.empty(cost.shape[0], dtype=np.float64)
    _core.sensitivity_masses(cost, labels, center_losses, k, lam, u, method, a, cluster_size, phi,
                             out, nt)
    return out
