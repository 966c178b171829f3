"""Pure NumPy counterpart of `coresample.select_adaptive` (same orchestration, reference steps)."""
from __future__ import annotations

from typing import Any, Callable, Optional, Union

import numpy as np

from .._adaptive import AdaptiveSelection, run_select_adaptive
from .sampling import sample
from .select import select


def select_adaptive(
    X: np.ndarray,
    budget: int,
    *,
    n_clusters: int,
    score_fn: Callable[[np.ndarray, np.ndarray], Any],
    warm_start: float = 0.2,
    rounds: int = 1,
    z: float = 2.0,
    lam: Union[float, str] = 1.0,
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
) -> AdaptiveSelection:
    """Pure NumPy counterpart of `coresample.select_adaptive` (n_threads is ignored)."""
    return run_select_adaptive(
        select, sample, X, budget, n_clusters=n_clusters, score_fn=score_fn,
        warm_start=warm_start, rounds=rounds, sample_weight=sample_weight,
        random_state=random_state, n_threads=n_threads, progress=progress, z=z, lam=lam,
        method=method, estimator=estimator, init=init, max_iter=max_iter, tol=tol,
        max_points_per_center=max_points_per_center,
    )
