"""Pure NumPy counterpart of `coresample.select`."""
from __future__ import annotations

from typing import Any, Callable, Optional, Union

import numpy as np

from .._algorithm import Backend, run_select
from .._results import Selection
from .kmeans import KMeans, weighted_total
from .assign import nearest
from .sampling import with_replacement, without_replacement
from .sensitivity import sensitivities
from .snap import snap


def _assign(X, centers, z, u, nt):
    labels, cost = nearest(X, centers, z)
    return labels, cost, weighted_total(u, cost)


def _sample(p, size, seed, replace, nt):
    return with_replacement(p, size, seed) if replace else without_replacement(p, size, seed)


_BACKEND = Backend(
    kmeans=KMeans, assign=_assign, snap=lambda X, C, labels, nt: snap(X, C, labels),
    sensitivities=sensitivities, sample=_sample,
)


def select(
    X: np.ndarray,
    budget: int,
    *,
    n_clusters: int,
    z: float = 2.0,
    lam: Union[float, str] = 1.0,
    loss_fn: Optional[Callable[[np.ndarray], Any]] = None,
    replace: bool = True,
    sample_weight: Optional[np.ndarray] = None,
    method: str = "lightweight",
    estimator: str = "plain",
    init: Any = "auto",
    max_iter: int = 20,
    tol: float = 1e-4,
    max_points_per_center: Union[int, str, None] = "auto",
    random_state: Any = None,
    n_threads: Optional[int] = None,
    progress: Any = None,
) -> Selection:
    """Pure NumPy counterpart of `coresample.select` (float64 clustering; n_threads is ignored)."""
    return run_select(
        _BACKEND, X, budget, n_clusters=n_clusters, z=z, lam=lam, loss_fn=loss_fn,
        replace=replace, sample_weight=sample_weight, method=method, estimator=estimator,
        init=init, max_iter=max_iter, tol=tol, max_points_per_center=max_points_per_center,
        random_state=random_state, n_threads=n_threads,
        progress=progress,
    )
