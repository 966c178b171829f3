"""Pure NumPy counterpart of `coresample.sensitivities` (section 8)."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .._algorithm.sensitivity import check_sensitivity_args
from .._base.blocks import blocked_sum


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
    """Pure NumPy counterpart of `coresample.sensitivities`."""
    cost, labels, center_losses, lam, u, method, k = check_sensitivity_args(
        cost, labels, center_losses, lam, sample_weight, method, n_clusters
    )
    u = np.ones(cost.shape[0]) if u is None else u
    U = blocked_sum(u)
    phi = blocked_sum(u * cost)
    if center_losses is not None:
        v = center_losses[labels] + lam * cost
    elif method == "lightweight":
        v = lam * phi / U + lam * cost
    else:
        sizes = np.bincount(labels, weights=u, minlength=k)  # adds rows in ascending order
        with np.errstate(divide="ignore"):
            inv_size = np.where(sizes > 0, 1.0 / np.where(sizes > 0, sizes, 1.0), 0.0)
        v = (cost / phi if phi > 0 else 0.0) + inv_size[labels]
    m = u * v
    S = blocked_sum(m)
    return m / S if S > 0 else u / U
