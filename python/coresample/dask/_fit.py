"""Pass (a): the KMeans subsample gathered from the partitions, the fit and the snap on the client."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from .._algorithm.select import fits_on_subsample
from .._base.validation import check_finite
from ..core.kmeans import KMeans
from ..core.snap import snap_rows
from .._engine.combine import merge_tree
from .._engine.kernels import subsample_candidates
from ._rows import DaskRows, GatheredWeights

Arr = np.ndarray


class PresampledKMeans(KMeans):
    """coresample.KMeans whose `_subsample` returns rows drawn from the partitions beforehand
    (the same rows: `subsample_rows`), so that `_fit_centers` never allocates n values."""

    _presampled: Optional[Arr] = None

    def _subsample(self, n: int, m: int, seed: int, nt: int) -> Arr:
        rows = self._presampled
        if rows is None or rows.shape[0] != m:
            return super()._subsample(n, m, seed, nt)
        return rows


def subsample_rows(edges: Arr, size: int, seed: int) -> Arr:
    """KMeans._subsample(n, size, seed) from the partitions: each reports its `size` smallest
    SUBSAMPLE keys (computed from the row indices alone), the client keeps the smallest overall."""
    import dask

    tasks = [
        dask.delayed(subsample_candidates, pure=True)(int(a), int(b), size, seed)
        for a, b in zip(edges[:-1], edges[1:])
    ]
    return np.sort(merge_tree(tasks, size).compute()["rows"])


def fit_representatives(
    X: Any, u: Any, edges: Arr, k: int, *, z: float, init: Any, max_iter: Any, tol: Any,
    max_points_per_center: Any, seed: int, n_threads: Any, nt: int,
) -> Tuple[Arr, Arr, Arr]:
    """(representatives as global rows, their rows, the fitted centers), as select() finds them."""
    n = X.shape[0]
    km = PresampledKMeans(
        k, z=z, init=init, max_iter=max_iter, tol=tol,
        max_points_per_center=max_points_per_center, random_state=seed, n_threads=n_threads,
    )
    if fits_on_subsample(max_points_per_center, n, k):
        km._presampled = subsample_rows(edges, k * max_points_per_center, seed)
        # A RowSource and an indexable u, as select() passes for out-of-core input.
        rows, X_fit, fit_labels, _, _, _ = km._fit_centers(
            DaskRows(X), None if u is None else GatheredWeights(u)  # type: ignore[arg-type]
        )
    else:  # at most k * max_points_per_center rows (or max_points_per_center=None): all of them
        src = DaskRows(X)
        X_all = src.rows(0, n)
        check_finite(X_all, "X")
        u_all = None if u is None else np.require(u.compute(), np.float64, ["C", "A"])
        rows, X_fit, fit_labels, _, _, _ = km._fit_centers(X_all, u_all)
    local = snap_rows(X_fit, km.cluster_centers_, fit_labels, nt)
    reps = local if rows is None else rows[local]
    return reps, np.ascontiguousarray(X_fit[local]), km.cluster_centers_
