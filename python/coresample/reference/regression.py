"""Pure NumPy counterpart of `coresample.regression`.

The linear algebra (leverage scores, sketches, whitening, the weighted solve) is the same NumPy
code as in `coresample.regression`; only the clustering (`coresample.reference.select`), the
sensitivities and the sampler (`coresample.reference.sample`) are the reference's own, so for
the same seed both modules draw the same rows.
"""
from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np

from .. import regression as _shared
from ..regression import DEFAULT_N_CLUSTERS, PilotResiduals, RegressionFit, RowSample
from .sampling import sample
from .select import select
from .sensitivity import sensitivities

_REFERENCE = _shared._Backend(select=select, sensitivities=sensitivities, sample=sample)


def leverage_scores(A: np.ndarray) -> np.ndarray:
    """Pure NumPy counterpart of `coresample.regression.leverage_scores` (the same NumPy code)."""
    return _shared._leverage(_shared._check_design(A))


def approximate_leverage_scores(
    A: np.ndarray,
    *,
    sketch: str = "countsketch",
    sketch_size: Optional[int] = None,
    jl_dim: Optional[int] = None,
    random_state: Any = None,
) -> np.ndarray:
    """Pure NumPy counterpart of `coresample.regression.approximate_leverage_scores` (the same
    NumPy code, the same sketch for the same seed)."""
    return _shared.approximate_leverage_scores(
        A, sketch=sketch, sketch_size=sketch_size, jl_dim=jl_dim, random_state=random_state
    )


def row_probabilities(
    A: np.ndarray,
    b: Optional[np.ndarray] = None,
    *,
    method: str = "cluster",
    n_clusters: int = DEFAULT_N_CLUSTERS,
    include_target: bool = True,
    scaling: str = "whiten",
    max_points_per_center: Union[int, str, None] = "auto",
    pilot_residuals: PilotResiduals = None,
    lam: Optional[float] = None,
    sketch: str = "countsketch",
    sketch_size: Optional[int] = None,
    jl_dim: Optional[int] = None,
    random_state: Any = None,
    n_threads: Optional[int] = None,
) -> np.ndarray:
    """Pure NumPy counterpart of `coresample.regression.row_probabilities` (clustering and
    sensitivities from `coresample.reference`; n_threads is ignored)."""
    return _shared._row_probabilities(
        _REFERENCE, A, b, method=method, n_clusters=n_clusters, include_target=include_target,
        scaling=scaling, max_points_per_center=max_points_per_center,
        pilot_residuals=pilot_residuals, lam=lam, sketch=sketch,
        sketch_size=sketch_size, jl_dim=jl_dim, random_state=random_state, n_threads=n_threads,
    )


def sample_rows(
    A: np.ndarray,
    b: np.ndarray,
    budget: int,
    *,
    method: str = "cluster",
    replace: bool = True,
    include_representatives: bool = True,
    n_clusters: int = DEFAULT_N_CLUSTERS,
    include_target: bool = True,
    scaling: str = "whiten",
    max_points_per_center: Union[int, str, None] = "auto",
    pilot_residuals: PilotResiduals = None,
    lam: Optional[float] = None,
    sketch: str = "countsketch",
    sketch_size: Optional[int] = None,
    jl_dim: Optional[int] = None,
    random_state: Any = None,
    n_threads: Optional[int] = None,
) -> RowSample:
    """Pure NumPy counterpart of `coresample.regression.sample_rows` (draws with
    `coresample.reference.sample`: the same rows for the same seed and p)."""
    return _shared._sample_rows(
        _REFERENCE, A, b, budget, method=method, replace=replace,
        include_representatives=include_representatives, n_clusters=n_clusters,
        include_target=include_target, scaling=scaling,
        max_points_per_center=max_points_per_center, pilot_residuals=pilot_residuals, lam=lam,
        sketch=sketch, sketch_size=sketch_size, jl_dim=jl_dim, random_state=random_state,
        n_threads=n_threads,
    )[2]


def solve(
    A: np.ndarray,
    b: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    *,
    rcond: Optional[float] = None,
) -> np.ndarray:
    """Pure NumPy counterpart of `coresample.regression.solve` (the same NumPy code)."""
    return _shared._solve(A, b, indices, weights, rcond)


def fit(
    A: np.ndarray,
    b: np.ndarray,
    budget: int,
    *,
    method: str = "cluster",
    replace: bool = True,
    include_representatives: bool = True,
    n_clusters: int = DEFAULT_N_CLUSTERS,
    include_target: bool = True,
    scaling: str = "whiten",
    max_points_per_center: Union[int, str, None] = "auto",
    pilot_residuals: PilotResiduals = None,
    lam: Optional[float] = None,
    sketch: str = "countsketch",
    sketch_size: Optional[int] = None,
    jl_dim: Optional[int] = None,
    random_state: Any = None,
    n_threads: Optional[int] = None,
) -> RegressionFit:
    """Pure NumPy counterpart of `coresample.regression.fit`."""
    return _shared._fit(
        _REFERENCE, A, b, budget, method=method, replace=replace,
        include_representatives=include_representatives, n_clusters=n_clusters,
        include_target=include_target, scaling=scaling,
        max_points_per_center=max_points_per_center, pilot_residuals=pilot_residuals, lam=lam,
        sketch=sketch, sketch_size=sketch_size, jl_dim=jl_dim, random_state=random_state,
        n_threads=n_threads,
    )


__all__ = [
    "RegressionFit", "RowSample", "approximate_leverage_scores", "fit", "leverage_scores",
    "row_probabilities", "sample_rows", "solve",
]
